/**
 * Apply jobs. `create` plans a desired state from a fresh snapshot and starts the job in its own
 * fiber (one job at a time per account; later ones wait, `queued`), so it outlives the HTTP request
 * that started it and survives a slow upstream. Progress events are kept (with a sequence number) and
 * published for live streams.
 *
 * Jobs are durable: the job is written to the store (`AuditStore`) before `create` answers, again
 * when it starts and when it ends, and every progress event is appended as it happens. A job this
 * process no longer holds (evicted, or run before a restart) is read back from the store. On
 * shutdown, running jobs get `shutdownGraceMs` to finish; the rest are interrupted and recorded as
 * `interrupted` (their in-flight calls too, in the audit log). Jobs a crashed process left running
 * are marked `interrupted` at the next start (`Gateway.ts`).
 *
 * The store may fail: a job it cannot record is not created (503); a running job waits for the store
 * before each event and each step it sends, so nothing it reported is missing from the store.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as crypto from "node:crypto"
import type { MarginType } from "@marginctl/core/Domain"
import type { BinanceError } from "@marginctl/core/Errors"
import { withMaxLeverage } from "@marginctl/core/MarginClient"
import * as Planner from "@marginctl/core/Planner"
import type { AccountSnapshot } from "@marginctl/core/Snapshot"
import type { JobEvent } from "@marginctl/gateway-api/Jobs"
import { InvalidRequest, NotFound, type StoreUnavailable } from "@marginctl/gateway-api/Errors"
import type { AccountRuntime } from "./Accounts.js"
import { storeBackoff, untilStored } from "./audit/Unavailable.js"
import { AuditStore } from "./AuditStore.js"
import { Changes } from "./AuditedChanges.js"
import { GatewayConfig } from "./Config.js"
import { applyEvent, fromStore, isFinal, type JobRecord, pendingSteps, rowOf } from "./JobRecord.js"
import { Metrics } from "./Metrics.js"
import { type Cached, keys, ReadCache } from "./ReadCache.js"

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
  readonly create: (account: AccountRuntime, token: string, options: CreateOptions) => Effect.Effect<JobRecord, BinanceError | InvalidRequest | NotFound | StoreUnavailable>
  /** The job this process holds, else the one the store recorded; undefined when neither has it. */
  readonly get: (id: string) => Effect.Effect<JobRecord | undefined, StoreUnavailable>
  /** Every event so far, then live ones, ending after `Done` (or when the job is interrupted). */
  readonly events: (job: JobRecord) => Stream.Stream<JobEvent>
}

export class Jobs extends Context.Tag("@marginctl/gateway/Jobs")<Jobs, JobsShape>() {}

const MAX_KEPT = 1000

export const layer: Layer.Layer<Jobs, never, GatewayConfig | ReadCache | Changes | Metrics | AuditStore> = Layer.scoped(
  Jobs,
  Effect.gen(function*() {
    const config = yield* GatewayConfig
    const cache = yield* ReadCache
    const changes = yield* Changes
    const metrics = yield* Metrics
    const store = yield* AuditStore
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
        const read = yield* snapshot(account, fresh)
        // A desired leverage is checked against each symbol's maximum before anything is sent.
        const brackets = Planner.needsLeverageBrackets(desired)
          ? (yield* (fresh ? cache.refresh : cache.get)(keys.leverageBrackets(account.name), account.client.getLeverageBrackets)).value
          : undefined
        const snap = brackets === undefined ? read : { ...read, value: withMaxLeverage(read.value, brackets) }
        const known = new Set(snap.value.symbols.map((s) => s.symbol as string))
        const unknown = [...(desired.marginTypes?.symbols ?? []), ...(desired.leverage?.symbols ?? [])].find((e) => !known.has(e.symbol))
        if (unknown !== undefined) {
          return yield* new NotFound({ resource: "symbol", name: unknown.symbol, message: `${account.name} has no symbol ${unknown.symbol}` })
        }
        const planned = Planner.plan(desired, snap.value)
        if (Either.isLeft(planned)) return yield* new InvalidRequest({ field: "desired", message: planned.left.reason })
        return { plan: planned.right, ageMs: snap.ageMs }
      })

    /** Keeps the event (numbered in the order they happen), records it in the store, publishes it. */
    const record = (job: JobRecord, event: Planner.ProgressEvent) =>
      Effect.gen(function*() {
        const time = yield* Clock.currentTimeMillis
        const entry: JobEvent = { seq: job.events.length + 1, time, event }
        job.events.push(entry)
        applyEvent(job.steps, event)
        yield* store.jobEvent(job.id, entry).pipe(untilStored(`job ${job.id}, event ${entry.seq}`))
        if (job.pubsub !== null) yield* PubSub.publish(job.pubsub, entry)
      })

    const run = (job: JobRecord, account: AccountRuntime): Effect.Effect<void> => {
      const from = new Map<string, MarginType>()
      for (const s of job.plan.steps) if (s._tag === "SetMarginType") from.set(s.symbol, s.from)
      const who = { token: job.token, jobId: job.id }
      // A change fails with StoreUnavailable only before it is sent (its audit row was not written),
      // so the job waits for the store and sends it then.
      const waiting = untilStored(`job ${job.id}, a step`)
      const runner: Planner.Runner = {
        setMultiAssetsMode: (on) => waiting(changes.setMultiAssets(account, on, who, !on)),
        setMarginType: (symbol, type) => waiting(changes.setMarginType(account, symbol, type, who, from.get(symbol) ?? null)),
        setPositionMode: (mode) => waiting(changes.setPositionMode(account, mode, who, mode === "hedge" ? "one-way" : "hedge")),
        setLeverage: (symbol, leverage, before) => waiting(changes.setLeverage(account, symbol, leverage, who, before))
      }
      const body = Effect.gen(function*() {
        job.state = "running"
        job.startedAt = yield* Clock.currentTimeMillis
        yield* store.saveJob(rowOf(job)).pipe(untilStored(`job ${job.id}, its start`))
        yield* Effect.logInfo(`job ${job.id} started on ${job.account} (${job.plan.steps.length} steps)`)
        const summary = yield* Planner.applyWith(
          job.plan,
          runner,
          { concurrency: job.concurrency, continueOnBlocked: job.continueOnBlocked },
          (e) => record(job, e)
        )
        job.summary = summary
        job.finishedAt = yield* Clock.currentTimeMillis
        job.state = "done"
      })
      return lockOf(account.name).withPermits(1)(body).pipe(
        // Anything but the end of the plan (shutdown, a defect) leaves the job interrupted.
        Effect.onExit((exit) =>
          Effect.gen(function*() {
            if (job.state === "done") return
            job.finishedAt = yield* Clock.currentTimeMillis
            job.state = "interrupted"
            if (exit._tag === "Failure" && !Cause.isInterruptedOnly(exit.cause)) {
              yield* Effect.logError(`job ${job.id} stopped by an internal error`, Cause.pretty(exit.cause))
            }
          })
        ),
        Effect.ensuring(Effect.gen(function*() {
          // Its end is retried for a bounded time (this runs at shutdown too); a job whose end is not
          // recorded is marked interrupted at the next start.
          yield* store.saveJob(rowOf(job)).pipe(
            Effect.retry(storeBackoff.pipe(Schedule.upTo("10 seconds"))),
            Effect.catchAllCause((cause) => Effect.logError(`job ${job.id}: its end (${job.state}) could not be recorded`, Cause.pretty(cause)))
          )
          yield* cache.invalidate(keys.all(account.name))
          if (job.pubsub !== null) yield* PubSub.publish(job.pubsub, null)
          metrics.count("marginctl_gateway_jobs_total", { state: job.state })
          yield* Effect.logInfo(`job ${job.id} on ${job.account}: ${job.state}${job.summary ? ` (${Planner.describeEvent({ _tag: "Done", summary: job.summary })})` : ""}`)
        }))
      )
    }

    /** At most MAX_KEPT jobs stay in memory: the oldest finished ones go (the store keeps every job). */
    const evict = () => {
      for (const [id, j] of jobs) if (jobs.size > MAX_KEPT && isFinal(j.state)) jobs.delete(id)
    }

    const create: JobsShape["create"] = (account, token, options) =>
      Effect.gen(function*() {
        const { plan: planned } = yield* plan(account, options.desired, true)
        const job: JobRecord = {
          id: `job_${crypto.randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`,
          account: account.name,
          token,
          state: "queued",
          desired: options.desired,
          createdAt: yield* Clock.currentTimeMillis,
          startedAt: null,
          finishedAt: null,
          continueOnBlocked: options.continueOnBlocked,
          concurrency: options.concurrency,
          plan: planned,
          steps: pendingSteps(planned),
          events: [],
          summary: null,
          pubsub: yield* PubSub.unbounded<JobEvent | null>()
        }
        // Recorded before the job id is answered; recorded and started, or neither (the job's own
        // fiber must not inherit this region's uninterruptibility: shutdown interrupts it).
        return yield* Effect.uninterruptible(Effect.gen(function*() {
          yield* store.saveJob(rowOf(job))
          jobs.set(job.id, job)
          evict()
          const fiber = yield* Effect.forkDaemon(Effect.interruptible(run(job, account)))
          fibers.add(fiber)
          fiber.addObserver(() => fibers.delete(fiber))
          return job
        }))
      })

    const get: JobsShape["get"] = (id) =>
      Effect.suspend(() => {
        const held = jobs.get(id)
        if (held !== undefined) return Effect.succeed(held)
        return Effect.map(store.getJob(id), (stored) => (stored === undefined ? undefined : fromStore(stored)))
      })

    const events = (job: JobRecord): Stream.Stream<JobEvent> =>
      Stream.unwrapScoped(Effect.gen(function*() {
        const pubsub = job.pubsub
        if (pubsub === null) return Stream.fromIterable(job.events.slice())
        const live = yield* PubSub.subscribe(pubsub)
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

    return { plan, create, get, events } satisfies JobsShape
  })
)
