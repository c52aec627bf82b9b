/**
 * The request-weight budget of one upstream IP. Each call reserves its weight before it is sent and
 * waits (bounded) while the budget is full; every answer's `X-MBX-USED-WEIGHT-1M` corrects the count;
 * a 429 pauses every caller for `Retry-After` seconds; a 418 stops every caller until the ban ends.
 *
 * The policy is written once here, over a `BudgetStore` of primitives: in memory (one process) or
 * shared through Redis (the gateway's, across replicas). Callers of one process that must wait are
 * served first come first served; each is admitted only by the store's atomic reserve, so no
 * 60-second window ever holds more than the limit, however many processes share the store.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as BudgetStore from "./BudgetStore.js"
import { IpBanned, RateLimited } from "./Errors.js"
import * as Q from "./internal/budgetQueue.js"

export interface BudgetStatus {
  /** Weight allowed per minute (from exchangeInfo's REQUEST_WEIGHT limit; 2400 by default). */
  readonly limit: number
  /** Weight counted in the last 60 seconds (own reservations plus what the exchange reported beyond them). */
  readonly used: number
  readonly remaining: number
  /** Epoch ms until which a 429 pauses every call, or null. */
  readonly pausedUntil: number | null
  /** Epoch ms until which a 418 ban stops every call, or null. */
  readonly bannedUntil: number | null
}

export interface WeightBudgetShape {
  /**
   * Reserves `weight` for a call about to be sent. Waits while the budget is full or paused, as long as
   * the wait is at most `maxWaitMs`; otherwise fails at once with RateLimited (source "budget"), or with
   * IpBanned while a ban lasts. A store that cannot be reached refuses too (RateLimited, source "budget").
   */
  readonly reserve: (weight: number, maxWaitMs: number) => Effect.Effect<void, RateLimited | IpBanned>
  /** Corrects the count from an answer's `X-MBX-USED-WEIGHT-1M` (the exchange's count for its current minute). */
  readonly observeUsed: (usedWeight1m: number) => Effect.Effect<void>
  /** A 429 answer: every caller waits `retryAfterSeconds`. */
  readonly pause: (retryAfterSeconds: number) => Effect.Effect<void>
  /** A 418 answer: nothing is sent until `untilMs` (epoch ms). */
  readonly ban: (untilMs: number) => Effect.Effect<void>
  /** Sets the per-minute limit (read from exchangeInfo). */
  readonly setLimit: (limitPerMinute: number) => Effect.Effect<void>
  readonly status: Effect.Effect<BudgetStatus>
}

export class WeightBudget extends Context.Tag("@marginctl/core/WeightBudget")<WeightBudget, WeightBudgetShape>() {}

export const DEFAULT_LIMIT = 2400

const grouped = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",")

/** A number from outside (header, config) that must be finite and ≥ 0; anything else counts as 0. */
const nonNegative = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0)

/** Latest epoch ms a Date can show. */
const MAX_EPOCH_MS = 8.64e15

const refusalError = (refusal: Q.Refusal, now: number, weight: number, maxWaitMs: number): RateLimited | IpBanned => {
  const base = { status: 0, code: null, endpoint: "", source: "budget" as const }
  switch (refusal._tag) {
    case "Banned":
      return new IpBanned({
        status: 418,
        code: -1003,
        msg: `IP banned until ${new Date(refusal.until).toISOString()}`,
        endpoint: "",
        until: refusal.until,
        retryAfterSeconds: Math.ceil((refusal.until - now) / 1000)
      })
    case "TooHeavy":
      return new RateLimited({
        ...base,
        msg: `weight budget full: a call of weight ${weight} can never fit the limit of ${grouped(refusal.limit)} per minute`,
        retryAfterSeconds: null
      })
    case "TooLong": {
      const why = refusal.pausedMs >= refusal.waitMs
        ? `calls are paused for ${grouped(refusal.pausedMs)} ms after a 429`
        : `weight ${weight} fits in ${grouped(refusal.waitMs)} ms`
      return new RateLimited({
        ...base,
        msg: `weight budget full: ${why}, longer than the ${grouped(maxWaitMs)} ms this call may wait`,
        retryAfterSeconds: Math.ceil(refusal.waitMs / 1000)
      })
    }
  }
}

/** Fail closed: a call whose weight cannot be recorded is not sent. */
const unavailable = (e: BudgetStore.BudgetStoreUnavailable): RateLimited =>
  new RateLimited({
    status: 0,
    code: null,
    endpoint: "",
    source: "budget",
    msg: `weight budget store unavailable (${e.reason}); nothing was sent`,
    retryAfterSeconds: 1
  })

const toStatus = (s: BudgetStore.Snapshot, now: number): BudgetStatus => {
  let used = 0
  for (const e of s.entries) if (e.at > now - BudgetStore.WINDOW_MS && e.at <= now) used += e.weight
  return {
    limit: s.limit,
    used,
    remaining: Math.max(0, s.limit - used),
    pausedUntil: s.pausedUntil > now ? s.pausedUntil : null,
    bannedUntil: s.bannedUntil > now ? s.bannedUntil : null
  }
}

/**
 * The budget's policy over `store`. The waiters of this process are plain mutable data changed only
 * inside synchronous steps (atomic on JavaScript's one thread); a caller that finds nobody waiting and
 * room in the store is admitted by one store call, with no fiber, signal or queue involved.
 */
export const make = (store: BudgetStore.BudgetStoreShape): Effect.Effect<WeightBudgetShape> =>
  Effect.sync(() => {
    /** In arrival order; `at` never decreases along it. */
    let waiting: Array<Q.Waiter> = []
    /** Waiters refused while they slept, until they come to read it. */
    const refused = new Map<number, Q.Refusal>()
    let nextId = 0
    /** The latest state read from the store, to plan again when a waiter leaves. */
    let last: BudgetStore.Snapshot = { limit: DEFAULT_LIMIT, entries: [], pausedUntil: 0, bannedUntil: 0 }
    /** Completed (and replaced) whenever the waiters' plans changed. */
    let changed = Deferred.unsafeMake<void>(FiberId.none)

    const wake = (): void => {
      const signal = changed
      changed = Deferred.unsafeMake<void>(FiberId.none)
      Deferred.unsafeDone(signal, Effect.void)
    }
    /** Plans every waiter again against `s` and wakes them to read their new plans. */
    const replan = (s: BudgetStore.Snapshot, now: number): void => {
      last = s
      const plans = Q.replan(s, now, waiting)
      waiting = plans.waiting
      for (const [id, refusal] of plans.refused) refused.set(id, refusal)
      wake()
    }
    /** A waiter is done (admitted, refused, interrupted): the rest move up. */
    const leave = (id: number) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => {
          refused.delete(id)
          if (waiting.some((x) => x.id === id)) {
            waiting = waiting.filter((x) => x.id !== id)
            replan(last, now)
          }
        }))

    /** Sleeps until the waiter's planned time, then (first in line) asks the store; again on every change. */
    const awaitTurn = (id: number, weight: number, maxWaitMs: number) =>
      Effect.gen(function*() {
        let refusedAt = -1
        while (true) {
          const now = yield* Clock.currentTimeMillis
          const refusal = refused.get(id)
          if (refusal !== undefined) return yield* refusalError(refusal, now, weight, maxWaitMs)
          const index = waiting.findIndex((x) => x.id === id)
          if (index < 0) return yield* Effect.dieMessage(`WeightBudget: waiter ${id} disappeared`)
          // After a refusal the store is asked again 1 ms later at the soonest (clocks of other processes).
          const at = Math.max(waiting[index]!.at, refusedAt + 1)
          if (index > 0 || at > now) {
            const signal = Deferred.await(changed)
            // Both sides interruptible: `race` waits for the loser to end, and a caller may run in an
            // uninterruptible region (the gateway's writes), where an uninterruptible loser — the
            // `changed` signal nobody completes — would keep this waiter asleep past its turn.
            yield* at > now
              ? Effect.race(Effect.interruptible(Effect.sleep(at - now)), Effect.interruptible(signal))
              : Effect.interruptible(signal)
            continue
          }
          const reservation = yield* Effect.mapError(store.reserve(weight, now), unavailable)
          if (reservation._tag === "Granted") {
            // The others were planned behind this one already: they keep their plans; the next may go.
            waiting = waiting.filter((x) => x.id !== id)
            last = { ...last, entries: [...last.entries, { at: now, weight }] }
            return wake()
          }
          refusedAt = now
          replan(reservation.snapshot, now)
        }
      })

    /** Joins the waiters behind those already there, or is refused at once. */
    const enqueue = (weight: number, maxWaitMs: number, now: number, snapshot: BudgetStore.Snapshot | undefined) =>
      Effect.flatMap(
        snapshot === undefined ? Effect.mapError(store.read(now), unavailable) : Effect.succeed(snapshot),
        (s) =>
          Effect.uninterruptibleMask((restore) =>
            Effect.suspend(() => {
              last = s
              const deadline = now + maxWaitMs
              const at = Q.plan(s, now, weight, deadline, waiting)
              if (typeof at !== "number") return Effect.fail(refusalError(at, now, weight, maxWaitMs))
              const id = nextId++
              waiting.push({ id, weight, at, deadline })
              return Effect.ensuring(restore(awaitTurn(id, weight, maxWaitMs)), leave(id))
            })
          )
      )

    const reserve = (weight: number, maxWaitMs: number): Effect.Effect<void, RateLimited | IpBanned> => {
      const w = nonNegative(weight)
      const wait = Number.isNaN(maxWaitMs) ? 0 : Math.max(0, maxWaitMs)
      return Effect.flatMap(Clock.currentTimeMillis, (now) =>
        // First come first served: nobody overtakes a caller already waiting.
        waiting.length > 0
          ? enqueue(w, wait, now, undefined)
          : Effect.matchEffect(store.reserve(w, now), {
            onFailure: (e) => Effect.fail(unavailable(e)),
            onSuccess: (r) => (r._tag === "Granted" ? Effect.void : enqueue(w, wait, now, r.snapshot))
          }))
    }

    /** Applies a change to the store; when it moved anything, plans the waiters of this process again. */
    const change = (what: string, apply: (now: number) => Effect.Effect<boolean, BudgetStore.BudgetStoreUnavailable>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        apply(now).pipe(
          Effect.flatMap((moved) =>
            moved && waiting.length > 0
              ? Effect.flatMap(store.read(now), (s) => Effect.sync(() => replan(s, now)))
              : Effect.void
          ),
          Effect.catchAll((e) => Effect.logWarning(`weight budget: ${what} not recorded (${e.reason})`))
        ))

    return {
      reserve,
      observeUsed: (usedWeight1m) => change("used weight", (now) => store.observeUsed(nonNegative(usedWeight1m), now)),
      pause: (retryAfterSeconds) =>
        change("pause", (now) => Effect.as(store.pauseUntil(now + nonNegative(retryAfterSeconds) * 1000), true)),
      ban: (untilMs) => change("ban", () => Effect.as(store.banUntil(Math.min(nonNegative(untilMs), MAX_EPOCH_MS)), true)),
      setLimit: (limitPerMinute) =>
        nonNegative(limitPerMinute) > 0 ? change("limit", () => Effect.as(store.setLimit(limitPerMinute), true)) : Effect.void,
      status: Effect.flatMap(Clock.currentTimeMillis, (now) =>
        store.read(now).pipe(
          Effect.map((s) => toStatus(s, now)),
          // Nothing is admitted while the store is unreachable: the status says so (no room).
          Effect.catchAll((e) =>
            Effect.as(Effect.logWarning(`weight budget: status not read (${e.reason})`), {
              limit: last.limit,
              used: 0,
              remaining: 0,
              pausedUntil: null,
              bannedUntil: null
            })
          )
        ))
    } satisfies WeightBudgetShape
  })

/** The budget over the `BudgetStore` in context. */
export const layer: Layer.Layer<WeightBudget, never, BudgetStore.BudgetStore> = Layer.effect(
  WeightBudget,
  Effect.flatMap(BudgetStore.BudgetStore, make)
)

/** A budget kept in this process (a fresh in-memory store). */
export const makeMemory = (options?: { readonly limit?: number }): Effect.Effect<WeightBudgetShape> =>
  Effect.flatMap(
    BudgetStore.makeMemory({ limit: nonNegative(options?.limit ?? DEFAULT_LIMIT) || DEFAULT_LIMIT }),
    make
  )

/** The in-memory budget as a layer (one budget per layer build). */
export const layerMemory = (options?: { readonly limit?: number }): Layer.Layer<WeightBudget> =>
  Layer.effect(WeightBudget, makeMemory(options))
