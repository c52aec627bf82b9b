/**
 * `plan` / `apply` of a fleet file: every account it names, each with its profile's target and keys,
 * planned (and applied) in parallel; the accounts on one upstream (base URL) share one weight budget,
 * as they share Binance's per-IP limit.
 */
import type * as Planner from "@marginctl/core/Planner"
import * as WeightBudget from "@marginctl/core/WeightBudget"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { DesiredStateRejected, InvalidInput } from "@marginctl/core/Errors"
import * as Env from "../Env.js"
import { CliFailure, type ExitClass, worst } from "../Failure.js"
import { sharedBudgetClientLayer } from "../MainLive.js"
import * as Output from "../Output.js"
import { planFor } from "./AccountPlan.js"
import { type Ctx, loadPlanner, withTargetClient } from "./ExchangeCommand.js"
import * as FleetFile from "@marginctl/core/FleetFile"

export interface FleetAccount {
  /** The profile. */
  readonly name: string
  /** The fleet file's key that names it. */
  readonly key: string
  readonly desired: Planner.DesiredState
  /** `desired`, encoded for the JSON document. */
  readonly desiredJson: unknown
  readonly target: Env.Target
  readonly budget: WeightBudget.WeightBudgetShape
}

export type Status = "unchanged" | "pending" | "blocked" | "locked" | "failed"

export interface Planned {
  readonly account: FleetAccount
  readonly status: Status
  readonly plan: Planner.Plan | null
  readonly lines: ReadonlyArray<string>
  /** `plan`, encoded for the JSON document. */
  readonly planJson: unknown
  readonly error: Output.ErrorReport | null
}

/** Decodes one account's settings with the core's DesiredState and checks them for contradictions. */
const desiredOf = (P: typeof Planner, entry: FleetFile.FleetAccountEntry, file: string) => {
  const at = `${file}: accounts.${entry.key}`
  return Either.match(
    Schema.decodeUnknownEither(P.DesiredState, { onExcessProperty: "error", errors: "first" })(FleetFile.toDesired(entry.settings)),
    {
      onLeft: (error) => {
        const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
        const path = (issue?.path ?? []).map(String).join(".")
        return Effect.fail(
          new InvalidInput({
            field: `${at}.${path}`,
            accepted: issue?._tag === "Unexpected"
              ? "only multiAssets, positionMode, marginTypes, leverage"
              : (issue?.message ?? "a valid value")
          })
        )
      },
      onRight: (desired) =>
        Effect.mapError(P.validateDesired(desired), (e) => new DesiredStateRejected({ reason: `${at}: ${e.reason}`, symbols: e.symbols }))
    }
  )
}

/**
 * Everything checked before anything is sent: the keys name profiles, each entry is a desired state
 * that can exist, each profile has a target and keys. One in-memory budget per upstream.
 */
export const prepare = (fleet: FleetFile.FleetFile, file: string, recvWindow: Option.Option<number>) =>
  Effect.gen(function*() {
    const P = yield* loadPlanner
    const profiles = yield* Env.profileNames(`--file ${file}`)
    const entries = yield* FleetFile.expand(fleet, file, { noun: "profile", names: profiles.names, source: profiles.file })
    const budgets = new Map<string, WeightBudget.WeightBudgetShape>()
    const warnings = new Set<string>()
    const accounts: Array<FleetAccount> = []
    for (const entry of entries) {
      const desired = yield* desiredOf(P, entry, file)
      const target = yield* Env.resolveTarget(
        { env: Option.none(), baseUrl: Option.none(), profile: Option.some(entry.profile), recvWindow },
        "required"
      ).pipe(
        // No target or no keys: say which account's profile lacks them.
        Effect.mapError((e) =>
          e instanceof CliFailure
            ? new CliFailure({ exitCode: e.exitCode, tag: e.tag, code: e.code, hint: e.hint, message: `${file}: accounts.${entry.key}: profile ${entry.profile}: ${e.message}` })
            : e
        )
      )
      target.warnings.forEach((w) => warnings.add(w))
      let budget = budgets.get(target.baseUrl)
      if (budget === undefined) {
        budget = yield* WeightBudget.makeMemory()
        budgets.set(target.baseUrl, budget)
      }
      const desiredJson = Schema.encodeSync(P.DesiredState)(desired)
      accounts.push({ name: entry.profile, key: entry.key, desired, desiredJson, target, budget })
    }
    yield* Effect.forEach(warnings, Output.warn, { discard: true })
    return { P, accounts }
  })

/** Runs `f` with the account's client (its profile's target and keys, its upstream's shared budget). */
export const withAccountClient = <A, E, R>(account: FleetAccount, f: (ctx: Ctx) => Effect.Effect<A, E, R>) =>
  withTargetClient(account.target, sharedBudgetClientLayer(account.target, account.budget), f)

/** Plans every account at once; an account whose reads fail is reported, the others still planned. */
export const planAll = (P: typeof Planner, accounts: ReadonlyArray<FleetAccount>) =>
  Effect.forEach(accounts, (account) =>
    withAccountClient(account, (ctx) => planFor(ctx, account.desired)).pipe(
      Effect.match({
        onFailure: (e): Planned => {
          const error = Output.describe(e)
          return { account, status: "failed", plan: null, planJson: null, lines: Output.humanError(error), error }
        },
        onSuccess: ({ json, lines, plan }): Planned => ({
          account,
          status: P.isLocked(plan) ? "locked" : plan.blocked ? "blocked" : plan.steps.length > 0 ? "pending" : "unchanged",
          plan,
          planJson: json.plan,
          lines,
          error: null
        })
      })
    ), { concurrency: "unbounded" })

export const prefixed = (name: string, lines: ReadonlyArray<string>): Array<string> => lines.map((l) => `[${name}] ${l}`)

/** The weight each upstream's accounts cost together (reads now, and the steps of an apply). */
export const upstreams = (planned: ReadonlyArray<Planned>) => {
  const byUrl = new Map<string, { baseUrl: string; accounts: Array<string>; readWeight: number; applyWeight: number }>()
  for (const p of planned) {
    const url = p.account.target.baseUrl
    const u = byUrl.get(url) ?? { baseUrl: url, accounts: [], readWeight: 0, applyWeight: 0 }
    u.accounts.push(p.account.name)
    u.readWeight += p.plan?.readWeight ?? 0
    u.applyWeight += p.plan?.applyWeight ?? 0
    byUrl.set(url, u)
  }
  return [...byUrl.values()]
}

export const upstreamLines = (planned: ReadonlyArray<Planned>): Array<string> =>
  upstreams(planned).map((u) =>
    `Weight on ${u.baseUrl} (${u.accounts.join(", ")}, one budget): ${u.applyWeight} to apply, reads cost ${u.readWeight}.`
  )

/** One account in the JSON document. */
export const accountJson = (p: Planned) => ({
  account: p.account.name,
  key: p.account.key,
  target: { name: p.account.target.name, baseUrl: p.account.target.baseUrl },
  status: p.status,
  desired: p.account.desiredJson,
  plan: p.planJson,
  error: p.error === null ? null : Output.errorJson(p.error).error
})

/** The exit class of a plan's outcome: the worst failure, 3 when an account is blocked, else 0. */
export const planExit = (planned: ReadonlyArray<Planned>): ExitClass =>
  worst(planned.map((p) => (p.status === "failed" ? p.error!.exitCode : p.status === "blocked" || p.status === "locked" ? 3 : 0)))
