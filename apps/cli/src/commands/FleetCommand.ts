/**
 * The fleet-file side of `plan` and `apply` (`--file` with a top-level `accounts` key): the JSON
 * document is `{"file", "accounts": [{"account", "key", "target": {"name", "baseUrl"}, "status":
 * "unchanged"|"pending"|"blocked"|"locked"|"failed", "desired", "plan", "error"}], "upstreams": [{"baseUrl",
 * "accounts", "readWeight", "applyWeight"}]}`; `apply` adds `dryRun` and, per applied account,
 * `steps` and `summary`.
 */
import type * as Planner from "@marginctl/core/Planner"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Env from "../Env.js"
import { CHANGES_PENDING, CliFailure, invalid, worst } from "../Failure.js"
import * as Output from "../Output.js"
import { exitOf, runnerFor, type StepReport, stepReport } from "./AccountPlan.js"
import type { DesiredFlags } from "./Desired.js"
import { usesDesiredFlags } from "./Desired.js"
import * as FleetFile from "@marginctl/core/FleetFile"
import { accountJson, planAll, type Planned, planExit, prefixed, prepare, upstreamLines, upstreams, withAccountClient } from "./FleetRun.js"
import * as Progress from "./Progress.js"

/** YAML (and JSON) for the fleet file: loaded only when a file is read, so that other commands do not pay its start-up time. */
const parseYaml = (text: string) =>
  Effect.promise(() => import("yaml")).pipe(Effect.map((YAML) => YAML.parseDocument(text, { uniqueKeys: true })))

/** The fleet file `--file` names, if it is one; refuses the flags a fleet file replaces. */
export const fleetOf = (flags: DesiredFlags & Env.TargetFlags) =>
  Effect.gen(function*() {
    if (Option.isNone(flags.file)) return Option.none()
    const fleet = yield* FleetFile.load(flags.file.value, parseYaml)
    if (Option.isSome(fleet)) {
      if (usesDesiredFlags(flags)) return yield* invalid("InvalidInput", "give the desired state with --file or with flags, not both")
      if (Option.isSome(flags.env) || Option.isSome(flags.baseUrl) || Option.isSome(flags.profile)) {
        return yield* invalid(
          "InvalidInput",
          `${flags.file.value} is a fleet file: each account's target and keys come from its profile`,
          "leave out --env, --base-url and --profile"
        )
      }
    }
    return fleet
  })

const planLines = (planned: ReadonlyArray<Planned>) => [
  ...planned.flatMap((p) => prefixed(p.account.name, p.lines)),
  ...upstreamLines(planned)
]

const document = (file: string, planned: ReadonlyArray<Planned>) => ({
  file,
  accounts: planned.map(accountJson),
  upstreams: upstreams(planned)
})

export const plan = (
  file: string,
  fleet: FleetFile.FleetFile,
  flags: { readonly recvWindow: Option.Option<number>; readonly detailedExitcode: boolean }
) =>
  Effect.gen(function*() {
    const { P, accounts } = yield* prepare(fleet, file, flags.recvWindow)
    const planned = yield* planAll(P, accounts)
    const exit = planExit(planned)
    const blocked = planned.some((p) => p.status === "blocked")
    const locked = planned.some((p) => p.status === "locked")
    const pending = planned.some((p) => p.status === "pending")
    return Output.report(
      document(file, planned),
      [
        ...planLines(planned),
        ...(blocked ? ["Clear the blockers above before applying; the other accounts can be applied."] : []),
        ...(locked ? [LOCKED] : [])
      ],
      exit === 0 && pending && flags.detailedExitcode ? CHANGES_PENDING : exit
    )
  })

/** What "locked" means: no change of the account's own can lift it. */
const LOCKED = "A locked account is in Credits Trading Mode (BNFCR), which only runs in Multi-Assets Mode: no change of its own can turn it off."

interface Applied {
  readonly name: string
  readonly steps: ReadonlyArray<StepReport>
  readonly summary: Planner.ApplySummary | null
  readonly error: Output.ErrorReport | null
}

interface ApplyFlags {
  readonly recvWindow: Option.Option<number>
  readonly json: boolean
  readonly yes: boolean
  readonly dryRun: boolean
  readonly continueOnBlocked: boolean
  readonly concurrency: number
}

const applyOne = (P: typeof Planner, p: Planned, plan: Planner.Plan, flags: ApplyFlags) =>
  withAccountClient(p.account, (ctx) =>
    Effect.gen(function*() {
      const progress = yield* Progress.make(plan, flags.json ? "silent" : "lines", `[${p.account.name}] `)
      const finished: Array<StepReport> = []
      const summary = yield* P.applyWith(plan, runnerFor(ctx), { concurrency: flags.concurrency, continueOnBlocked: flags.continueOnBlocked }, (e) =>
        Effect.zipRight(
          e._tag === "StepFinished" ? Effect.sync(() => void finished.push(stepReport(plan, e))) : Effect.void,
          progress.onEvent(e)
        ))
      return { name: p.account.name, steps: finished.sort((a, b) => a.index - b.index), summary, error: null }
    })).pipe(
      Effect.catchAll((e) => Effect.succeed<Applied>({ name: p.account.name, steps: [], summary: null, error: Output.describe(e) }))
    )

const appliedLines = (a: Applied, P: typeof Planner) =>
  prefixed(a.name, [
    ...a.steps.filter((s) => s.error !== null && s.outcome !== "skipped").map((s) =>
      `${s.index}. ${s.title}: ${s.outcome}: ${s.error?.hint ?? s.error?.message}`
    ),
    ...(a.summary === null ? [] : [P.describeEvent({ _tag: "Done", summary: a.summary })]),
    ...(a.error === null ? [] : Output.humanError(a.error))
  ])

/** Each account in `apply`'s JSON: its plan, and its steps and summary (empty and null when it was not applied). */
const appliedJson = (planned: ReadonlyArray<Planned>, applied: ReadonlyArray<Applied>) => {
  const byName = new Map(applied.map((a) => [a.name, a]))
  return planned.map((p) => {
    const a = byName.get(p.account.name)
    return {
      ...accountJson(p),
      steps: a?.steps ?? [],
      summary: a?.summary ?? null,
      ...(a?.error ? { error: Output.errorJson(a.error).error } : {})
    }
  })
}

export const apply = (
  file: string,
  fleet: FleetFile.FleetFile,
  flags: ApplyFlags
) =>
  Effect.gen(function*() {
    const { P, accounts } = yield* prepare(fleet, file, flags.recvWindow)
    const planned = yield* planAll(P, accounts)
    if (!flags.json) yield* Effect.forEach(planLines(planned), Output.stdout, { discard: true })
    const base = { ...document(file, planned), dryRun: flags.dryRun }
    // A blocked account is left alone, unless --continue-on-blocked asks for its steps that are not blocked.
    const applies = (p: Planned) => p.status === "pending" || (p.status === "blocked" && flags.continueOnBlocked)
    const toApply = planned.flatMap((p) => (applies(p) && p.plan !== null ? [{ p, plan: p.plan }] : []))
    const blockedLines = planned.filter((p) => (p.status === "blocked" || p.status === "locked") && !applies(p)).map((p) =>
      p.status === "locked"
        ? `[${p.account.name}] locked: nothing was sent to this account; ${LOCKED}`
        : `[${p.account.name}] blocked: nothing was sent to this account; clear the blockers above and run the same apply again`
    )
    if (flags.dryRun || toApply.length === 0) {
      return Output.report({ ...base, accounts: appliedJson(planned, []) }, [...(flags.dryRun ? ["Dry run: nothing was sent."] : []), ...blockedLines], planExit(planned))
    }
    if (!flags.yes) {
      const n = toApply.reduce((sum, { plan }) => sum + plan.steps.filter((s) => s.blockers.length === 0).length, 0)
      const prod = toApply.some(({ p }) => p.account.target.name === "prod") ? " (PRODUCTION among them)" : ""
      const names = toApply.map(({ p }) => p.account.name).join(", ")
      const yes = yield* Progress.confirm(`Apply ${n} ${n === 1 ? "change" : "changes"} to ${names}${prod}? [y/N] `)
      if (!yes) return yield* new CliFailure({ exitCode: 1, tag: "Declined", code: null, message: "not confirmed; nothing was sent", hint: null })
    }
    const applied = yield* Effect.forEach(toApply, ({ p, plan }) => applyOne(P, p, plan, flags), {
      concurrency: "unbounded"
    }).pipe(
      // Ctrl-C: say where things stand, so that nothing is left half-changed without a word.
      Effect.onInterrupt(() =>
        Output.stderr(
          "\nInterrupted; steps already sent may still complete. Run the same apply again: it only does what is left."
        )
      )
    )
    return Output.report(
      { ...base, accounts: appliedJson(planned, applied) },
      [...applied.flatMap((a) => appliedLines(a, P)), ...blockedLines],
      worst([
        planExit(planned),
        ...applied.map((a) => (a.error !== null ? a.error.exitCode : a.summary?.complete ? 0 : exitOf(a.steps)))
      ])
    )
  })
