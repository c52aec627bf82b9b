/**
 * PostgreSQL stopped while a job applies, then started again, under one running gateway: requests
 * that need the store answer 503 with a reason and Retry-After (and send nothing upstream), /readyz
 * reports the store, and once it is back the same gateway serves again and the job ends `done` with
 * every event and audit row it reported recorded (a second gateway reads them back).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ADMIN_TOKEN, seed, start, tmpDir } from "./support/harness.js"
import { hasPostgres, startPostgres } from "./support/servers.js"

const until = async (what: string, check: () => Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe.skipIf(!hasPostgres() && !process.env.CI)("the store stops mid-apply (PostgreSQL)", () => {
  let pg: Awaited<ReturnType<typeof startPostgres>>
  beforeAll(async () => {
    pg = await startPostgres()
  }, 60_000)
  afterAll(() => pg?.stop())

  it("503 with Retry-After while it is down, /readyz says so, and the job ends done with nothing lost once it is back", async () => {
    const config = { audit: { store: "postgres", url: pg!.url }, instance: "outage" }
    const h = await start({ dataDir: tmpDir(), config, seed: seed({ marginTypes: { ETHUSDT: "ISOLATED", SOLUSDT: "ISOLATED" } }) })
    let id: string
    try {
      const c = await h.run(h.client(ADMIN_TOKEN))
      await h.control("POST", "/_sim/faults", { kind: "latency", ms: 1500, method: "POST", endpoint: "/fapi/v1/marginType" })
      const created = await h.run(c.jobs.apply({ path: { account: "demo" }, payload: { desired: { multiAssets: true }, concurrency: 1 } }))
      id = created.jobId
      await until("the first step starts", async () => (await h.run(c.jobs.get({ path: { id } }))).steps[0]!.outcome === "running")

      await pg!.pause()
      const change = await h.raw("/v1/accounts/other/multi-assets", {
        method: "PUT",
        token: ADMIN_TOKEN,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ multiAssetsMargin: true })
      })
      expect(change.status).toBe(503)
      expect(change.headers.get("retry-after")).toBe("5")
      expect(JSON.parse(change.text)).toMatchObject({ _tag: "StoreUnavailable", retryAfterSeconds: 5 })
      expect(JSON.parse(change.text).message).toContain("the audit and job store (postgres) did not answer")
      const audit = await h.raw("/v1/audit?account=demo", { token: ADMIN_TOKEN })
      expect([audit.status, audit.headers.get("retry-after")]).toEqual([503, "5"])
      const ready = await h.raw("/readyz")
      expect(ready.status).toBe(503)
      expect(JSON.parse(ready.text)).toMatchObject({ _tag: "NotReady", store: { kind: "postgres", ready: false } })
      // The step in flight ends upstream while the store is down; the job waits for the store.
      await new Promise((r) => setTimeout(r, 2000))
      expect((await h.run(c.jobs.get({ path: { id } }))).state).toBe("running")

      await pg!.resume()
      await until("/readyz answers 200", async () => (await h.raw("/readyz")).status === 200)
      await until("the job ends", async () => (await h.run(c.jobs.get({ path: { id } }))).finishedAt !== null, 20_000)
      const job = await h.run(c.jobs.get({ path: { id } }))
      expect(job.state).toBe("done")
      expect(job.steps.map((s) => s.outcome)).toEqual(["changed", "changed", "changed"])
      // The refused change was never sent: Multi-Assets Mode of "other" is still off upstream.
      expect(await h.control("GET", "/_sim/accounts/other")).toMatchObject({ multiAssetsMargin: false })
    } finally {
      await h.close()
    }

    const logs: Array<string> = []
    const second = await start({ dataDir: tmpDir(), config, logs })
    try {
      const c = await second.run(second.client(ADMIN_TOKEN))
      const job = await second.run(c.jobs.get({ path: { id } }))
      expect(job.state).toBe("done")
      expect(job.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7])
      expect(job.events.at(-1)!.event._tag).toBe("Done")
      const rows = (await second.run(c.audit.list({ urlParams: { account: "demo" } }))).rows.filter((r) => r.jobId === id)
      expect(rows.map((r) => r.outcome)).toEqual(["changed", "changed", "changed"])
      expect((await second.run(c.audit.list({ urlParams: { account: "other" } }))).rows).toEqual([])
      expect(logs.filter((l) => l.includes("left unfinished"))).toEqual([])
    } finally {
      await second.close()
    }
  }, 60_000)
})
