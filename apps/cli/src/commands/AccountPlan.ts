/**
 * One account's plan (desired state → one snapshot of cheap reads → ordered steps with their weight
 * and blockers) and the report of each applied step: what `plan`/`apply` and the fleet file share.
 */
import * as Explain from "@marginctl/core/Explain"
import type * as Planner from "@marginctl/core/Planner"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { type ExitClass, worst } from "../Failure.js"
import * as Vocabulary from "../Vocabulary.js"
import { type Ctx, loadPlanner } from "./ExchangeCommand.js"

/** The plan, what to print about it, and its JSON (desired state and plan, encoded). */
export const planFor = (ctx: Ctx, desired: Planner.DesiredState) =>
  Effect.gen(function*() {
    const P = yield* loadPlanner
    // Leverage is checked against each symbol's brackets in planning, before anything is sent.
    const snapshot = yield* ctx.client.getAccountSnapshotWith({ leverageBrackets: P.needsLeverageBrackets(desired) })
    const plan = yield* P.plan(desired, snapshot)
    const lines = [
      ...(plan.steps.length > 0 ? [`Plan (${plan.steps.length} ${plan.steps.length === 1 ? "step" : "steps"}):`] : []),
      ...P.describePlan(plan, Vocabulary.vocabulary).map((l) => (plan.steps.length > 0 ? `  ${l}` : l))
    ]
    const json = { desired: Schema.encodeSync(P.DesiredState)(desired), plan: Schema.encodeSync(P.Plan)(plan) }
    return { P, plan, lines, json }
  })

export interface StepReport {
  readonly index: number
  readonly title: string
  readonly outcome: Planner.StepOutcome
  readonly reconciled: boolean
  readonly error: { readonly tag: string; readonly code: number | null; readonly message: string; readonly hint: string | null } | null
}

const blockerHint = (b: Planner.Blocker): string => {
  const { fix, what } = Explain.explainBlocker(b, Vocabulary.vocabulary)
  return `${what}; ${fix}`
}

export const stepReport = (p: Planner.Plan, e: Planner.StepFinished): StepReport => {
  const step = p.steps.find((s) => s.index === e.index)
  const symbol = step !== undefined && "symbol" in step ? step.symbol : undefined
  const blocker = step?.blockers[0]
  const hint = e.error === undefined
    ? null
    : e.error.tag === "PlannedBlocker" && blocker !== undefined
    ? blockerHint(blocker)
    : Vocabulary.hint({ _tag: e.error.tag, code: e.error.code, symbol })
  return {
    index: e.index,
    title: step?.title ?? `step ${e.index}`,
    outcome: e.outcome,
    reconciled: e.reconciled ?? false,
    error: e.error === undefined ? null : { ...e.error, hint }
  }
}

export const exitOf = (steps: ReadonlyArray<StepReport>): ExitClass =>
  worst(steps.map((s) =>
    s.outcome === "blocked" ? 3 : s.outcome === "failed" ? (s.error === null ? 1 : Explain.exitClassOf(s.error.tag)) : 0
  ))


/** The client calls that carry out a plan's steps. */
export const runnerFor = (ctx: Ctx): Planner.Runner => ({
  setMultiAssetsMode: (on) => ctx.client.setMultiAssetsMode(on),
  setPositionMode: (mode) => ctx.client.setPositionMode(mode),
  setMarginType: (symbol, type) => ctx.client.setMarginType(symbol, type),
  setLeverage: (symbol, leverage, from) => ctx.client.setLeverage(symbol, leverage, from)
})
