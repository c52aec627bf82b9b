/**
 * Position mode and leverage through the gateway: a plan refuses a leverage above the symbol's
 * maximum before anything is sent (the leverage brackets are read only when leverage is asked), and
 * an apply job changes both, audited like the other changes and idempotent on a second apply.
 */
import { describe, expect, it } from "@effect/vitest"
import { ADMIN_TOKEN, seed, start } from "./support/harness.js"

const waitDone = async (h: Awaited<ReturnType<typeof start>>, id: string, ms = 15_000) => {
  const end = Date.now() + ms
  const c = await h.run(h.client(ADMIN_TOKEN))
  while (Date.now() < end) {
    const job = await h.run(c.jobs.get({ path: { id } }))
    if (job.state === "done" && job.finishedAt !== null) return job
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`job ${id} did not finish`)
}

describe("position mode and leverage jobs", () => {
  it("plans with the symbol's maximum, applies both, audits them, and changes nothing the second time", async () => {
    const h = await start({ seed: seed({ leverage: { BTCUSDT: 20 } }) })
    try {
      const c = await h.run(h.client(ADMIN_TOKEN))
      const over = await h.run(c.jobs.plan({ path: { account: "demo" }, payload: { desired: { leverage: { symbols: [{ symbol: "BNBUSDT" as any, leverage: 100 }] } } } }))
      expect(over.plan.steps[0]?.blockers.map((b) => [b.code, b.reason, b.symbol])).toEqual([[-4028, "leverage-above-max", "BNBUSDT"]])

      const desired = { positionMode: "hedge" as const, leverage: { symbols: [{ symbol: "BTCUSDT" as any, leverage: 50 }] } }
      const created = await h.run(c.jobs.apply({ path: { account: "demo" }, payload: { desired } }))
      expect(created.plan.steps.map((s) => s._tag)).toEqual(["SetPositionMode", "SetLeverage"])
      const job = await waitDone(h, created.jobId)
      expect(job.summary).toMatchObject({ changed: 2, complete: true })
      const audit = await h.run(c.audit.list({ urlParams: { account: "demo" } }))
      const rows = audit.rows.filter((r) => r.jobId === created.jobId)
      expect(rows.find((r) => r.action === "set-position-mode")).toMatchObject({
        outcome: "changed",
        before: { dualSidePosition: false },
        after: { dualSidePosition: true }
      })
      expect(rows.find((r) => r.action === "set-leverage")).toMatchObject({
        outcome: "changed",
        before: { symbol: "BTCUSDT", leverage: 20 },
        after: { symbol: "BTCUSDT", leverage: 50 }
      })

      const again = await h.run(c.jobs.apply({ path: { account: "demo" }, payload: { desired } }))
      expect(again.plan.steps).toEqual([])
    } finally {
      await h.close()
    }
  })
})
