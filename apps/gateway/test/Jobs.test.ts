/**
 * Apply jobs: 202 at once, progress readable and streamable (SSE ending with Done), per-step
 * outcomes, audit rows tagged with the job, a slow upstream, blockers, idempotent re-apply.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { ADMIN_TOKEN, READER_TOKEN, seed, start } from "./support/harness.js"

const waitDone = async (h: Awaited<ReturnType<typeof start>>, id: string, ms = 15_000) => {
  const end = Date.now() + ms
  const c = await h.run(h.client(ADMIN_TOKEN))
  while (Date.now() < end) {
    const job = await h.run(c.jobs.get({ path: { id } }))
    if (job.state === "done" || job.state === "interrupted") return job
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
