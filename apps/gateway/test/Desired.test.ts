/**
 * Configuration as code in the gateway: desired states stored and read back, drift (in sync, drifted
 * with its plan, blocked with what blocks it), policies refusing writes and desired states whoever
 * sends them, and automatic reconcile bringing an account changed elsewhere back to its desired state.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Runtime from "effect/Runtime"
import * as fs from "node:fs"
import * as path from "node:path"
import { ADMIN_TOKEN, type Harness, READER_TOKEN, seed, start, tmpDir, until } from "./support/harness.js"

const json = (h: Harness, path: string, init: RequestInit & { token?: string } = {}) =>
  h.raw(path, { ...init, headers: { "content-type": "application/json", ...init.headers } }).then((r) => ({ ...r, body: JSON.parse(r.text) }))

const put = (h: Harness, path: string, body: unknown, token = ADMIN_TOKEN) => json(h, path, { method: "PUT", token, body: JSON.stringify(body) })

const accounts = (demo: Record<string, unknown>) => ({
  accounts: [
    { name: "demo", baseUrl: "http://sim.invalid", apiKeyEnv: "GW_DEMO_KEY", apiSecretEnv: "GW_DEMO_SECRET", ...demo },
    { name: "other", baseUrl: "http://sim.invalid", apiKeyEnv: "GW_OTHER_KEY", apiSecretEnv: "GW_OTHER_SECRET" }
  ]
})

describe.sequential("desired state and drift", () => {
  let h: Harness
  beforeAll(async () => {
    h = await start({
      seed: seed({ orders: [{ symbol: "SOLUSDT", side: "BUY", type: "LIMIT", price: 100, quantity: 1 }] }),
      config: { cacheTtlMs: 0, ...accounts({ policy: { marginTypes: ["CROSSED", "ISOLATED"], multiAssets: false, maxLeverage: 20 } }) }
    })
  })
  afterAll(() => h.close())

  it("stores a desired state (write scope), reads it back, refuses a contradictory one naming the field", async () => {
    expect((await json(h, "/v1/accounts/demo/desired", { token: READER_TOKEN })).body).toMatchObject({ desired: null, reconcile: "off" })
    const desired = { marginTypes: { symbols: [{ symbol: "ETHUSDT", marginType: "ISOLATED" }] } }
    expect((await put(h, "/v1/accounts/demo/desired", { desired }, READER_TOKEN)).status).toBe(403)
    const set = await put(h, "/v1/accounts/demo/desired", { desired })
    expect(set.status).toBe(200)
    expect(set.body).toMatchObject({ account: "demo", desired, setBy: "admin" })
    expect((await json(h, "/v1/accounts/demo/desired", { token: READER_TOKEN })).body.desired).toEqual(desired)
    const bad = await put(h, "/v1/accounts/other/desired", { desired: { multiAssets: true, marginTypes: { all: "ISOLATED" } } })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ _tag: "InvalidRequest", field: "desired" })
  })

  it("drift: drifted with its plan, in sync once applied, blocked with what blocks it", async () => {
    const drifted = await json(h, "/v1/accounts/demo/drift", { token: READER_TOKEN })
    expect(drifted.body).toMatchObject({ account: "demo", status: "drifted" })
    expect(drifted.body.plan.steps.map((s: { symbol: string }) => s.symbol)).toEqual(["ETHUSDT"])
    expect((await put(h, "/v1/accounts/demo/margin-types/ETHUSDT", { marginType: "ISOLATED" })).status).toBe(200)
    expect((await json(h, "/v1/accounts/demo/drift", { token: READER_TOKEN })).body).toMatchObject({ status: "in-sync", plan: null })
    await put(h, "/v1/accounts/demo/desired", { desired: { marginTypes: { symbols: [{ symbol: "SOLUSDT", marginType: "ISOLATED" }] } } })
    const blocked = await json(h, "/v1/accounts/demo/drift", { token: READER_TOKEN })
    expect(blocked.body.status).toBe("blocked")
    expect(blocked.body.lines.join("\n")).toMatch(/SOLUSDT/)
    const fleet = await json(h, "/v1/drift", { token: READER_TOKEN })
    expect(fleet.body.accounts.map((d: { account: string; status: string }) => [d.account, d.status])).toEqual([["demo", "blocked"], ["other", "unknown"]])
    await until(async () => ((await h.metric('marginctl_gateway_drift{account="demo",status="blocked"}')) === 1 ? true : undefined))
  })

  it("the account's policy refuses a write, a job and a desired state that break it, naming the rule", async () => {
    const write = await put(h, "/v1/accounts/demo/multi-assets", { multiAssetsMargin: true })
    expect(write.status).toBe(409)
    expect(write.body).toMatchObject({ _tag: "PolicyViolation", rule: "multiAssets" })
    const job = await json(h, "/v1/accounts/demo/jobs", { method: "POST", token: ADMIN_TOKEN, body: JSON.stringify({ desired: { multiAssets: true } }) })
    expect(job.body).toMatchObject({ _tag: "PolicyViolation", rule: "multiAssets" })
    const desired = await put(h, "/v1/accounts/demo/desired", { desired: { multiAssets: true } })
    expect(desired.status).toBe(409)
    const leverage = await put(h, "/v1/accounts/demo/desired", { desired: { leverage: { symbols: [{ symbol: "BTCUSDT", leverage: 50 }] } } })
    expect(leverage.body).toMatchObject({ _tag: "PolicyViolation", rule: "maxLeverage" })
    expect(leverage.body.message).toMatch(/BTCUSDT/)
    const counts = (await h.control("GET", "/_sim/requests/count")) as { byPath: Record<string, number> }
    expect(counts.byPath["/fapi/v1/multiAssetsMargin"] ?? 0).toBe(0)
  })
})

describe.sequential("automatic reconcile", () => {
  let h: Harness
  beforeAll(async () => {
    h = await start({
      config: {
        stream: { enabled: true, positionModePollMs: 60_000 },
        reconcileIntervalMs: 1000,
        ...accounts({ reconcile: "auto" })
      }
    })
    await until(async () => (JSON.parse((await h.raw("/readyz")).text).streams?.[0]?.mode === "live" ? true : undefined))
  })
  afterAll(() => h.close())

  it("an account changed elsewhere is brought back to its desired state by an audited job", async () => {
    expect((await put(h, "/v1/accounts/demo/desired", { desired: { marginTypes: { all: "CROSSED" } } })).status).toBe(200)
    await until(async () => ((await json(h, "/v1/accounts/demo/drift", { token: READER_TOKEN })).body.status === "in-sync" ? true : undefined))
    const t0 = Date.now()
    await h.control("PUT", "/_sim/accounts/demo/settings", { marginTypes: { BTCUSDT: "ISOLATED" } })
    await until(async () => {
      const account = (await h.control("GET", "/_sim/accounts/demo")) as Record<string, unknown>
      const rows = (await json(h, "/v1/audit?account=demo&token=(reconcile)", { token: ADMIN_TOKEN })).body.rows as Array<{ outcome: string }>
      return rows.some((r) => r.outcome === "changed") && !JSON.stringify(account).includes("ISOLATED") ? true : undefined
    })
    console.log(`reconciled ${Date.now() - t0} ms after the change elsewhere`)
    const external = (await json(h, "/v1/audit?account=demo&origin=external", { token: ADMIN_TOKEN })).body.rows
    expect(external.some((r: { action: string }) => r.action === "set-margin-type")).toBe(true)
    await until(async () => ((await json(h, "/v1/accounts/demo/drift", { token: READER_TOKEN })).body.status === "in-sync" ? true : undefined))
  })
})

describe("an account that cannot leave Multi-Assets Mode", () => {
  let h: Harness
  beforeAll(async () => {
    h = await start({ seed: seed({ creditsLock: true, balances: { USDT: 1000, BNFCR: 100 } }) })
  })
  afterAll(() => h.close())

  it("is locked rather than blocked, with what that means", async () => {
    expect((await put(h, "/v1/accounts/demo/desired", { desired: { multiAssets: false } })).status).toBe(200)
    const drift = (await json(h, "/v1/accounts/demo/drift", { token: READER_TOKEN })).body
    expect(drift).toMatchObject({ status: "locked" })
    expect(drift.detail).toMatch(/Credits Trading Mode/)
  })
})

describe("a fleet file named by the configuration", () => {
  it("stores the desired state of every account it names at start; a bad entry stops the start, naming it", async () => {
    const dir = tmpDir("mgw-fleet-")
    const good = path.join(dir, "fleet.yaml")
    fs.writeFileSync(good, ["accounts:", "  \"o*\":", "    marginTypes: { \"*\": CROSSED }", "  demo:", "    positionMode: one-way", ""].join("\n"))
    const h = await start({ config: { fleetFile: good } })
    try {
      const demo = (await json(h, "/v1/accounts/demo/desired", { token: READER_TOKEN })).body
      expect(demo).toMatchObject({ setBy: "(fleet file)", desired: { positionMode: "one-way" } })
      const other = (await json(h, "/v1/accounts/other/desired", { token: READER_TOKEN })).body
      expect(other).toMatchObject({ setBy: "(fleet file)", desired: { marginTypes: { all: "CROSSED" } } })
    } finally {
      await h.close()
    }
    const bad = path.join(dir, "bad.yaml")
    fs.writeFileSync(bad, ["accounts:", "  demo:", "    leverage: { BTCUSDT: 500 }", ""].join("\n"))
    const refused = await start({ config: { fleetFile: bad } }).then(() => undefined, (e: unknown) => e)
    expect(Runtime.isFiberFailure(refused)).toBe(true)
    const error = Cause.squash((refused as Runtime.FiberFailure)[Runtime.FiberFailureCauseId]) as { field: string; message: string }
    expect(error).toMatchObject({ _tag: "ConfigError", field: `${bad}: accounts.demo.leverage.BTCUSDT` })
    expect(error.message).toMatch(/whole number from 1 to 125/)
  })
})
