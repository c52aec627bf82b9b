/**
 * The request-weight budget of one upstream IP. Each call reserves its weight before it is sent and
 * waits (bounded) while the budget is full; every answer's `X-MBX-USED-WEIGHT-1M` corrects the count;
 * a 429 pauses every caller for `Retry-After` seconds; a 418 stops every caller until the ban ends.
 * Implementations: in memory (this module) and shared through Redis (the gateway's).
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { IpBanned, RateLimited } from "./Errors.js"
import * as W from "./internal/weightWindow.js"

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
   * IpBanned while a ban lasts.
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

// ---------------------------------------------------------------------------------------------
// In memory

interface State {
  readonly window: W.Window
  /** Completed (and replaced) whenever a pause, ban, limit or reported usage moves the waiters. */
  readonly changed: Deferred.Deferred<void>
}

const grouped = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",")

/** A number from outside (header, config) that must be finite and ≥ 0; anything else counts as 0. */
const nonNegative = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0)

/** Latest epoch ms a Date can show. */
const MAX_EPOCH_MS = 8.64e15

const refusalError = (
  refusal: W.Refusal,
  now: number,
  weight: number,
  maxWaitMs: number
): RateLimited | IpBanned => {
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

/**
 * A budget kept in this process: a sliding 60-second window over reservations, waiting callers
 * served first come first served, pauses (429) and bans (418) shared by every caller.
 */
export const makeMemory = (options?: { readonly limit?: number }): Effect.Effect<WeightBudgetShape> =>
  Effect.gen(function*() {
    const initial = nonNegative(options?.limit ?? DEFAULT_LIMIT) || DEFAULT_LIMIT
    const state = yield* Ref.make<State>({ window: W.empty(initial), changed: yield* Deferred.make<void>() })

    /** Applies `f` to the window and wakes every waiter to re-read its planned time. */
    const change = (f: (w: W.Window, now: number) => W.Window): Effect.Effect<void> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const fiberId = yield* Effect.fiberId
        // Most reported usage changes nothing: the next signal is only made when the window moved.
        const previous = yield* Ref.modify(state, (s) => {
          const window = f(s.window, now)
          return window === s.window ? [null, s] : [s.changed, { window, changed: Deferred.unsafeMake<void>(fiberId) }]
        })
        if (previous !== null) yield* Deferred.succeed(previous, undefined)
      })

    /** Sleeps until the waiter's planned time, re-reading it whenever the window changes. */
    const awaitTurn = (id: number, weight: number, maxWaitMs: number): Effect.Effect<void, RateLimited | IpBanned> =>
      Effect.gen(function*() {
        while (true) {
          const now = yield* Clock.currentTimeMillis
          const [turn, changed] = yield* Ref.modify(state, (s) => {
            const [turn, window] = W.claim(s.window, now, id)
            return [[turn, s.changed] as const, { ...s, window }]
          })
          switch (turn._tag) {
            case "Admitted":
              return
            case "Refused":
              return yield* refusalError(turn.refusal, now, weight, maxWaitMs)
            case "Lost":
              return yield* Effect.dieMessage(`WeightBudget: reservation ${id} disappeared`)
            case "Wait":
              // Both sides interruptible: `race` waits for the loser to end, and a caller may run in an
              // uninterruptible region (the gateway's writes), where an uninterruptible loser — the
              // `changed` signal nobody completes — would keep this waiter asleep past its turn.
              yield* Effect.race(Effect.interruptible(Effect.sleep(turn.ms)), Effect.interruptible(Deferred.await(changed)))
          }
        }
      })

    const reserve = (weight: number, maxWaitMs: number): Effect.Effect<void, RateLimited | IpBanned> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const w = nonNegative(weight)
          const wait = Number.isNaN(maxWaitMs) ? 0 : Math.max(0, maxWaitMs)
          const now = yield* Clock.currentTimeMillis
          const reserved = yield* Ref.modify(state, (s) => {
            const [reserved, window] = W.reserve(s.window, now, w, wait)
            return [reserved, { ...s, window }]
          })
          switch (reserved._tag) {
            case "Admitted":
              return
            case "Refused":
              return yield* refusalError(reserved.refusal, now, w, wait)
            case "Queued":
              return yield* restore(awaitTurn(reserved.id, w, wait)).pipe(
                Effect.onInterrupt(() => change((window, t) => W.withdraw(window, t, reserved.id)))
              )
          }
        })
      )

    const status = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const { window } = yield* Ref.get(state)
      const used = W.used(window, now)
      return {
        limit: window.limit,
        used,
        remaining: Math.max(0, window.limit - used),
        pausedUntil: window.pausedUntil > now ? window.pausedUntil : null,
        bannedUntil: window.bannedUntil > now ? window.bannedUntil : null
      } satisfies BudgetStatus
    })

    return {
      reserve,
      observeUsed: (usedWeight1m) => change((w, now) => W.observe(w, now, nonNegative(usedWeight1m))),
      pause: (retryAfterSeconds) => change((w, now) => W.pause(w, now, now + nonNegative(retryAfterSeconds) * 1000)),
      ban: (untilMs) => change((w, now) => W.ban(w, now, Math.min(nonNegative(untilMs), MAX_EPOCH_MS))),
      setLimit: (limitPerMinute) =>
        change((w, now) => (nonNegative(limitPerMinute) > 0 ? W.setLimit(w, now, limitPerMinute) : w)),
      status
    } satisfies WeightBudgetShape
  })

/** The in-memory budget as a layer (one budget per layer build). */
export const layerMemory = (options?: { readonly limit?: number }): Layer.Layer<WeightBudget> =>
  Layer.effect(WeightBudget, makeMemory(options))
