/**
 * The contract end to end, in process: a client derived from GatewayApi → the gateway on 127.0.0.1 →
 * the simulator's in-process HttpClient. Every status code, scopes, writes, audit rows, cache.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import {
  ADMIN_TOKEN,
  DEMO_ONLY_TOKEN,
  type Harness,
  OTHER_TOKEN,
  READER_TOKEN,
  seed,
  start
} from "./support/harness.js"

const fail = <A, E, R>(e: Effect.Effect<A, E, R>) => Effect.flip(e)

describe("gateway API (in process)", () => {
  let h: Harness
  beforeAll(async () => {
    h = await start({
      seed: seed({ marginTypes: { ETHUSDT: "ISOLATED" }, orders: [{ symbol: "SOLUSDT", side: "BUY", type: "LIMIT", price: 100, quantity: 1 }] }),
      config: { corsOrigins: ["chrome-extension://abcdefghijklmnopabcdefghijklmnop"] }
    })
  })
  afterAll(() => h.close())

  const as = (token?: string) => h.client(token)

  it("lists only the accounts a token may touch", async () => {
    const all = await h.run(Effect.flatMap(as(ADMIN_TOKEN), (c) => c.accounts.list()))
    expect(all.accounts.map((a) => a.name)).toEqual(["demo", "other"])
    expect(all.accounts[0]!.keyType).toBe("HMAC")
    const one = await h.run(Effect.flatMap(as(DEMO_ONLY_TOKEN), (c) => c.accounts.list()))
    expect(one.accounts.map((a) => a.name)).toEqual(["demo"])
  })

  it("401 without a token or with an unknown one, with WWW-Authenticate", async () => {
    const e = await h.run(fail(Effect.flatMap(as(), (c) => c.multiAssets.get({ path: { account: "demo" } }))))
    expect(e._tag).toBe("Unauthenticated")
    const bad = await h.run(fail(Effect.flatMap(as("nope-0000"), (c) => c.accounts.list())))
    expect(bad._tag).toBe("Unauthenticated")
    const r = await h.raw("/v1/accounts/demo/multi-assets", { token: "nope-0000" })
    expect(r.status).toBe(401)
    expect(r.headers.get("www-authenticate")).toContain("Bearer")
  })

  it("403 for a missing scope or an account the token may not touch", async () => {
    const scope = await h.run(fail(Effect.flatMap(as(READER_TOKEN), (c) =>
      c.multiAssets.set({ path: { account: "demo" }, payload: { multiAssetsMargin: true } }))))
    expect(scope).toMatchObject({ _tag: "Forbidden", reason: "scope" })
    const account = await h.run(fail(Effect.flatMap(as(DEMO_ONLY_TOKEN), (c) => c.multiAssets.get({ path: { account: "other" } }))))
    expect(account).toMatchObject({ _tag: "Forbidden", reason: "account" })
    // Also when the entry is cached (the hot path falls through to the full path).
    await h.run(Effect.flatMap(as(ADMIN_TOKEN), (c) => c.multiAssets.get({ path: { account: "other" } })))
    const cached = await h.raw("/v1/accounts/other/multi-assets", { token: DEMO_ONLY_TOKEN })
    expect(cached.status).toBe(403)
    const unknown = await h.run(fail(Effect.flatMap(as(OTHER_TOKEN), (c) => c.multiAssets.get({ path: { account: "ghost" } }))))
    expect(unknown).toMatchObject({ _tag: "Forbidden", reason: "account" })
  })

  it("404 for an unknown account, symbol or job", async () => {
    const c = await h.run(as(ADMIN_TOKEN))
    const account = await h.run(fail(c.multiAssets.get({ path: { account: "ghost" } })))
    expect(account).toMatchObject({ _tag: "NotFound", resource: "account", name: "ghost" })
    const symbol = await h.run(fail(c.marginTypes.list({ path: { account: "demo" }, urlParams: { symbols: ["BTCUSDT", "FOOUSDT"] as never } })))
    expect(symbol).toMatchObject({ _tag: "NotFound", resource: "symbol", name: "FOOUSDT" })
    const put = await h.run(fail(c.marginTypes.set({ path: { account: "demo", symbol: "FOOUSDT" as never }, payload: { marginType: "ISOLATED" } })))
    expect(put).toMatchObject({ _tag: "NotFound", resource: "symbol" })
    const job = await h.run(fail(c.jobs.get({ path: { id: "job_doesnotexist" } })))
    expect(job).toMatchObject({ _tag: "NotFound", resource: "job" })
    const desired = await h.run(fail(c.jobs.plan({
      path: { account: "demo" },
      payload: { desired: { marginTypes: { symbols: [{ symbol: "FOOUSDT" as never, marginType: "ISOLATED" }] } } }
    })))
    expect(desired).toMatchObject({ _tag: "NotFound", resource: "symbol", name: "FOOUSDT" })
  })

  it("400 naming the field for invalid input", async () => {
    const body = await h.raw("/v1/accounts/demo/multi-assets", {
      method: "PUT",
      token: ADMIN_TOKEN,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ multiAssetsMargin: "yes" })
    })
    expect(body.status).toBe(400)
    const decoded = JSON.parse(body.text)
    expect(decoded._tag).toBe("HttpApiDecodeError")
    expect(decoded.issues[0].path).toEqual(["multiAssetsMargin"])
    expect(decoded.message).toContain("multiAssetsMargin must be true or false")

    const type = await h.raw("/v1/accounts/demo/margin-types/BTCUSDT", {
      method: "PUT",
      token: ADMIN_TOKEN,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ marginType: "both" })
    })
    expect(type.status).toBe(400)
    expect(JSON.parse(type.text).issues[0].path).toEqual(["marginType"])
    expect(type.text).toContain("ISOLATED, CROSSED")

    const symbols = await h.raw("/v1/accounts/demo/margin-types?symbols=BTC-USDT", { token: ADMIN_TOKEN })
    expect(symbols.status).toBe(400)
    expect(JSON.parse(symbols.text).issues[0].path[0]).toBe("symbols")

    const account = await h.raw("/v1/accounts/bad%20name/multi-assets", { token: ADMIN_TOKEN })
    expect(account.status).toBe(400)
    expect(JSON.parse(account.text).issues[0].path).toEqual(["account"])

    const notJson = await h.raw("/v1/accounts/demo/plan", {
      method: "POST",
      token: ADMIN_TOKEN,
      headers: { "content-type": "application/json" },
      body: "{\"desired\":"
    })
    expect(notJson.status).toBe(400)
    expect(JSON.parse(notJson.text)).toEqual({ _tag: "InvalidRequest", field: "body", message: "the body is not valid JSON" })

    const route = await h.raw("/v1/nowhere", { token: ADMIN_TOKEN })
    expect(route.status).toBe(404)
    expect(JSON.parse(route.text)).toMatchObject({ _tag: "RouteNotFound" })

    const limit = await h.raw("/v1/audit?limit=1000", { token: ADMIN_TOKEN })
    expect(limit.status).toBe(400)
    expect(JSON.parse(limit.text).issues[0].path).toEqual(["limit"])

    const c = await h.run(as(ADMIN_TOKEN))
    const contradictory = await h.run(fail(c.jobs.plan({
      path: { account: "demo" },
      payload: { desired: { multiAssets: true, marginTypes: { all: "ISOLATED" } } }
    })))
    expect(contradictory).toMatchObject({ _tag: "InvalidRequest", field: "desired" })
    expect((contradictory as { message: string }).message).toContain("Multi-Assets Mode allows only cross margin")
  })

  it("413 for a body over the limit", async () => {
    const r = await h.raw("/v1/accounts/demo/plan", {
      method: "POST",
      token: ADMIN_TOKEN,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ desired: {}, pad: "x".repeat(70 * 1024) })
    })
    expect(r.status).toBe(413)
    expect(JSON.parse(r.text)).toMatchObject({ _tag: "PayloadTooLarge", limitBytes: 65536 })
  })

  it("409 with the reason and the fix when an exchange rule blocks the change", async () => {
    const c = await h.run(as(ADMIN_TOKEN))
    const blocked = await h.run(fail(c.multiAssets.set({ path: { account: "demo" }, payload: { multiAssetsMargin: true } })))
    expect(blocked).toMatchObject({ _tag: "BlockedByRule", code: -4167, reason: "isolated-symbols" })
    expect((blocked as { fix: string }).fix).toContain("ISOLATED")
    const orders = await h.run(fail(c.marginTypes.set({ path: { account: "demo", symbol: "SOLUSDT" as never }, payload: { marginType: "ISOLATED" } })))
    expect(orders).toMatchObject({ _tag: "BlockedByRule", code: -4047, reason: "open-orders", symbol: "SOLUSDT" })
    expect((orders as { fix: string }).fix).toContain("cancel")
    const rows = await h.run(Effect.flatMap(as(ADMIN_TOKEN), (cl) => cl.audit.list({ urlParams: { outcome: "blocked" } })))
    expect(rows.rows.map((r) => r.code).sort()).toEqual([-4167, -4047].sort())
    expect(rows.rows.every((r) => r.token === "admin" && r.account === "demo")).toBe(true)
  })

  it("writes: changed then unchanged, cache invalidated, audit before/after", async () => {
    const c = await h.run(as(ADMIN_TOKEN))
    // People's spellings are accepted: lower-case symbols, "isolated".
    const before = JSON.parse((await h.raw("/v1/accounts/demo/margin-types?symbols=btcusdt,%20ethusdt", { token: ADMIN_TOKEN })).text)
    expect(before.marginTypes).toEqual([{ symbol: "BTCUSDT", marginType: "CROSSED" }, { symbol: "ETHUSDT", marginType: "ISOLATED" }])
    const put = await h.raw("/v1/accounts/demo/margin-types/btcusdt", {
      method: "PUT",
      token: ADMIN_TOKEN,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ marginType: "isolated" })
    })
    expect(put.status).toBe(200)
    const first = JSON.parse(put.text)
    expect(first).toMatchObject({ symbol: "BTCUSDT", marginType: "ISOLATED", outcome: "changed", reconciled: false })
    const second = await h.run(c.marginTypes.set({ path: { account: "demo", symbol: "BTCUSDT" as never }, payload: { marginType: "ISOLATED" } }))
    expect(second.outcome).toBe("unchanged")
    const after = await h.run(c.marginTypes.list({ path: { account: "demo" }, urlParams: { symbols: ["BTCUSDT"] as never } }))
    expect(after.marginTypes[0]!.marginType).toBe("ISOLATED")
    const page = await h.run(c.audit.list({ urlParams: { account: "demo", limit: 500 } }))
    const row = page.rows.find((r) => r.id === first.auditId)!
    expect(row).toMatchObject({
      action: "set-margin-type",
      token: "admin",
      outcome: "changed",
      request: { symbol: "BTCUSDT", marginType: "ISOLATED" },
      before: { symbol: "BTCUSDT", marginType: "CROSSED" },
      after: { symbol: "BTCUSDT", marginType: "ISOLATED" },
      code: null,
      jobId: null
    })
    expect(row.finishedAt).not.toBeNull()
  })

  it("plans with steps, weights, blockers and fixes", async () => {
    const c = await h.run(as(READER_TOKEN))
    const r = await h.run(c.jobs.plan({ path: { account: "demo" }, payload: { desired: { multiAssets: true } } }))
    expect(r.plan.steps.map((s) => s._tag)).toContain("SetMultiAssets")
    const on = r.plan.steps.find((s) => s._tag === "SetMultiAssets")!
    expect(on.weight).toBe(1)
    expect(on.blockers[0]).toMatchObject({ code: -4170, reason: "open-orders" })
    expect(on.blockers[0]!.fix).toContain("cancel")
    expect(r.lines.join("\n")).toContain("blocked")
    expect(r.plan.readWeight).toBeGreaterThan(0)
  })

  it("status summarises the account with budget and clock", async () => {
    const c = await h.run(as(ADMIN_TOKEN))
    const s = await h.run(c.accounts.status({ path: { account: "demo" } }))
    expect(s.openOrders).toEqual([{ symbol: "SOLUSDT", count: 1 }])
    expect(s.budget.limit).toBe(2400)
    expect(s.budget.used).toBeGreaterThan(0)
  })

  it("CORS is closed except for configured extension origins", async () => {
    const allowed = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    const ok = await h.raw("/v1/accounts", { token: ADMIN_TOKEN, headers: { origin: allowed } })
    expect(ok.headers.get("access-control-allow-origin")).toBe(allowed)
    const other = await h.raw("/v1/accounts", { token: ADMIN_TOKEN, headers: { origin: "https://evil.example" } })
    expect(other.headers.get("access-control-allow-origin")).toBeNull()
    const preflight = await h.raw("/v1/accounts/demo/multi-assets", {
      method: "OPTIONS",
      headers: { origin: allowed, "access-control-request-method": "PUT", "access-control-request-headers": "authorization" }
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization")
    const denied = await h.raw("/v1/accounts/demo/multi-assets", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "PUT" }
    })
    expect(denied.headers.get("access-control-allow-origin")).toBeNull()
  })

  it("serves the OpenAPI document and a self-contained docs page", async () => {
    const spec = JSON.parse((await h.raw("/openapi.json")).text)
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining([
      "/v1/accounts",
      "/v1/accounts/{account}/multi-assets",
      "/v1/accounts/{account}/margin-types/{symbol}",
      "/v1/accounts/{account}/jobs",
      "/v1/jobs/{id}/events",
      "/v1/audit",
      "/readyz",
      "/metrics"
    ]))
    expect(Object.keys(spec.paths["/v1/accounts/{account}/multi-assets"].put.responses).sort()).toEqual(
      ["200", "400", "401", "403", "404", "409", "413", "429", "502", "503", "504"]
    )
    const docs = await h.raw("/docs")
    expect(docs.status).toBe(200)
    expect(docs.text).toContain("SwaggerUIBundle")
    // Nothing loaded from elsewhere: no external script or stylesheet.
    expect(docs.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=["']https?:/)
  })

  it("healthz, readyz and Prometheus metrics", async () => {
    const c = await h.run(as())
    expect((await h.run(c.health.healthz())).status).toBe("ok")
    const ready = await h.run(c.health.readyz())
    expect(ready.accounts.every((a) => a.ready)).toBe(true)
    const text = await h.run(c.health.metrics())
    expect(text).toContain("marginctl_gateway_requests_total{route=\"/v1/accounts/:account/multi-assets\",method=\"GET\",status=\"200\"}")
    expect(text).toContain("marginctl_gateway_request_duration_seconds_bucket")
    expect(text).toMatch(/marginctl_gateway_cache_hits_total \d+/)
    expect(text).toMatch(/marginctl_gateway_upstream_weight_remaining\{upstream="sim.invalid"\} \d+/)
    expect(text).toContain("marginctl_gateway_upstream_429_total 0")
    // The text format: one HELP and TYPE per family; a histogram's +Inf bucket is its count.
    const types = text.split("\n").filter((l) => l.startsWith("# TYPE "))
    expect(new Set(types).size).toBe(types.length)
    expect(types).toContain("# TYPE marginctl_gateway_request_duration_seconds histogram")
    expect(types).toContain("# TYPE marginctl_gateway_upstream_weight_remaining gauge")
    expect(text).toMatch(/# HELP marginctl_gateway_audit_writes_total Audit rows written, by phase\n# TYPE \S+ counter\n\S+\{phase="started"\} [1-9]/)
    const series = `route="/v1/accounts/:account/multi-assets"`
    const inf = new RegExp(`_duration_seconds_bucket\\{${series},le="\\+Inf"\\} (\\d+)`).exec(text)?.[1]
    const count = new RegExp(`_duration_seconds_count\\{${series}\\} (\\d+)`).exec(text)?.[1]
    expect(Number(inf)).toBeGreaterThan(0)
    expect(inf).toBe(count)
  })
})
