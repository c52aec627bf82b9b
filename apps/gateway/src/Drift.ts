/**
 * Drift: how each account differs from its desired state (`DesiredStore`), and what the gateway does
 * about it (`accounts[].reconcile`): nothing (`off`), say so (`alert`: a warning and a metric when an
 * account drifts), or make it so (`auto`: the plan applied as a job by `(reconcile)` — audited like
 * any job — when nothing blocks it, at most once per `reconcileIntervalMs` per account).
 *
 * An account is checked when its desired state is set, when its user-data stream tells of a change
 * (so drift shows within a second while the stream is live), and every minute. The check plans from
 * the cached snapshot (weight 96 when it has to be read again), so accounts without a desired state
 * cost nothing.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Planner from "@marginctl/core/Planner"
import type { Drift, DriftStatus } from "@marginctl/gateway-api/Desired"
import type { StoreUnavailable } from "@marginctl/gateway-api/Errors"
import { type AccountRuntime, Accounts } from "./Accounts.js"
import { GatewayConfig } from "./Config.js"
import { DesiredStore } from "./DesiredStore.js"
import { Jobs } from "./Jobs.js"
import { LiveSettings } from "./LiveSettings.js"
import { Metrics } from "./Metrics.js"
import * as Policy from "./Policy.js"
import { keys, ReadCache } from "./ReadCache.js"
import { vocabulary } from "./Vocabulary.js"

/** The token name of the jobs an automatic reconcile starts (not a valid token name, so never a caller's). */
export const RECONCILE_TOKEN = "(reconcile)"

const CHECK_EVERY = "1 minute"
const STATUSES: ReadonlyArray<DriftStatus> = ["in-sync", "drifted", "blocked", "locked", "unknown"]

export interface DriftShape {
  /** The account's drift now (its snapshot through the cache). */
  readonly of: (account: AccountRuntime) => Effect.Effect<Drift, StoreUnavailable>
  /** Checks the account again soon (after its desired state changed). */
  readonly recheck: (account: string) => Effect.Effect<void>
}

export class DriftCheck extends Context.Tag("@marginctl/gateway/DriftCheck")<DriftCheck, DriftShape>() {}

const unknown = (account: string, detail: string): Drift => ({ account, status: "unknown", plan: null, lines: [], checkedAt: null, detail })

export const layer: Layer.Layer<DriftCheck, never, GatewayConfig | Accounts | DesiredStore | ReadCache | LiveSettings | Jobs | Metrics> =
  Layer.scoped(
    DriftCheck,
    Effect.gen(function*() {
      const config = yield* GatewayConfig
      const accounts = yield* Accounts
      const store = yield* DesiredStore
      const cache = yield* ReadCache
      const live = yield* LiveSettings
      const jobs = yield* Jobs
      const metrics = yield* Metrics
      const last = new Map<string, DriftStatus>()
      const lastAuto = new Map<string, number>()
      // A wake-up per account; the queue holds one, so wake-ups that come during a check are served by the next one.
      const wake = new Map<string, Queue.Queue<void>>()
      for (const a of accounts.list) wake.set(a.name, yield* Queue.dropping<void>(1))

      const of = (account: AccountRuntime): Effect.Effect<Drift, StoreUnavailable> =>
        Effect.gen(function*() {
          const row = yield* store.get(account.name)
          if (row === undefined) return unknown(account.name, "no desired state is set")
          const snap = yield* Effect.either(cache.get(keys.snapshot(account.name), account.client.getAccountSnapshot))
          if (Either.isLeft(snap)) return unknown(account.name, `the account could not be read: ${snap.left.message}`)
          const planned = Planner.plan(row.desired, snap.right.value)
          if (Either.isLeft(planned)) return unknown(account.name, `the desired state cannot be planned: ${planned.left.reason}`)
          const plan = planned.right
          const now = yield* Clock.currentTimeMillis
          const status: DriftStatus = plan.steps.length === 0
            ? "in-sync"
            : !plan.blocked
            ? "drifted"
            : Planner.isLocked(plan)
            ? "locked"
            : "blocked"
          return {
            account: account.name,
            status,
            plan: status === "in-sync" ? null : plan,
            lines: status === "in-sync" ? [] : Planner.describePlan(plan, vocabulary, { account: account.name }),
            checkedAt: new Date(now - snap.right.ageMs).toISOString(),
            detail: status === "in-sync"
              ? "the account matches its desired state"
              : status === "locked"
              ? "locked: the account is in Credits Trading Mode (BNFCR), which only runs in Multi-Assets Mode; it cannot be turned off"
              : `${plan.steps.length} step(s) would reach the desired state`
          } satisfies Drift
        })

      /** Checks one account and acts on its reconcile mode. */
      const check = (account: AccountRuntime) =>
        Effect.gen(function*() {
          const drift = yield* of(account)
          const before = last.get(account.name)
          last.set(account.name, drift.status)
          if (drift.status === "in-sync" || drift.status === "unknown" || account.reconcile === "off") return
          if (before !== drift.status) {
            metrics.count("marginctl_gateway_drift_alerts_total", { account: account.name, status: drift.status })
            yield* Effect.logWarning(`${account.name} ${drift.status} from its desired state: ${drift.lines.join("; ")}`)
          }
          if (account.reconcile !== "auto" || drift.status !== "drifted") return
          const now = yield* Clock.currentTimeMillis
          if (now - (lastAuto.get(account.name) ?? -Infinity) < config.reconcileIntervalMs) return
          const row = yield* store.get(account.name)
          if (row === undefined || Either.isLeft(Policy.check(account.policy, row.desired))) return
          lastAuto.set(account.name, now)
          const job = yield* jobs.create(account, RECONCILE_TOKEN, { desired: row.desired, continueOnBlocked: false, concurrency: Planner.DEFAULT_CONCURRENCY })
          yield* Effect.logInfo(`${account.name}: reconciling to its desired state (job ${job.id})`)
        }).pipe(Effect.catchAll((e) => Effect.logWarning(`${account.name}: drift check failed: ${e.message}`)))

      // One loop per account: woken by a recheck, a change its stream tells, or the minute.
      for (const account of accounts.list) {
        const signal = wake.get(account.name)!
        yield* Effect.forkScoped(Stream.runForEach(live.frames(account.name), () => Queue.offer(signal, undefined)))
        yield* Effect.forkScoped(Effect.repeat(Queue.offer(signal, undefined), Schedule.spaced(CHECK_EVERY)))
        yield* Effect.forkScoped(Effect.forever(
          Queue.take(signal).pipe(Effect.zipRight(Effect.sleep("200 millis")), Effect.zipRight(check(account)))
        ))
      }

      metrics.addGauge({
        name: "marginctl_gateway_drift",
        help: "1 for each account's drift status (in-sync, drifted, blocked, unknown), 0 for the others",
        read: Effect.sync(() =>
          accounts.list.flatMap((a) => STATUSES.map((status) => [{ account: a.name, status }, (last.get(a.name) ?? "unknown") === status ? 1 : 0] as const))
        )
      })

      return { of, recheck: (account) => Effect.asVoid(Queue.offer(wake.get(account)!, undefined)) } satisfies DriftShape
    })
  )
