/**
 * `marginctl plan` and `marginctl apply`: desired state → one snapshot of cheap reads → ordered steps
 * with their weight and blockers → (apply) confirmation, progress, summary. Re-running an apply
 * finds nothing to change.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Explain from "@marginctl/core/Explain"
import type * as Planner from "@marginctl/core/Planner"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { CliFailure, type ExitClass, invalid, worst } from "../Failure.js"
import * as Output from "../Output.js"
import * as Vocabulary from "../Vocabulary.js"
import { desiredOptions, resolveDesired } from "./Desired.js"
import * as Progress from "./Progress.js"
import {
  concurrencyOption,
  type Ctx,
  described,
  loadPlanner,
  parseConcurrency,
  targetLabel,
  targetOptions,
  withClient
} from "./ExchangeCommand.js"

/** The plan, what to print about it, and its JSON (desired state and plan, encoded). */
const planFor = (ctx: Ctx, desired: Planner.DesiredState) =>
  Effect.gen(function*() {
    const P = yield* loadPlanner
    const snapshot = yield* ctx.client.getAccountSnapshotWith({ leverageBrackets: P.needsLeverageBrackets(desired) })
    const plan = yield* P.plan(desired, snapshot)
    const lines = [
      ...(plan.steps.length > 0 ? [`Plan (${plan.steps.length} ${plan.steps.length === 1 ? "step" : "steps"}):`] : []),
      ...P.describePlan(plan, Vocabulary.vocabulary).map((l) => (plan.steps.length > 0 ? `  ${l}` : l))
    ]
    const json = { desired: Schema.encodeSync(P.DesiredState)(desired), plan: Schema.encodeSync(P.Plan)(plan) }
    return { P, plan, lines, json }
  })

const plan = Command.make("plan", { ...targetOptions, ...desiredOptions }, (flags) =>
  Output.run(
    flags.json,
    Effect.gen(function*() {
      const desired = yield* resolveDesired(flags)
      const { json, lines, plan: p } = yield* withClient(flags, "required", (ctx) => planFor(ctx, desired))
      return Output.report(
        json,
        [...lines, ...(p.blocked ? ["Clear the blockers above before applying."] : [])],
        p.blocked ? 3 : 0
      )
    })
  )).pipe(
    Command.withDescription(described(
      "Show the ordered steps that reach a desired state, the weight they cost and what blocks them, without changing " +
        "anything. Exit code 3 when a step is blocked. JSON: {\"desired\": …, \"plan\": {\"steps\", \"readWeight\", " +
        "\"applyWeight\", \"blocked\", \"unchanged\", …}}.",
      [
        "marginctl plan --multi-assets on --env sim",
        "marginctl plan --margin-type ISOLATED BTCUSDT ETHUSDT --env sim",
        "marginctl plan --file desired.json --env sim --json"
      ]
    ))
  )

interface StepReport {
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

const stepReport = (p: Planner.Plan, e: Planner.StepFinished): StepReport => {
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

const exitOf = (steps: ReadonlyArray<StepReport>): ExitClass =>
  worst(steps.map((s) =>
    s.outcome === "blocked" ? 3 : s.outcome === "failed" ? (s.error === null ? 1 : Explain.exitClassOf(s.error.tag)) : 0
  ))

const apply = Command.make("apply", {
  ...targetOptions,
  ...desiredOptions,
  yes: Options.boolean("yes").pipe(Options.withAlias("y"), Options.withDescription("Apply without asking.")),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Read and plan, print the plan, send nothing.")),
  continueOnBlocked: Options.boolean("continue-on-blocked").pipe(
    Options.withDescription("Apply the steps that are not blocked even when others are (default: refuse a blocked plan).")
  ),
  concurrency: concurrencyOption
}, (flags) =>
  Output.run(
    flags.json,
    Effect.gen(function*() {
      const desired = yield* resolveDesired(flags)
      const concurrency = yield* parseConcurrency(flags.concurrency)
      const interactive = Output.isTerminal("stdin")
      if (!flags.yes && !flags.dryRun && !interactive) {
        return yield* invalid(
          "ConfirmationRequired",
          "apply changes the account and needs a confirmation, but stdin is not a terminal",
          "pass --yes to apply without asking (or --dry-run to only see the plan)"
        )
      }
      return yield* withClient(flags, "required", (ctx) =>
        Effect.gen(function*() {
          const { P, json, lines, plan: p } = yield* planFor(ctx, desired)
          const base = { ...json, dryRun: flags.dryRun }
          const say = (line: string) => (flags.json ? Effect.void : Output.stdout(line))
          yield* Effect.forEach(lines, say, { discard: true })
          if (p.steps.length === 0) return Output.report({ ...base, steps: [], summary: emptySummary }, [])
          if (flags.dryRun) {
            return Output.report(base, ["Dry run: nothing was sent."], p.blocked ? 3 : 0)
          }
          if (p.blocked && !flags.continueOnBlocked) {
            return yield* new CliFailure({
              exitCode: 3,
              tag: "PlanBlocked",
              code: p.steps.flatMap((s) => s.blockers)[0]?.code ?? null,
              message: "the plan is blocked; nothing was sent",
              hint: "clear the blockers listed above and run again, or pass --continue-on-blocked to apply only what is not blocked"
            })
          }
          if (!flags.yes) {
            const n = p.steps.filter((s) => s.blockers.length === 0).length
            const yes = yield* Progress.confirm(`Apply ${n} ${n === 1 ? "change" : "changes"} to ${targetLabel(ctx.target)}? [y/N] `)
            if (!yes) return yield* new CliFailure({ exitCode: 1, tag: "Declined", code: null, message: "not confirmed; nothing was sent", hint: null })
          }
          const progress = yield* Progress.make(p, flags.json ? "silent" : Output.isTerminal("stdout") ? "bar" : "lines")
          const finished: Array<StepReport> = []
          const runner: Planner.Runner = {
            setMultiAssetsMode: (on) => ctx.client.setMultiAssetsMode(on),
            setMarginType: (symbol, type) => ctx.client.setMarginType(symbol, type),
            setPositionMode: (mode) => ctx.client.setPositionMode(mode),
            setLeverage: (symbol, leverage, from) => ctx.client.setLeverage(symbol, leverage, from)
          }
          const summary = yield* P.applyWith(p, runner, { concurrency, continueOnBlocked: flags.continueOnBlocked }, (e) =>
            Effect.zipRight(
              e._tag === "StepFinished" ? Effect.sync(() => void finished.push(stepReport(p, e))) : Effect.void,
              progress.onEvent(e)
            )).pipe(
              // Ctrl-C: say what was done, so that nothing is left half-changed without a word.
              Effect.onInterrupt(() =>
                Output.stderr(
                  `\nInterrupted after ${finished.length} of ${p.steps.length} steps (` +
                    `${finished.filter((s) => s.outcome === "changed").length} changed); steps already sent may still ` +
                    "complete. Run `marginctl status` or the same apply again: it only does what is left."
                )
              )
            )
          const steps = finished.sort((a, b) => a.index - b.index)
          const problems = steps.filter((s) => s.error !== null && s.outcome !== "skipped")
          return Output.report(
            { ...base, steps, summary },
            [
              ...problems.map((s) => `${s.index}. ${s.title}: ${s.outcome}: ${s.error?.hint ?? s.error?.message}`),
              P.describeEvent({ _tag: "Done", summary }),
              ...(summary.complete ? [] : ["Run the same command again once the problems above are solved; finished steps are not repeated."])
            ],
            summary.complete ? 0 : exitOf(steps)
          )
        }))
    })
  )).pipe(
    Command.withDescription(described(
      "Plan, ask for confirmation (unless --yes), then apply the steps in a safe order with a progress bar and a " +
        "summary. Re-running changes nothing. Without a terminal, --yes is required (exit 2 otherwise). " +
        "JSON: {\"desired\", \"plan\", \"dryRun\", \"steps\": [{\"index\", \"title\", \"outcome\", \"reconciled\", \"error\"}], \"summary\"}.",
      [
        "marginctl apply --multi-assets on --env sim",
        "marginctl apply --margin-type CROSSED --all --env sim --yes",
        "marginctl apply --file desired.json --env sim --dry-run"
      ]
    ))
  )

const emptySummary: Planner.ApplySummary = { changed: 0, unchanged: 0, blocked: 0, failed: 0, skipped: 0, complete: true }

export const commands = [plan, apply] as const
