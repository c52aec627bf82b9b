/**
 * @internal
 * Short human lines for plans, blockers and progress events (CLI human output, extension popup).
 */
import { type Context, explainBlocker, type Vocabulary } from "../Explain.js"
import type * as Planner from "../Planner.js"

/** @internal */
export const describeBlocker = (blocker: Planner.Blocker, vocabulary: Vocabulary, context: Context = {}): string => {
  const { fix, what } = explainBlocker(blocker, vocabulary, context)
  return `${what} (Binance ${blocker.code}). Fix: ${fix}`
}

/** @internal */
export const describePlan = (plan: Planner.Plan, vocabulary: Vocabulary, context: Context = {}): Array<string> => {
  const lines: Array<string> = []
  if (plan.steps.length === 0) {
    lines.push("Nothing to change: the account is already in the desired state.")
  }
  for (const step of plan.steps) {
    lines.push(`${step.index}. ${step.title} (weight ${step.weight})`)
    for (const blocker of step.blockers) lines.push(`   blocked: ${describeBlocker(blocker, vocabulary, context)}`)
  }
  if (plan.multiAssetsUnchanged) {
    lines.push(`Multi-Assets Mode is already ${plan.multiAssets.before ? "on" : "off"}.`)
  }
  if (plan.positionModeUnchanged === true) lines.push("The position mode is already as asked.")
  const already = (label: string, symbols: ReadonlyArray<string>) => {
    if (symbols.length === 0) return
    const shown = symbols.slice(0, 10).join(", ")
    const more = symbols.length > 10 ? ` and ${symbols.length - 10} more` : ""
    lines.push(`${label}: ${shown}${more}.`)
  }
  already("Already as asked", plan.unchanged)
  already("Leverage already as asked", plan.leverageUnchanged ?? [])
  if (plan.steps.length > 0) {
    const blocked = plan.steps.filter((s) => s.blockers.length > 0).length
    lines.push(
      `Weight: ${plan.applyWeight} to apply (reads cost ${plan.readWeight}).` +
        (blocked > 0
          ? ` ${blocked} of ${plan.steps.length} ${plan.steps.length === 1 ? "step is" : "steps are"} blocked.`
          : "")
    )
  }
  return lines
}

/** @internal */
export const describeEvent = (event: Planner.ProgressEvent, plan?: Planner.Plan): string => {
  switch (event._tag) {
    case "StepStarted": {
      const title = plan?.steps.find((s) => s.index === event.index)?.title
      return `${event.index}. ${title ?? "step"}…`
    }
    case "StepFinished": {
      const title = plan?.steps.find((s) => s.index === event.index)?.title
      const reconciled = event.reconciled ? " (confirmed by re-reading the account)" : ""
      const why = event.error ? `: ${event.error.message}` : ""
      return `${event.index}. ${title ?? "step"}: ${event.outcome}${reconciled}${why}`
    }
    case "Done": {
      const s = event.summary
      const counts = `${s.changed} changed, ${s.unchanged} unchanged, ${s.blocked} blocked, ${s.failed} failed, ${s.skipped} skipped`
      return s.complete ? `Done: ${counts}.` : `Stopped before the desired state was reached: ${counts}.`
    }
  }
}
