/**
 * 429 (budget), 502 (upstream error), 504 (unknown outcome) and read coalescing, each on its own
 * gateway + simulator pair (faults are global to a simulator).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import { ADMIN_TOKEN, seed, start } from "./support/harness.js"

const until = async (check: () => Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error("condition not reached")
}

describe("limits and upstream failures", () => {
  it("429 with Retry-After when the upstream budget is exhausted; the simulator never answers 429", async () => {
    const h = await start({ seed: { ...seed(), config: { weightLimit: 60 } }, config: { cacheTtlMs: 0, maxBudgetWaitMs: 0 } })
    try {
      // The budget learns the limit from exchangeInfo at start-up.
      await until(async () => (await h.metric("marginctl_gateway_upstream_weight_limit")) === 60)
      // One after the other (concurrent cold reads would share one upstream call).
      const answers = []
      for (let i = 0; i < 40; i++) answers.push(await h.raw("/v1/accounts/demo/multi-assets", { token: ADMIN_TOKEN }))
      const limited = answers.filter((a) => a.status === 429)
      const ok = answers.filter((a) => a.status === 200)
      expect(ok.length).toBeGreaterThan(0)
      expect(ok.length).toBeLessThanOrEqual(12)
      expect(limited.length).toBe(40 - ok.length)
      expect(Number(limited[0]!.headers.get("retry-after"))).toBeGreaterThan(0)
      expect(JSON.parse(limited[0]!.text)).toMatchObject({ _tag: "RateLimited", source: "budget" })
      // Derived client: typed error.
      const e = await h.run(Effect.flip(Effect.flatMap(h.client(ADMIN_TOKEN), (c) => c.multiAssets.get({ path: { account: "demo" } }))))
      expect(e._tag).toBe("RateLimited")
      expect(await h.metric("marginctl_gateway_upstream_429_total")).toBe(0)
      const weight = await h.control("GET", "/_sim/weight") as { ips: Record<string, { used: number }> | Array<{ used: number }> }
      const used = Object.values(weight.ips).map((x) => x.used)
      expect(Math.max(...used)).toBeLessThanOrEqual(60)
      expect(h.sim.requestCount("/fapi/v1/accountConfig")).toBe(ok.length)
    } finally {
      await h.close()
    }
  })

  it("502 when the upstream fails, logged as a warning (a read that went well is logged at debug)", async () => {
    const logs: Array<string> = []
    const h = await start({ logs })
    try {
      expect((await h.raw("/v1/accounts", { token: ADMIN_TOKEN })).status).toBe(200)
      await h.control("POST", "/_sim/faults", { kind: "status", status: 500, endpoint: "/fapi/v1/accountConfig" })
      const e = await h.run(Effect.flip(Effect.flatMap(h.client(ADMIN_TOKEN), (c) => c.multiAssets.get({ path: { account: "demo" } }))))
      expect(e).toMatchObject({ _tag: "UpstreamError", tag: "ServiceUnavailable" })
      const r = await h.raw("/v1/accounts/demo/multi-assets", { token: ADMIN_TOKEN })
      expect(r.status).toBe(502)
      const lines = logs.filter((l) => l.includes("http.url=/v1/accounts"))
      expect(lines.find((l) => l.includes("http.status=200"))).toContain("level=DEBUG")
      expect(lines.find((l) => l.includes("http.status=502"))).toContain("level=WARN")
    } finally {
      await h.close()
    }
  })

  it("504 when a write's outcome stays unknown; 200 reconciled when a re-read settles it", async () => {
    const h = await start()
    try {
      const c = await h.run(h.client(ADMIN_TOKEN))
      await h.control("POST", "/_sim/faults", { kind: "unknown", executed: true, count: 1, method: "POST", endpoint: "/fapi/v1/marginType" })
      const settled = await h.run(c.marginTypes.set({ path: { account: "demo", symbol: "BTCUSDT" as never }, payload: { marginType: "ISOLATED" } }))
      expect(settled).toMatchObject({ outcome: "changed", reconciled: true })

      await h.control("POST", "/_sim/faults", { kind: "unknown", executed: false, method: "POST", endpoint: "/fapi/v1/multiAssetsMargin" })
      const e = await h.run(Effect.flip(c.multiAssets.set({ path: { account: "demo" }, payload: { multiAssetsMargin: true } })))
      expect(e._tag).toBe("OutcomeUnknown")
      const r = await h.raw("/v1/accounts/demo/multi-assets", {
        method: "PUT",
        token: ADMIN_TOKEN,
        headers: { "content-type": "application/json" },
        body: "{\"multiAssetsMargin\":true}"
      })
      expect(r.status).toBe(504)
      const page = await h.run(c.audit.list({ urlParams: { outcome: "unknown" } }))
      expect(page.rows.length).toBe(2)
      expect(page.rows[0]).toMatchObject({ action: "set-multi-assets", after: null, before: { multiAssetsMargin: false } })
    } finally {
      await h.close()
    }
  })

  it("503 from /readyz while an upstream's clock offset is unknown", async () => {
    const h = await start({
      prepare: async (sim) => {
        sim.faults.add({ kind: "status", status: 500, endpoint: "/fapi/v1/time" })
      }
    })
    try {
      const e = await h.run(Effect.flip(Effect.flatMap(h.client(), (c) => c.health.readyz())))
      expect(e._tag).toBe("NotReady")
      expect((e as unknown as { accounts: Array<{ ready: boolean }> }).accounts[0]).toMatchObject({ ready: false })
      expect((await h.raw("/readyz")).status).toBe(503)
      expect((await h.raw("/healthz")).status).toBe(200)
      h.sim.faults.clear()
      await new Promise((r) => setTimeout(r, 1100)) // a failed check is cached for 1 s
      expect((await h.raw("/readyz")).status).toBe(200)
    } finally {
      await h.close()
    }
  })

  it("1,000 concurrent cold reads cause one upstream call: all in flight together, 999 join the first", async () => {
    // The gateway's one upstream read of accountConfig is held (between the gateway and the
    // simulator) until every reader has arrived, so all 1,000 are provably in flight together.
    const gate = Effect.runSync(Deferred.make<void>())
    const h = await start({
      upstream: (client) =>
        HttpClient.transform(client, (send, request) =>
          new URL(request.url).pathname === "/fapi/v1/accountConfig" ? Effect.zipRight(Deferred.await(gate), send) : send)
    })
    try {
      const c = await h.run(h.client(ADMIN_TOKEN))
      const before = h.sim.requestCount("/fapi/v1/accountConfig")
      let answered = 0
      const reads = h.run(Effect.all(
        Array.from({ length: 1000 }, () => Effect.tap(c.multiAssets.get({ path: { account: "demo" } }), () => Effect.sync(() => answered++))),
        { concurrency: "unbounded" }
      ))
      try {
        // While the read is held: one miss started it and the 999 others joined it; nobody has an answer.
        await until(async () => (await h.metric("marginctl_gateway_cache_coalesced_total")) === 999, 20_000)
        expect(answered).toBe(0)
        expect(await h.metric("marginctl_gateway_cache_misses_total")).toBe(1)
        expect(await h.metric("marginctl_gateway_cache_hits_total")).toBe(0)
        expect(h.sim.requestCount("/fapi/v1/accountConfig") - before).toBe(0)
      } finally {
        Effect.runSync(Deferred.succeed(gate, undefined))
      }
      const answers = await reads
      expect(answers.length).toBe(1000)
      expect(answers.every((a) => a.multiAssetsMargin === false)).toBe(true)
      // Exactly one upstream call, seen by the simulator; no reader was served by a finished read.
      expect(h.sim.requestCount("/fapi/v1/accountConfig") - before).toBe(1)
      expect(await h.metric("marginctl_gateway_cache_misses_total")).toBe(1)
      expect(await h.metric("marginctl_gateway_cache_coalesced_total")).toBe(999)
      expect(await h.metric("marginctl_gateway_cache_hits_total")).toBe(0)
      // One symbolConfig read answers any selection of symbols.
      const counts = h.sim.requestCount("/fapi/v1/symbolConfig")
      await h.run(Effect.all([
        c.marginTypes.list({ path: { account: "demo" }, urlParams: {} }),
        c.marginTypes.list({ path: { account: "demo" }, urlParams: { symbols: ["BTCUSDT"] as never } }),
        c.marginTypes.list({ path: { account: "demo" }, urlParams: { symbols: ["ETHUSDT", "SOLUSDT"] as never } })
      ], { concurrency: "unbounded" }))
      expect(h.sim.requestCount("/fapi/v1/symbolConfig") - counts).toBe(1)
    } finally {
      await h.close()
    }
  })
})
