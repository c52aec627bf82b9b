/** Words the popup shows for plans, progress and Binance's rule codes. */
import type { ApplySummary, Blocker, StepOutcome } from "@marginctl/core/Planner"

/** What to do when Binance refuses a step with one of its rule codes (for refusals the plan did not foresee). */
export const FIX_BY_CODE: Readonly<Record<number, string>> = {
  [-4047]: "Cancel the open orders on this symbol, then try again.",
  [-4048]: "Close the position on this symbol; the margin type only changes on a flat symbol.",
  [-4168]: "Turn Multi-Assets Mode off first: it allows only cross margin.",
  [-4167]: "Switch every ISOLATED symbol to CROSSED first.",
  [-4170]: "Cancel every open order (including conditional orders) first.",
  [-4172]: "Bring every negative collateral balance back to zero or above first.",
  [-4169]: "Add margin or reduce positions first."
}

/**
 * Core's texts are written for every front end: a fix may name a CLI command (the popup has a button
 * instead) and an error may end with the endpoint it came from (noise for a trader).
 */
export const forPopup = (text: string): string =>
  text.replace(/\s*\(marginctl [^)]*\)/g, "").replace(/\s*\((?:GET|POST|PUT|DELETE) \/[^)]*\)/g, "")

export const blockerText = (b: Blocker): { readonly what: string; readonly fix: string } => ({
  what: `${forPopup(b.text)} (Binance ${b.code}).`,
  fix: `Fix: ${forPopup(b.fix).replace(/^./, (c) => c.toUpperCase())}${/[.!?]$/.test(b.fix) ? "" : "."}`
})

export const OUTCOME_LABEL: Readonly<Record<StepOutcome | "running" | "waiting", string>> = {
  waiting: "waiting",
  running: "sending…",
  changed: "changed",
  unchanged: "already set",
  blocked: "blocked",
  failed: "failed",
  skipped: "skipped"
}

export const summaryText = (s: ApplySummary): string => {
  if (s.complete && s.changed === 0) return "Already set: nothing needed changing."
  if (s.complete) {
    const already = s.unchanged > 0 ? `, ${s.unchanged} already set` : ""
    return `Done: ${s.changed} changed${already}.`
  }
  const parts = [
    s.changed > 0 ? `${s.changed} changed` : "",
    s.unchanged > 0 ? `${s.unchanged} already set` : "",
    s.blocked > 0 ? `${s.blocked} blocked` : "",
    s.failed > 0 ? `${s.failed} failed` : "",
    s.skipped > 0 ? `${s.skipped} skipped` : ""
  ].filter((p) => p !== "")
  return `Stopped before everything was applied: ${parts.join(", ")}.`
}

export const grouped = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",")
