/**
 * `marginctl plan` and `marginctl apply`: desired state → one snapshot of cheap reads → ordered steps
 * with their weight and blockers → (apply) confirmation, progress, summary. Re-running an apply
 * finds nothing to change.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type * as Planner from "@marginctl/core/Planner"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { CHANGES_PENDING, CliFailure, invalid } from "../Failure.js"
import * as Output from "../Output.js"
import { exitOf, planFor, runnerFor, type StepReport, stepReport } from "./AccountPlan.js"
import { desiredOptions, resolveDesired } from "./Desired.js"
import * as FleetCommand from "./FleetCommand.js"
import * as Progress from "./Progress.js"
import {
  concurrencyOption,
  described,
  parseConcurrency,
  targetLabel,
  targetOptions,
  withClient
} from "./ExchangeCommand.js"

const plan = Command.make("plan", {
  ...targetOptions,
  ...desiredOptions,
  detailedExitcode: Options.boolean("detailed-exitcode").pipe(
    Options.withDescription("Exit 0 when there is nothing to do, 7 when changes are pending, 3 when something is blocked, 2 on invalid input.")
  )
}, (flags) =>
  Output.run(
    flags.json,
    Effect.gen(function*() {
      const fleet = yield* FleetCommand.fleetOf(flags)
      if (Option.isSome(fleet) && Option.isSome(flags.file)) return yield* FleetCommand.plan(flags.file.value, fleet.value, flags)
      const desired = yield* resolveDesired(flags)
      const { json, lines, plan: p } = yield* withClient(flags, "required", (ctx) => planFor(ctx, desired))
      return Output.report(
        json,
        [...lines, ...(p.blocked ? ["Clear the blockers above before applying."] : [])],
        p.blocked ? 3 : p.steps.length > 0 && flags.detailedExitcode ? CHANGES_PENDING : 0
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
        "marginctl plan --file desired.json --env sim --json",
        "marginctl plan --file fleet.yaml --detailed-exitcode   (a fleet file: README, \"Fleet file\")"
      ]
    ))
  )

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
      // What to apply is checked before the confirmation: a refusal names the options that say it.
      const confirmable = flags.yes || flags.dryRun || Output.isTerminal("stdin")
        ? Effect.void
        : invalid(
          "ConfirmationRequired",
          "apply changes the account and needs a confirmation, but stdin is not a terminal",
          "pass --yes to apply without asking (or --dry-run to only see the plan)"
        )
      const fleet = yield* FleetCommand.fleetOf(flags)
      if (Option.isSome(fleet) && Option.isSome(flags.file)) {
        const concurrency = yield* parseConcurrency(flags.concurrency)
        yield* confirmable
        return yield* FleetCommand.apply(flags.file.value, fleet.value, { ...flags, concurrency })
      }
      const desired = yield* resolveDesired(flags)
      const concurrency = yield* parseConcurrency(flags.concurrency)
      yield* confirmable
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
          const summary = yield* P.applyWith(p, runnerFor(ctx), { concurrency, continueOnBlocked: flags.continueOnBlocked }, (e) =>
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
        "marginctl apply --file desired.json --env sim --dry-run",
        "marginctl apply --file fleet.yaml --yes   (every account of a fleet file, in parallel)"
      ]
    ))
  )

const emptySummary: Planner.ApplySummary = { changed: 0, unchanged: 0, blocked: 0, failed: 0, skipped: 0, complete: true }

export const commands = [plan, apply] as const
