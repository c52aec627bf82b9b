/**
 * @internal
 * Runs a plan: Multi-Assets off → position mode → margin-type steps → leverage steps (both with
 * bounded concurrency) → Multi-Assets on.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { type BinanceError, isRuleRejection } from "../Errors.js"
import type { SetResult } from "../Outcome.js"
import type * as Planner from "../Planner.js"

const DEFAULT_CONCURRENCY = 5

const errorData = (e: BinanceError): Planner.StepError => ({
  tag: e._tag,
  code: "code" in e ? e.code : null,
  message: e.message
})

const plannedBlockerData = (step: Planner.Step): Planner.StepError => {
  const first = step.blockers[0]
  return {
    tag: "PlannedBlocker",
    code: first?.code ?? null,
    message: step.blockers.map((b) => b.text).join("; ")
  }
}

const phasesOf = (steps: ReadonlyArray<Planner.Step>): Array<Array<Planner.Step>> => [
  steps.filter((s) => s._tag === "SetMultiAssets" && !s.value),
  steps.filter((s) => s._tag === "SetPositionMode"),
  steps.filter((s) => s._tag === "SetMarginType"),
  steps.filter((s) => s._tag === "SetLeverage"),
  steps.filter((s) => s._tag === "SetMultiAssets" && s.value)
]

/** @internal */
export const applyWith = <R = never, R2 = never>(
  plan: Planner.Plan,
  runner: Planner.Runner<R>,
  options: Planner.ApplyOptions,
  onEvent: (event: Planner.ProgressEvent) => Effect.Effect<void, never, R2>
): Effect.Effect<Planner.ApplySummary, never, R | R2> =>
  Effect.gen(function*() {
    const requested = options.concurrency ?? DEFAULT_CONCURRENCY
    const concurrency = Number.isFinite(requested) ? Math.max(1, Math.floor(requested)) : DEFAULT_CONCURRENCY
    const continueOnBlocked = options.continueOnBlocked ?? false
    const outcomes = new Map<number, Planner.StepOutcome>()

    const finish = (
      step: Planner.Step,
      outcome: Planner.StepOutcome,
      extra: { reconciled?: boolean; error?: Planner.StepError } = {}
    ): Effect.Effect<void, never, R2> =>
      Effect.suspend(() => {
        outcomes.set(step.index, outcome)
        return onEvent({ _tag: "StepFinished", index: step.index, outcome, ...extra })
      })

    const call = (step: Planner.Step): Effect.Effect<SetResult, BinanceError, R> => {
      switch (step._tag) {
        case "SetMultiAssets":
          return runner.setMultiAssetsMode(step.value)
        case "SetPositionMode":
          return runner.setPositionMode(step.value)
        case "SetMarginType":
          return runner.setMarginType(step.symbol, step.to)
        case "SetLeverage":
          return runner.setLeverage(step.symbol, step.to, step.from)
      }
    }

    let stopped = false
    for (const phase of phasesOf(plan.steps)) {
      if (stopped) {
        yield* Effect.forEach(phase, (step) => finish(step, "skipped"), { discard: true })
        continue
      }
      // `halt`: a step failed, start nothing more; `stopAfter`: finish this phase, then stop.
      let halt = false
      let stopAfter = false
      const runStep = (step: Planner.Step): Effect.Effect<void, never, R | R2> =>
        Effect.suspend(() => {
          if (step.blockers.length > 0) {
            if (!continueOnBlocked) stopAfter = true
            return finish(step, "blocked", { error: plannedBlockerData(step) })
          }
          const depsOk = step.dependsOn.every((i) => {
            const o = outcomes.get(i)
            return o === "changed" || o === "unchanged"
          })
          if (halt || !depsOk) return finish(step, "skipped")
          return onEvent({ _tag: "StepStarted", index: step.index }).pipe(
            Effect.zipRight(Effect.exit(call(step))),
            Effect.flatMap((exit) => {
              if (Exit.isSuccess(exit)) {
                return finish(step, exit.value.outcome, { reconciled: exit.value.reconciled })
              }
              const failure = Cause.failureOption(exit.cause)
              if (Option.isSome(failure) && isRuleRejection(failure.value)) {
                if (!continueOnBlocked) stopAfter = true
                return finish(step, "blocked", { error: errorData(failure.value) })
              }
              if (Option.isNone(failure) && Cause.isInterruptedOnly(exit.cause)) return Effect.interrupt
              halt = true
              stopAfter = true
              return finish(step, "failed", {
                error: Option.isSome(failure)
                  ? errorData(failure.value)
                  : { tag: "Defect", code: null, message: "unexpected error while running the step" }
              })
            })
          )
        })
      yield* Effect.forEach(phase, runStep, { concurrency, discard: true })
      if (stopAfter) stopped = true
    }

    const count = (o: Planner.StepOutcome): number => [...outcomes.values()].filter((x) => x === o).length
    const summary: Planner.ApplySummary = {
      changed: count("changed"),
      unchanged: count("unchanged"),
      blocked: count("blocked"),
      failed: count("failed"),
      skipped: count("skipped"),
      complete: plan.steps.every((s) => {
        const o = outcomes.get(s.index)
        return o === "changed" || o === "unchanged"
      })
    }
    yield* onEvent({ _tag: "Done", summary })
    return summary
  })

/** @internal */
export const apply = <R = never>(
  plan: Planner.Plan,
  runner: Planner.Runner<R>,
  options: Planner.ApplyOptions = {}
): Stream.Stream<Planner.ProgressEvent, never, R> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const mailbox = yield* Mailbox.make<Planner.ProgressEvent>()
      yield* applyWith(plan, runner, options, (event) => Effect.asVoid(mailbox.offer(event))).pipe(
        Effect.ensuring(mailbox.end),
        Effect.forkScoped
      )
      return Mailbox.toStream(mailbox)
    })
  )
