/**
 * What goes wrong on the way: unknown outcomes resolved by a re-read, a 429 waited out, a ban, a
 * -1021 corrected by a resync, bad keys, an unreachable or wrong server — and their exit codes.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, describe, expect, it } from "vitest"
import { leaks, run, runSim, runTty, type Sim, startSim } from "./support/Harness.js"

const withSim = async <A>(account: Record<string, unknown>, f: (sim: Sim) => Promise<A>) => {
  const sim = await startSim(account)
  try {
    return await f(sim)
  } finally {
    await sim.close()
  }
}

const counts = (sim: Sim) => sim.admin<{ byEndpoint: Record<string, number> }>("GET", "/requests/count").then((c) => c.byEndpoint)

const unsignedGets = (sim: Sim, n: number) =>
  Promise.all(Array.from({ length: n }, () => fetch(`${sim.url}/fapi/v1/exchangeInfo`).then((r) => r.status)))

describe("unknown outcomes (503 \"Unknown error\")", () => {
  it("executed: resolved by re-reading, exit 0, the change made exactly once", () =>
    withSim({}, async (sim) => {
      await sim.fault({ kind: "unknown", executed: true, endpoint: "/fapi/v1/multiAssetsMargin", method: "POST", count: 1 })
      const r = await runSim(sim, ["multi-assets", "on", "--json"])
      expect(r.code).toBe(0)
      expect(r.json()).toEqual({ outcome: "changed", multiAssetsMargin: true })
      const log = await sim.apiChanges()
      expect(log.map((e) => e.endpoint)).toEqual(["POST /fapi/v1/multiAssetsMargin"])
      expect((await counts(sim))["POST /fapi/v1/multiAssetsMargin"]).toBe(1)
    }))

  it("executed, human output says it was confirmed by re-reading; margin-type too", () =>
    withSim({}, async (sim) => {
      await sim.fault({ kind: "unknown", executed: true, endpoint: "/fapi/v1/marginType", method: "POST", count: 1 })
      const r = await runSim(sim, ["margin-type", "set", "ISOLATED", "BTCUSDT", "--json"])
      expect(r.code).toBe(0)
      expect(r.json().results).toEqual([{ symbol: "BTCUSDT", outcome: "changed", reason: null, code: null }])
      expect(await sim.apiChanges()).toHaveLength(1)
      await sim.fault({ kind: "unknown", executed: true, endpoint: "/fapi/v1/multiAssetsMargin", method: "POST", count: 1 })
      await runSim(sim, ["margin-type", "set", "CROSSED", "BTCUSDT"])
      const human = await runSim(sim, ["multi-assets", "on"])
      expect(human.code).toBe(0)
      expect(human.stdout).toContain("confirmed by re-reading the account")
      expect(await sim.apiChanges()).toHaveLength(3)
    }))

  it("never settled: exit 6 with what to do, nothing changed", () =>
    withSim({}, async (sim) => {
      await sim.fault({ kind: "unknown", executed: false, endpoint: "/fapi/v1/multiAssetsMargin", method: "POST" })
      const r = await runSim(sim, ["multi-assets", "on", "--json"])
      expect(r.code).toBe(6)
      expect(r.json().error).toMatchObject({ tag: "ExecutionUnknown", hint: expect.stringContaining("marginctl status") })
      expect(await sim.apiChanges()).toEqual([])
    }))
})

describe("rate limits", () => {
  it("a 429 is waited out as Retry-After asks, then the call succeeds once (exit 0)", () =>
    withSim({}, async (sim) => {
      const r = await runTty(["apply", "--multi-assets", "on", "--env", "sim", "--recv-window", "60000"], {
        sim,
        waitFor: /\[y\/N\]/,
        answer: "y",
        // The CLI has planned and waits for the answer. Move the simulator's clock forward (less than the
        // receive window, so timestamps stay valid) to 5 s before the end of its weight minute, and use
        // up that minute's weight: the POST gets a 429 with Retry-After ≈ 5 s.
        beforeAnswer: async () => {
          let remaining = 60_000 - (Date.now() % 60_000)
          if (remaining < 5_000) {
            await new Promise((resolve) => setTimeout(resolve, remaining + 50))
            remaining = 60_000 - (Date.now() % 60_000)
          }
          await sim.fault({ kind: "clockSkew", offsetMs: remaining - 5_000 })
          await sim.admin("PUT", "/config", { weightLimit: 1 })
          await unsignedGets(sim, 1)
        }
      })
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/Binance answered 429 \(too many requests\); waiting \d+ s as it asks/)
      expect(r.stdout).toContain("Done: 1 changed")
      expect((await counts(sim))["POST /fapi/v1/multiAssetsMargin"]).toBe(2)
      expect(await sim.apiChanges()).toHaveLength(1)
    }))

  it("a 403 from Binance's firewall is not waited out: exit 4, one request, explained as the firewall", () =>
    withSim({}, async (sim) => {
      await sim.fault({
        kind: "raw",
        status: 403,
        body: "<html><body><h1>403 Forbidden</h1></body></html>",
        endpoint: "/fapi/v1/multiAssetsMargin",
        method: "POST"
      })
      const r = await runSim(sim, ["multi-assets", "on", "--json"])
      expect(r.code).toBe(4)
      expect(r.json().error).toMatchObject({ tag: "RateLimited", hint: expect.stringContaining("web application firewall") })
      expect(r.stdout + r.stderr).not.toContain("waiting")
      expect((await counts(sim))["POST /fapi/v1/multiAssetsMargin"]).toBe(1)
      expect(await sim.apiChanges()).toEqual([])
    }))

  it("a ban (418) stops at once: exit 4, says until when", () =>
    withSim({}, async (sim) => {
      await sim.admin("PUT", "/config", { weightLimit: 1, banAfter: 0 })
      // 200, 429, then the ban (a minute boundary in between only delays it by a request or two).
      const statuses: Array<number> = []
      while (!statuses.includes(418) && statuses.length < 10) statuses.push(...(await unsignedGets(sim, 1)))
      expect(statuses).toContain(429)
      expect(statuses[statuses.length - 1]).toBe(418)
      const r = await runSim(sim, ["multi-assets", "get", "--json"])
      expect(r.code).toBe(4)
      expect(r.json().error).toMatchObject({ tag: "IpBanned", code: -1003, hint: expect.stringMatching(/banned this IP until \S+Z/) })
      const human = await runSim(sim, ["multi-assets", "get"])
      expect(human.code).toBe(4)
      expect(human.stderr).toContain("send nothing before then")
    }))
})

describe("authentication, signature and clock", () => {
  it("a wrong secret (-1022) exits 5 and says which secret to check", () =>
    withSim({}, async (sim) => {
      const r = await runSim(sim, ["multi-assets", "get", "--json"], { env: { BINANCE_API_SECRET: "not-the-secret" } })
      expect(r.code).toBe(5)
      expect(r.json().error).toMatchObject({ tag: "InvalidSignature", code: -1022, hint: expect.stringContaining("BINANCE_API_SECRET") })
    }))

  it("an unknown key or a key without trading permission (-2015) exits 5", () =>
    withSim({ keys: [{ apiKey: "readOnlyKey-1", secret: "read-only-secret-1", permissions: ["USER_DATA"] }] }, async (sim) => {
      const unknown = await runSim(sim, ["multi-assets", "get"], { env: { BINANCE_API_KEY: "unknownKey-1" } })
      expect(unknown.code).toBe(5)
      expect(unknown.stderr).toContain("Binance rejected the API key")
      expect(unknown.stderr).toContain("Binance -2015")
      const env = { BINANCE_API_KEY: "readOnlyKey-1", BINANCE_API_SECRET: "read-only-secret-1" }
      expect((await runSim(sim, ["multi-assets", "get"], { env })).code).toBe(0)
      const write = await runSim(sim, ["multi-assets", "on"], { env })
      expect(write.code).toBe(5)
      expect(write.stderr).toContain("permission")
      expect(await sim.apiChanges()).toEqual([])
    }))

  it("a -1021 after the clock moved is corrected by one resync and retry (exit 0, one change)", () =>
    withSim({}, async (sim) => {
      const r = await runTty(["apply", "--multi-assets", "on", "--env", "sim"], {
        sim,
        waitFor: /\[y\/N\]/,
        answer: "y",
        // The CLI measured the offset while planning; now the server's clock jumps 5 s back.
        beforeAnswer: () => sim.fault({ kind: "clockSkew", offsetMs: -5000 })
      })
      expect(r.code).toBe(0)
      expect(r.stdout).toContain("Done: 1 changed")
      const byEndpoint = await counts(sim)
      expect(byEndpoint["POST /fapi/v1/multiAssetsMargin"]).toBe(2)
      expect(byEndpoint["GET /fapi/v1/time"]).toBe(2)
      expect(await sim.apiChanges()).toHaveLength(1)
    }))
})

describe("logs", () => {
  it("--log-level debug logs to stderr; stdout stays one JSON object", () =>
    withSim({}, async (sim) => {
      const r = await run(["--log-level", "debug", "multi-assets", "get", "--env", "sim", "--json"], { sim })
      expect(r.code).toBe(0)
      expect(r.json()).toEqual({ multiAssetsMargin: false })
      expect(r.stderr).toContain("level=DEBUG")
      expect(r.stderr).toContain("GET /fapi/v1/accountConfig ok")
    }))
})

describe("network and unexpected answers", () => {
  it("an unreachable exchange exits 6 and names the URL", async () => {
    const server = http.createServer()
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    await new Promise((resolve) => server.close(resolve))
    const r = await run(["multi-assets", "get", "--base-url", url, "--json"])
    expect(r.code).toBe(6)
    expect(r.json().error).toMatchObject({ tag: "Transport", hint: expect.stringContaining(url) })
    // The most verbose logs of a failing signed write still carry no signature (checked in afterAll).
    const verbose = await run(["--log-level", "all", "multi-assets", "on", "--base-url", url])
    expect(verbose.code).toBe(6)
    expect(verbose.stderr).toContain(`Could not reach ${url}`)
  })

  it("an answer that is not Binance's shape exits 1", async () => {
    const server = http.createServer((_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end("{}"))
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const r = await run(["multi-assets", "get", "--base-url", url, "--json"])
      expect(r.code).toBe(1)
      expect(r.json().error.tag).toBe("UnexpectedResponse")
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

afterAll(() => {
  expect(leaks()).toEqual([])
})
