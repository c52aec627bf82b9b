/**
 * Live truth through the user-data stream (the simulator's, in process): a change made elsewhere is
 * in the cache at once and needs no upstream read, is audited `external` and counted, and shows on the
 * events stream; the gateway's own changes stay `gateway`; position mode is polled; a dropped
 * connection or an expired key ends with the gateway's view equal to the exchange's, changes made
 * meanwhile found by the re-read.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { followEvents } from "./support/events.js"
import { ADMIN_TOKEN, type Harness, READER_TOKEN, start, until } from "./support/harness.js"

/** The events stream of an account: frames as they arrive. */
const events = (h: Harness, account: string, token = READER_TOKEN) => followEvents(h.url, account, token)

const streamOf = async (h: Harness, account: string) => {
  const res = await h.raw("/readyz")
  return (JSON.parse(res.text).streams as Array<{ account: string; mode: string; holder: string | null }>).find((s) => s.account === account)
}

const settingsReads = async (h: Harness) => {
  const counts = (await h.control("GET", "/_sim/requests/count")) as { byPath: Record<string, number> }
  return ["/fapi/v1/accountConfig", "/fapi/v1/symbolConfig", "/fapi/v1/multiAssetsMargin"].reduce((n, p) => n + (counts.byPath[p] ?? 0), 0)
}

const auditRows = async (h: Harness, query = "") =>
  JSON.parse((await h.raw(`/v1/audit?account=demo${query}`, { token: ADMIN_TOKEN })).text).rows as Array<Record<string, any>>

// The tests change one account one after another.
describe.sequential("live truth: the user-data stream", () => {
  let h: Harness
  beforeAll(async () => {
    h = await start({ config: { stream: { enabled: true, positionModePollMs: 1000 } } })
    await until(async () => ((await streamOf(h, "demo"))?.mode === "live" ? true : undefined))
  })
  afterAll(() => h.close())

  it("/readyz shows each account's stream live, held by this instance", async () => {
    const s = await streamOf(h, "demo")
    expect(s).toMatchObject({ mode: "live", holder: h.config.instance })
  })

  it("a change made elsewhere is served at once, without an upstream read, audited external and counted", async () => {
    const get = async () => JSON.parse((await h.raw("/v1/accounts/demo/multi-assets", { token: READER_TOKEN })).text)
    expect((await get()).multiAssetsMargin).toBe(false)
    const reads = await settingsReads(h)
    const t0 = Date.now()
    await h.control("PUT", "/_sim/accounts/demo/settings", { multiAssetsMargin: true })
    const seen = await until(async () => {
      const r = await get()
      return r.multiAssetsMargin === true ? r : undefined
    }, 1000)
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(seen.ageMs).toBe(0)
    expect(await settingsReads(h)).toBe(reads)
    const row = await until(async () => (await auditRows(h, "&origin=external")).find((r) => r.action === "set-multi-assets"))
    expect(row).toMatchObject({ token: "(external)", outcome: "changed", origin: "external", request: { multiAssetsMargin: true }, before: { multiAssetsMargin: false } })
    expect(await h.metric("marginctl_gateway_external_changes_total")).toBeGreaterThanOrEqual(1)
    await h.control("PUT", "/_sim/accounts/demo/settings", { multiAssetsMargin: false })
    await until(async () => ((await get()).multiAssetsMargin === false ? true : undefined))
  })

  it("the gateway's own change is not external; the events stream tells both kinds, whoever reads", async () => {
    const stream = events(h, "demo")
    await until(async () => (stream.frames.length > 0 ? true : undefined))
    expect(stream.frames[0]).toMatchObject({ event: "state", data: { account: "demo", mode: "live" } })
    const put = await h.raw("/v1/accounts/demo/margin-types/BTCUSDT", {
      method: "PUT",
      token: ADMIN_TOKEN,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ marginType: "ISOLATED" })
    })
    expect(put.status).toBe(200)
    await h.control("PUT", "/_sim/accounts/demo/settings", { leverage: { ETHUSDT: 7 } })
    const own = await until(async () => stream.frames.find((f) => f.event === "change" && f.data._tag === "MarginType"))
    expect(own.data).toMatchObject({ symbol: "BTCUSDT", marginType: "ISOLATED", origin: "gateway", via: "stream" })
    const lev = await until(async () => stream.frames.find((f) => f.event === "change" && f.data._tag === "Leverage"))
    expect(lev.data).toMatchObject({ symbol: "ETHUSDT", leverage: 7, origin: "external" })
    expect((await auditRows(h, "&origin=external")).some((r) => r.action === "set-margin-type")).toBe(false)
    await stream.close()
  })

  it("position mode, which has no event, is found by the poll", async () => {
    const stream = events(h, "demo")
    await h.control("PUT", "/_sim/accounts/demo/settings", { dualSidePosition: true })
    const found = await until(async () => stream.frames.find((f) => f.event === "change" && f.data._tag === "PositionMode"), 4000)
    expect(found.data).toMatchObject({ dualSidePosition: true, origin: "external", via: "poll" })
    await h.control("PUT", "/_sim/accounts/demo/settings", { dualSidePosition: false })
    await stream.close()
  })

  for (const fault of ["drop", "expire"] as const) {
    it(`after a ${fault === "drop" ? "dropped connection" : "key expired"}, a change made meanwhile is found by the re-read`, async () => {
      const stream = events(h, "demo")
      await until(async () => (stream.frames.length > 0 ? true : undefined))
      const t0 = Date.now()
      await h.control("POST", `/_sim/stream/${fault}`, { account: "demo" })
      await until(async () => stream.frames.find((f) => f.event === "state" && f.data.mode === "polling"))
      await h.control("PUT", "/_sim/accounts/demo/settings", { marginTypes: { SOLUSDT: "ISOLATED" } })
      const found = await until(async () => stream.frames.find((f) => f.event === "change" && f.data.symbol === "SOLUSDT"), 10_000)
      expect(found.data).toMatchObject({ marginType: "ISOLATED", origin: "external" })
      await until(async () => ((await streamOf(h, "demo"))?.mode === "live" ? true : undefined))
      const exchange = (await h.control("GET", "/_sim/accounts/demo")) as { symbols?: Record<string, { marginType: string }> }
      const served = JSON.parse((await h.raw("/v1/accounts/demo/margin-types?symbols=SOLUSDT", { token: READER_TOKEN })).text)
      expect(served.marginTypes[0].marginType).toBe("ISOLATED")
      expect(JSON.stringify(exchange)).toContain("SOLUSDT")
      console.log(`${fault}: view equal to the exchange's after ${Date.now() - t0} ms`)
      await h.control("PUT", "/_sim/accounts/demo/settings", { marginTypes: { SOLUSDT: "CROSSED" } })
      await stream.close()
    })
  }
})
