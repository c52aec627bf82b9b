/**
 * Apply jobs: 202 at once, progress readable and streamable (SSE ending with Done), per-step
 * outcomes, audit rows tagged with the job, a slow upstream, blockers, idempotent re-apply; durable
 * jobs: read back from the store (SQLite, PostgreSQL) by the next gateway, finished or interrupted by
 * a graceful shutdown.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { ADMIN_TOKEN, OTHER_TOKEN, READER_TOKEN, seed, start, tmpDir } from "./support/harness.js"
import { hasPostgres, startPostgres } from "./support/servers.js"

const waitDone = async (h: Awaited<ReturnType<typeof start>>, id: string, ms = 15_000) => {
  const end = Date.now() + ms
  const c = await h.run(h.client(ADMIN_TOKEN))
  while (Date.now() < end) {
    const job = await h.run(c.jobs.get({ path: { id } }))
    if ((job.state === "done" || job.state === "interrupted") && job.finishedAt !== null) return job
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`job ${id} did not finish`)
}

describe("apply jobs", () => {
  it("runs in the background through a slow upstream and reports per-step outcomes and events", async () => {
    const h = await start({ seed: seed({ marginTypes: { ETHUSDT: "ISOLATED", SOLUSDT: "ISOLATED" } }) })
    try {
      const c = await h.run(h.client(ADMIN_TOKEN))
      await h.control("POST", "/_sim/faults", { kind: "latency", ms: 1200, method: "POST", endpoint: "/fapi/v1/marginType" })
      const t0 = Date.now()
      const created = await h.run(c.jobs.apply({ path: { account: "demo" }, payload: { desired: { multiAssets: true }, concurrency: 2 } }))
      expect(Date.now() - t0).toBeLessThan(1000)
      expect(created.plan.steps.map((s) => s._tag)).toEqual(["SetMarginType", "SetMarginType", "SetMultiAssets"])
      expect(created.links.events).toBe(`/v1/jobs/${created.jobId}/events`)

      // Stream the events while the job runs (raw SSE).
      const res = await fetch(h.url + created.links.events, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      expect(res.headers.get("content-type")).toContain("text/event-stream")
      const running = await h.run(c.jobs.get({ path: { id: created.jobId } }))
      expect(["queued", "running"]).toContain(running.state)
      const sse = await res.text()
      const events = sse.split("\n\n").filter((f) => f.includes("data: ")).map((f) => JSON.parse(f.slice(f.indexOf("data: ") + 6)))
      expect(events.map((e) => e.event._tag).at(-1)).toBe("Done")
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
      expect(events.filter((e) => e.event._tag === "StepFinished").length).toBe(3)

      const job = await waitDone(h, created.jobId)
      expect(job.state).toBe("done")
      expect(job.steps.map((s) => s.outcome)).toEqual(["changed", "changed", "changed"])
      expect(job.summary).toMatchObject({ changed: 3, complete: true })
      expect(Date.now() - t0).toBeGreaterThan(1200)

      // The derived client reads the same stream as text once it ends.
      const text = await h.run(c.jobs.events({ path: { id: created.jobId } }))
      expect(text).toContain("event: Done")

      const audit = await h.run(c.audit.list({ urlParams: { account: "demo" } }))
      const rows = audit.rows.filter((r) => r.jobId === created.jobId)
      expect(rows.length).toBe(3)
      expect(rows.every((r) => r.outcome === "changed" && r.token === "admin")).toBe(true)
      expect(rows.find((r) => r.action === "set-multi-assets")).toMatchObject({ before: { multiAssetsMargin: false }, after: { multiAssetsMargin: true } })

      // Applying the same desired state again changes nothing.
      await h.control("DELETE", "/_sim/faults")
      const again = await h.run(c.jobs.apply({ path: { account: "demo" }, payload: { desired: { multiAssets: true } } }))
      expect(again.plan.steps).toEqual([])
      const done = await waitDone(h, again.jobId)
      expect(done.summary).toMatchObject({ changed: 0, complete: true })
      const state = await h.run(c.multiAssets.get({ path: { account: "demo" } }))
      expect(state.multiAssetsMargin).toBe(true)
    } finally {
      await h.close()
    }
  })

  it("stops at a blocker and explains it; scopes apply to jobs", async () => {
    const h = await start({
      seed: seed({
        marginTypes: { ETHUSDT: "ISOLATED" },
        orders: [{ symbol: "ETHUSDT", side: "BUY", type: "LIMIT", price: 1000, quantity: 1 }]
      })
    })
    try {
      const reader = await h.run(h.client(READER_TOKEN))
      const forbidden = await h.run(Effect.flip(reader.jobs.apply({ path: { account: "demo" }, payload: { desired: { multiAssets: true } } })))
      expect(forbidden).toMatchObject({ _tag: "Forbidden", reason: "scope" })

      const c = await h.run(h.client(ADMIN_TOKEN))
      const created = await h.run(c.jobs.apply({ path: { account: "demo" }, payload: { desired: { multiAssets: true } } }))
      expect(created.plan.blocked).toBe(true)
      const job = await waitDone(h, created.jobId)
      expect(job.steps[0]).toMatchObject({ outcome: "blocked", error: { tag: "PlannedBlocker", code: -4047 } })
      expect(job.steps[1]).toMatchObject({ outcome: "skipped" })
      expect(job.summary).toMatchObject({ blocked: 1, skipped: 1, complete: false })
      // A job of an account the token may not read is "not found" for it.
      expect(await h.raw(`/v1/jobs/${created.jobId}`, { token: "other-token-0123456789" })).toMatchObject({ status: 404 })
    } finally {
      await h.close()
    }
  })
})

/**
 * Two gateways one after the other on the same store (`store()` gives each test its own: a data
 * directory for SQLite, an instance name on a shared PostgreSQL).
 */
const durableJobs = (store: () => { readonly dataDir: string; readonly config: Record<string, unknown> }) => {
  it("a finished job is read back from the store with its summary, steps and events", async () => {
    const { config, dataDir } = store()
    const first = await start({ dataDir, config, seed: seed({ marginTypes: { ETHUSDT: "ISOLATED" } }) })
    let finished: Awaited<ReturnType<typeof waitDone>>
    try {
      const c = await first.run(first.client(ADMIN_TOKEN))
      const created = await first.run(c.jobs.apply({ path: { account: "demo" }, payload: { desired: { multiAssets: true } } }))
      finished = await waitDone(first, created.jobId)
      expect(finished).toMatchObject({ state: "done", desired: { multiAssets: true }, summary: { changed: 2, complete: true } })
    } finally {
      await first.close()
    }
    const logs: Array<string> = []
    const second = await start({ dataDir, config, logs })
    try {
      const c = await second.run(second.client(ADMIN_TOKEN))
      // Exactly what the first gateway showed once the job had ended.
      expect(await second.run(c.jobs.get({ path: { id: finished.id } }))).toEqual(finished)
      const reader = await second.run(second.client(READER_TOKEN))
      expect((await second.run(reader.jobs.get({ path: { id: finished.id } }))).state).toBe("done")
      const sse = await second.run(c.jobs.events({ path: { id: finished.id } }))
      expect(sse.match(/^event: \w+$/gm)).toEqual(["event: StepStarted", "event: StepFinished", "event: StepStarted", "event: StepFinished", "event: Done"])
      // Still "not found" for a token without the account.
      expect(await second.raw(`/v1/jobs/${finished.id}`, { token: OTHER_TOKEN })).toMatchObject({ status: 404 })
      expect(logs.filter((l) => l.includes("left unfinished"))).toEqual([])
    } finally {
      await second.close()
    }
  })

  it("a graceful shutdown mid-job records it as interrupted: the step in flight interrupted, the others never started", async () => {
    const { config, dataDir } = store()
    const first = await start({
      dataDir,
      seed: seed({ marginTypes: { ETHUSDT: "ISOLATED", SOLUSDT: "ISOLATED" } }),
      config: { ...config, shutdownGraceMs: 200 }
    })
    let id: string
    try {
      const c = await first.run(first.client(ADMIN_TOKEN))
      await first.control("POST", "/_sim/faults", { kind: "latency", ms: 20_000, method: "POST", endpoint: "/fapi/v1/marginType" })
      const created = await first.run(c.jobs.apply({ path: { account: "demo" }, payload: { desired: { multiAssets: true }, concurrency: 1 } }))
      id = created.jobId
      const end = Date.now() + 10_000
      while ((await first.run(c.jobs.get({ path: { id } }))).steps[0]!.outcome !== "running") {
        if (Date.now() > end) throw new Error("the first step never started")
        await new Promise((r) => setTimeout(r, 25))
      }
    } finally {
      const t0 = Date.now()
      await first.close()
      expect(Date.now() - t0).toBeLessThan(5000)
    }
    const logs: Array<string> = []
    const second = await start({ dataDir, config, logs })
    try {
      const c = await second.run(second.client(ADMIN_TOKEN))
      const job = await second.run(c.jobs.get({ path: { id } }))
      expect(job).toMatchObject({ id, state: "interrupted", token: "admin", desired: { multiAssets: true }, summary: null, concurrency: 1 })
      expect(job.startedAt).not.toBeNull()
      expect(job.finishedAt).toBeGreaterThanOrEqual(job.startedAt!)
      expect(job.plan.steps.map((s) => s._tag)).toEqual(["SetMarginType", "SetMarginType", "SetMultiAssets"])
      expect(job.steps.map((s) => s.outcome)).toEqual(["interrupted", "pending", "pending"])
      expect(job.steps[0]!.error).toMatchObject({ tag: "Interrupted", code: null })
      expect(job.steps[0]!.error!.message).toContain("re-read the account")
      expect(job.events.map((e) => e.event)).toEqual([{ _tag: "StepStarted", index: 1 }])
      const sse = await second.run(c.jobs.events({ path: { id } }))
      expect(sse).toContain("event: Interrupted")
      // Recorded by the shutdown itself: the restart had nothing left to mark.
      expect(logs.filter((l) => l.includes("left unfinished"))).toEqual([])
      const audit = await second.run(c.audit.list({ urlParams: { account: "demo" } }))
      expect(audit.rows.filter((r) => r.jobId === id).map((r) => r.outcome)).toEqual(["interrupted"])
    } finally {
      await second.close()
    }
  })
}

describe("durable jobs on SQLite (a second gateway on the same data directory)", () => {
  durableJobs(() => ({ dataDir: tmpDir(), config: {} }))
})

describe.skipIf(!hasPostgres() && !process.env.CI)("durable jobs on PostgreSQL (a second gateway on the same database)", () => {
  let pg: Awaited<ReturnType<typeof startPostgres>>
  let n = 0
  beforeAll(async () => {
    pg = await startPostgres()
  }, 60_000)
  afterAll(() => pg?.stop())
  durableJobs(() => ({ dataDir: tmpDir(), config: { audit: { store: "postgres", url: pg!.url }, instance: `jobs-${++n}` } }))
})
