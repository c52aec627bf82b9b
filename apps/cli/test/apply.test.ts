/**
 * plan / apply: ordered steps with weights and blockers, confirmation (on a pseudo-terminal), --yes,
 * --dry-run, the progress display, the summary, and that a second apply changes nothing.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { leaks, runSim, runTty, type Sim, startSim } from "./support/Harness.js"

const tmp = mkdtempSync(join(tmpdir(), "marginctl-apply-"))

const withSim = async <A>(account: Record<string, unknown>, f: (sim: Sim) => Promise<A>) => {
  const sim = await startSim(account)
  try {
    return await f(sim)
  } finally {
    await sim.close()
  }
}

const TWO_ISOLATED = { marginTypes: { BTCUSDT: "ISOLATED", ETHUSDT: "ISOLATED" } }

describe("plan", () => {
  it("shows the ordered steps and their weight, changes nothing", () =>
    withSim(TWO_ISOLATED, async (sim) => {
      const r = await runSim(sim, ["plan", "--multi-assets", "on"])
      expect(r.code).toBe(0)
      expect(r.stdout).toBe([
        "Plan (3 steps):",
        "  1. Set BTCUSDT from ISOLATED to CROSSED (required for Multi-Assets Mode) (weight 1)",
        "  2. Set ETHUSDT from ISOLATED to CROSSED (required for Multi-Assets Mode) (weight 1)",
        "  3. Turn Multi-Assets Mode on (weight 1)",
        "  Weight: 3 to apply (reads cost 96).",
        ""
      ].join("\n"))
      const j = await runSim(sim, ["plan", "--multi-assets", "on", "--json"])
      expect(j.code).toBe(0)
      const { desired, plan } = j.json()
      expect(desired).toEqual({ multiAssets: true })
      expect(plan).toMatchObject({ applyWeight: 3, readWeight: 96, blocked: false, multiAssets: { before: false, after: true } })
      expect(plan.steps.map((s: any) => s._tag)).toEqual(["SetMarginType", "SetMarginType", "SetMultiAssets"])
      expect(await sim.apiChanges()).toEqual([])
    }))

  it("a blocked plan explains each blocker with its fix and exits 3", () =>
    withSim({ ...TWO_ISOLATED, positions: [{ symbol: "BTCUSDT", positionAmt: "0.01", entryPrice: "60000" }] }, async (sim) => {
      const r = await runSim(sim, ["plan", "--multi-assets", "on"])
      expect(r.code).toBe(3)
      expect(r.stdout).toContain("blocked: BTCUSDT has an open position (size 0.01) (Binance -4048). Fix: close the position on BTCUSDT")
      expect(r.stdout).toContain("Clear the blockers above before applying.")
      const j = await runSim(sim, ["plan", "--multi-assets", "on", "--json"])
      expect(j.code).toBe(3)
      expect(j.json().plan.blocked).toBe(true)
    }))
})

describe("apply", () => {
  it("--yes applies in order with progress lines and a summary; a second apply changes nothing", () =>
    withSim(TWO_ISOLATED, async (sim) => {
      const r = await runSim(sim, ["apply", "--multi-assets", "on", "--yes"])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain("1. Set BTCUSDT from ISOLATED to CROSSED (required for Multi-Assets Mode): changed")
      expect(r.stdout).toContain("3. Turn Multi-Assets Mode on: changed")
      expect(r.stdout).toContain("Done: 3 changed, 0 unchanged, 0 blocked, 0 failed, 0 skipped.")
      const log = await sim.apiChanges()
      expect(log.map((e) => e.endpoint)).toEqual([
        "POST /fapi/v1/marginType",
        "POST /fapi/v1/marginType",
        "POST /fapi/v1/multiAssetsMargin"
      ])
      const again = await runSim(sim, ["apply", "--multi-assets", "on", "--yes", "--json"])
      expect(again.code).toBe(0)
      expect(again.json()).toMatchObject({
        steps: [],
        summary: { changed: 0, unchanged: 0, blocked: 0, failed: 0, skipped: 0, complete: true }
      })
      expect(await sim.apiChanges()).toHaveLength(3)
    }))

  it("--json gives one object: desired, plan, steps and summary", () =>
    withSim({ multiAssetsMargin: true }, async (sim) => {
      const r = await runSim(sim, ["apply", "--multi-assets", "off", "--margin-type", "ISOLATED", "BTCUSDT", "--yes", "--json"])
      expect(r.code).toBe(0)
      const out = r.json()
      expect(out.dryRun).toBe(false)
      expect(out.steps).toEqual([
        { index: 1, title: "Turn Multi-Assets Mode off", outcome: "changed", reconciled: false, error: null },
        { index: 2, title: "Set BTCUSDT from CROSSED to ISOLATED", outcome: "changed", reconciled: false, error: null }
      ])
      expect(out.summary).toEqual({ changed: 2, unchanged: 0, blocked: 0, failed: 0, skipped: 0, complete: true })
    }))

  it("--dry-run prints the plan and sends nothing", () =>
    withSim(TWO_ISOLATED, async (sim) => {
      const r = await runSim(sim, ["apply", "--margin-type", "CROSSED", "--all", "--dry-run"])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain("1. Set BTCUSDT from ISOLATED to CROSSED (weight 1)")
      expect(r.stdout).toContain("Dry run: nothing was sent.")
      const j = await runSim(sim, ["apply", "--margin-type", "CROSSED", "--all", "--dry-run", "--json"])
      expect(j.json()).toMatchObject({ dryRun: true, plan: { applyWeight: 2 } })
      expect(await sim.apiChanges()).toEqual([])
    }))

  it("asks on a terminal: y applies (with a progress bar), n sends nothing (exit 1)", () =>
    withSim(TWO_ISOLATED, async (sim) => {
      const no = await runTty(["apply", "--multi-assets", "on", "--env", "sim"], { sim, waitFor: /\[y\/N\]/, answer: "n" })
      expect(no.code).toBe(1)
      expect(no.stdout).toMatch(/Apply 3 changes to sim \(http:\/\/127\.0\.0\.1:\d+\)\? \[y\/N\]/)
      expect(no.stdout).toContain("not confirmed; nothing was sent")
      expect(await sim.apiChanges()).toEqual([])
      const yes = await runTty(["apply", "--multi-assets", "on", "--env", "sim"], { sim, waitFor: /\[y\/N\]/, answer: "y" })
      expect(yes.code).toBe(0)
      expect(yes.stdout).toContain("Applying [")
      expect(yes.stdout).toContain("3/3")
      expect(yes.stdout).toContain("Done: 3 changed, 0 unchanged, 0 blocked, 0 failed, 0 skipped.")
      expect(await sim.apiChanges()).toHaveLength(3)
    }))

  it("takes the desired state from --file", () =>
    withSim({ multiAssetsMargin: true }, async (sim) => {
      const file = join(tmp, "desired.json")
      writeFileSync(file, JSON.stringify({
        multiAssets: false,
        marginTypes: { symbols: [{ symbol: "BTCUSDT", marginType: "ISOLATED" }, { symbol: "ETHUSDT", marginType: "ISOLATED" }] }
      }))
      const r = await runSim(sim, ["apply", "--file", file, "--yes", "--json"])
      expect(r.code).toBe(0)
      expect(r.json().summary).toMatchObject({ changed: 3, complete: true })
      const state = await sim.admin("GET", "/accounts/main")
      expect(state.multiAssetsMargin).toBe(false)
      expect(state.symbols.BTCUSDT.marginType).toBe("ISOLATED")
      expect(state.symbols.ETHUSDT.marginType).toBe("ISOLATED")
    }))

  it("refuses a blocked plan (exit 3, nothing sent) unless --continue-on-blocked", () =>
    withSim({ ...TWO_ISOLATED, positions: [{ symbol: "BTCUSDT", positionAmt: "0.01", entryPrice: "60000" }] }, async (sim) => {
      const r = await runSim(sim, ["apply", "--margin-type", "CROSSED", "--all", "--yes"])
      expect(r.code).toBe(3)
      expect(r.stderr).toContain("the plan is blocked; nothing was sent")
      expect(await sim.apiChanges()).toEqual([])
      const go = await runSim(sim, ["apply", "--margin-type", "CROSSED", "--all", "--yes", "--continue-on-blocked", "--json"])
      expect(go.code).toBe(3)
      const out = go.json()
      expect(out.summary).toMatchObject({ changed: 1, blocked: 1, complete: false })
      const blocked = out.steps.find((s: any) => s.outcome === "blocked")
      expect(blocked.error).toMatchObject({ tag: "PlannedBlocker", code: -4048, hint: expect.stringContaining("close the position") })
      expect((await sim.apiChanges()).map((e) => e.params.symbol)).toEqual(["ETHUSDT"])
    }))

  it("a rule the snapshot could not see is reported per step (exit 3) and the rest is skipped", () =>
    withSim({ multiAssetsMargin: true, creditsLock: true, balances: { BNFCR: 1000 } }, async (sim) => {
      const r = await runSim(sim, ["apply", "--multi-assets", "off", "--margin-type", "ISOLATED", "BTCUSDT", "--yes", "--continue-on-blocked"])
      expect(r.code).toBe(3)
      expect(r.stdout).toMatch(/Stopped before the desired state was reached|blocked/)
      expect(await sim.apiChanges()).toEqual([])
    }))
})

afterAll(() => {
  expect(leaks()).toEqual([])
})
