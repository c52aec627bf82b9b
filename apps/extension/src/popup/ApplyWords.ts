/** Words the popup shows for progress and outcomes (failures and blockers: `Vocabulary`). */
import type { ApplySummary, StepOutcome } from "@marginctl/core/Planner"

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
