/**
 * Apply jobs. `create` plans a desired state from a fresh snapshot and starts the job in its own
 * fiber (one job at a time per account; later ones wait, `queued`), so it outlives the HTTP request
 * that started it and survives a slow upstream. Progress events are kept (with a sequence number) and
 * published for live streams. On shutdown, running jobs get `shutdownGraceMs` to finish; the rest are
 * interrupted, their in-flight calls recorded as `interrupted` in the audit log.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Stream from "effect/Stream"
import * as crypto from "node:crypto"
import type { MarginType } from "@marginctl/core/Domain"
import type { BinanceError } from "@marginctl/core/Errors"
import * as Planner from "@marginctl/core/Planner"
import type { AccountSnapshot } from "@marginctl/core/Snapshot"
import type { Job, JobEvent, JobState, StepStatus } from "@marginctl/gateway-api/Jobs"
import { InvalidRequest, NotFound } from "@marginctl/gateway-api/Errors"
import type { AccountRuntime } from "./Accounts.js"
import { Changes } from "./Changes.js"
import { GatewayConfig } from "./Config.js"
import { Metrics } from "./Metrics.js"
import { type Cached, keys, ReadCache } from "./ReadCache.js"

export interface JobRecord {
  readonly id: string
  readonly account: string
  readonly token: string
  state: JobState
  readonly createdAt: number
  startedAt: number | null
  finishedAt: number | null
  readonly continueOnBlocked: boolean
  readonly concurrency: number
  readonly plan: Planner.Plan
  readonly steps: Map<number, StepStatus>
  readonly events: Array<JobEvent>
  summary: Planner.ApplySummary | null
  /** Live events; `null` marks the end of the stream. */
  readonly pubsub: PubSub.PubSub<JobEvent | null>
}

export interface CreateOptions {
  readonly desired: Planner.DesiredState
  readonly continueOnBlocked: boolean
  readonly concurrency: number
}

export interface JobsShape {
  /** Snapshot (through the cache) and plan, without starting anything. */
  readonly plan: (
    account: AccountRuntime,
    desired: Planner.DesiredState,
    fresh: boolean
  ) => Effect.Effect<{ readonly plan: Planner.Plan; readonly ageMs: number }, BinanceError | InvalidRequest | NotFound>
  readonly create: (account: AccountRuntime, token: string, options: CreateOptions) => Effect.Effect<JobRecord, BinanceError | InvalidRequest | NotFound>
  readonly get: (id: string) => JobRecord | undefined
  readonly view: (job: JobRecord) => Job
  /** Every event so far, then live ones, ending after `Done` (or when the job is interrupted). */
  readonly events: (job: JobRecord) => Stream.Stream<JobEvent>
  readonly running: () => number
}

export class Jobs extends Context.Tag("@marginctl/gateway/Jobs")<Jobs, JobsShape>() {}

const MAX_KEPT = 1000

const isFinal = (s: JobState) => s === "done" || s === "interrupted"

export const layer: Layer.Layer<Jobs, never, GatewayConfig | ReadCache | Changes | Metrics> = Layer.scoped(
  Jobs,
  Effect.gen(function*() {
    const config = yield* GatewayConfig
    const cache = yield* ReadCache
    const changes = yield* Changes
    const metrics = yield* Metrics
    const jobs = new Map<string, JobRecord>()
    const fibers = new Set<Fiber.RuntimeFiber<void>>()
    const locks = new Map<string, Effect.Semaphore>()
    const lockOf = (account: string) => {
      let lock = locks.get(account)
      if (lock === undefined) locks.set(account, lock = Effect.unsafeMakeSemaphore(1))
      return lock
    }

    const snapshot = (account: AccountRuntime, fresh: boolean): Effect.Effect<Cached<AccountSnapshot>, BinanceError> =>
      (fresh ? cache.refresh : cache.get)(keys.snapshot(account.name), account.client.getAccountSnapshot)

    const plan: JobsShape["plan"] = (account, desired, fresh) =>
      Effect.gen(function*() {
        const valid = Planner.validateDesired(desired)
        if (Either.isLeft(valid)) return yield* new InvalidRequest({ field: "desired", message: valid.left.reason })
        const snap = yield* snapshot(account, fresh)
        const known = new Set(snap.value.symbols.map((s) => s.symbol as string))
        const unknown = (desired.marginTypes?.symbols ?? []).find((e) => !known.has(e.symbol))
        if (unknown !== undefined) {
          return yield* new NotFound({ resource: "symbol", name: unknown.symbol, message: `${account.name} has no symbol ${unknown.symbol}` })
        }
        const planned = Planner.plan(desired, snap.value)
        if (Either.isLeft(planned)) return yield* new InvalidRequest({ field: "desired", message: planned.left.reason })
        return { plan: planned.right, ageMs: snap.ageMs }
      })

    const record = (job: JobRecord, event: Planner.ProgressEvent) =>
      Effect.gen(function*() {
        const entry: JobEvent = { seq: job.events.length + 1, time: yield* Clock.currentTimeMillis, event }
        job.events.push(entry)
        if (event._tag === "StepStarted" || event._tag === "StepFinished") {
          const step = job.steps.get(event.index)
          if (step !== undefined) {
            job.steps.set(event.index, event._tag === "StepStarted"
              ? { ...step, outcome: "running" }
              : {
                ...step,
                outcome: event.outcome,
                ...(event.reconciled !== undefined ? { reconciled: event.reconciled } : {}),
                ...(event.error !== undefined ? { error: event.error } : {})
              })
          }
        }
        yield* PubSub.publish(job.pubsub, entry)
      })

    const run = (job: JobRecord, account: AccountRuntime): Effect.Effect<void> => {
      const from = new Map<string, MarginType>()
      for (const s of job.plan.steps) if (s._tag === "SetMarginType") from.set(s.symbol, s.from)
      const who = { token: job.token, jobId: job.id }
      const runner: Planner.Runner = {
        setMultiAssetsMode: (on) => Effect.map(changes.setMultiAssets(account, on, who, !on), (a) => a.result),
        setMarginType: (symbol, type) =>
          Effect.map(changes.setMarginType(account, symbol, type, who, from.get(symbol) ?? null), (a) => a.result)
      }
      const body = Effect.gen(function*() {
        job.state = "running"
        job.startedAt = yield* Clock.currentTimeMillis
        yield* Effect.logInfo(`job ${job.id} started on ${job.account} (${job.plan.steps.length} steps)`)
        const summary = yield* Planner.applyWith(
          job.plan,
          runner,
          { concurrency: job.concurrency, continueOnBlocked: job.continueOnBlocked },
          (e) => record(job, e)
        )
        job.summary = summary
        job.state = "done"
      })
      return lockOf(account.name).withPermits(1)(body).pipe(
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            job.state = "interrupted"
          })
        ),
        Effect.ensuring(Effect.gen(function*() {
          job.finishedAt = yield* Clock.currentTimeMillis
          yield* cache.invalidate(keys.all(account.name))
          yield* PubSub.publish(job.pubsub, null)
          metrics.count("marginctl_gateway_jobs_total", { state: job.state })
          yield* Effect.logInfo(`job ${job.id} on ${job.account}: ${job.state}${job.summary ? ` (${Planner.describeEvent({ _tag: "Done", summary: job.summary })})` : ""}`)
        }))
      )
    }

    const evict = () => {
      if (jobs.size <= MAX_KEPT) return
      for (const [id, j] of jobs) {
        if (jobs.size <= MAX_KEPT) break
        if (isFinal(j.state)) jobs.delete(id)
      }
    }

    const create: JobsShape["create"] = (account, token, options) =>
      Effect.gen(function*() {
        const { plan: planned } = yield* plan(account, options.desired, true)
        const job: JobRecord = {
          id: `job_${crypto.randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`,
          account: account.name,
          token,
          state: "queued",
          createdAt: yield* Clock.currentTimeMillis,
          startedAt: null,
          finishedAt: null,
          continueOnBlocked: options.continueOnBlocked,
          concurrency: options.concurrency,
          plan: planned,
          steps: new Map(planned.steps.map((s) => [s.index, { index: s.index, title: s.title, outcome: "pending" as const }])),
          events: [],
          summary: null,
          pubsub: yield* PubSub.unbounded<JobEvent | null>()
        }
        jobs.set(job.id, job)
        evict()
        const fiber = yield* Effect.forkDaemon(run(job, account))
        fibers.add(fiber)
        fiber.addObserver(() => fibers.delete(fiber))
        return job
      })

    const events = (job: JobRecord): Stream.Stream<JobEvent> =>
      Stream.unwrapScoped(Effect.gen(function*() {
        const live = yield* PubSub.subscribe(job.pubsub)
        const past = job.events.slice()
        const ended = job.finishedAt !== null || past.some((e) => e.event._tag === "Done")
        if (ended) return Stream.fromIterable(past)
        const last = past.length === 0 ? 0 : past[past.length - 1]!.seq
        return Stream.concat(
          Stream.fromIterable(past),
          Stream.fromQueue(live).pipe(
            Stream.takeWhile((e): e is JobEvent => e !== null),
            Stream.filter((e) => e.seq > last),
            Stream.takeUntil((e) => e.event._tag === "Done")
          )
        )
      }))

    const view = (job: JobRecord): Job => ({
      id: job.id,
      account: job.account,
      token: job.token,
      state: job.state,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      continueOnBlocked: job.continueOnBlocked,
      concurrency: job.concurrency,
      plan: job.plan,
      steps: [...job.steps.values()],
      events: job.events,
      summary: job.summary
    })

    // Shutdown: give running jobs a bounded time to finish, then interrupt them (recorded as interrupted).
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const running = [...fibers]
        if (running.length === 0) return
        yield* Effect.logInfo(`shutdown: waiting up to ${config.shutdownGraceMs} ms for ${running.length} running job(s)`)
        // Finalizers are uninterruptible: the wait must be made interruptible for the timeout to end it.
        yield* Effect.interruptible(Fiber.awaitAll(running)).pipe(Effect.timeout(config.shutdownGraceMs), Effect.ignore)
        const left = [...fibers]
        if (left.length > 0) {
          yield* Effect.logWarning(`shutdown: interrupting ${left.length} job(s); in-flight calls are recorded as interrupted`)
          yield* Fiber.interruptAll(left)
        }
      })
    )

    metrics.addGauge({
      name: "marginctl_gateway_jobs_running",
      help: "Apply jobs queued or running",
      read: Effect.sync(() => [[{}, fibers.size] as const])
    })

    return { plan, create, get: (id) => jobs.get(id), view, events, running: () => fibers.size } satisfies JobsShape
  })
)
