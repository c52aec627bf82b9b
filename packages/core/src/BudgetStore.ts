/**
 * Where a weight budget keeps its state, as a few atomic primitives: reserve weight in the sliding
 * 60-second window ending now, pause until, ban until, the correction from `X-MBX-USED-WEIGHT-1M`,
 * the limit, and a read of it all. The policy over them — who waits, in which order, how long, which
 * error a caller gets — is `WeightBudget`'s, written once for every store.
 *
 * Implementations: in memory (this module) and shared through Redis (the gateway's).
 * Every primitive takes the time from its caller, so that a budget follows the caller's `Clock`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"

/** The window's length: Binance counts request weight per minute. */
export const WINDOW_MS = 60_000

/** Weight counted at `at` (epoch ms): an admitted call, or weight the exchange reported beyond ours. */
export interface Entry {
  readonly at: number
  readonly weight: number
}

/** The store's state as read at one instant. */
export interface Snapshot {
  readonly limit: number
  /** Weight still in the window (counted after `now - WINDOW_MS`), oldest first. */
  readonly entries: ReadonlyArray<Entry>
  /** Epoch ms until which a 429 pauses every call (0: none). */
  readonly pausedUntil: number
  /** Epoch ms until which a 418 ban stops every call (0: none). */
  readonly bannedUntil: number
}

export type Reservation =
  | { readonly _tag: "Granted" }
  /** Nothing was recorded: banned, paused or full at `now`; the state that refused it. */
  | { readonly _tag: "Refused"; readonly snapshot: Snapshot }

/** The store could not be reached or answered with an error; `status` is 503, `reason` says why. */
export class BudgetStoreUnavailable extends Schema.TaggedError<BudgetStoreUnavailable>()("BudgetStoreUnavailable", {
  status: Schema.Number,
  reason: Schema.String
}) {
  get message(): string {
    return `weight budget store unavailable: ${this.reason}`
  }
}

export interface BudgetStoreShape {
  /**
   * Atomically: when nothing bans or pauses at `now` and `weight` fits the limit in the window ending
   * at `now`, records it at `now`; otherwise records nothing and returns the state that refused it.
   */
  readonly reserve: (weight: number, now: number) => Effect.Effect<Reservation, BudgetStoreUnavailable>
  readonly read: (now: number) => Effect.Effect<Snapshot, BudgetStoreUnavailable>
  /**
   * The exchange counted `usedWeight1m` in its current fixed minute: atomically records, at `now`,
   * whatever exceeds what the store counted in that minute. True when something was recorded.
   */
  readonly observeUsed: (usedWeight1m: number, now: number) => Effect.Effect<boolean, BudgetStoreUnavailable>
  /** Pauses until `untilMs`, unless a longer pause is already set. */
  readonly pauseUntil: (untilMs: number) => Effect.Effect<void, BudgetStoreUnavailable>
  /** Bans until `untilMs`, unless a longer ban is already set. */
  readonly banUntil: (untilMs: number) => Effect.Effect<void, BudgetStoreUnavailable>
  readonly setLimit: (limitPerMinute: number) => Effect.Effect<void, BudgetStoreUnavailable>
}

export class BudgetStore extends Context.Tag("@marginctl/core/BudgetStore")<BudgetStore, BudgetStoreShape>() {}

/**
 * Admitted weight is kept in 100 ms buckets: an entry counted in the same bucket as the last one is
 * merged into it, stamped at the later time. The earlier weight is then held (at most 100 ms) longer
 * than needed — never shorter — so the window stays a safe upper bound while holding at most ~600
 * entries however many calls a minute brings.
 */
const BUCKET_MS = 100

const GRANTED: Reservation = { _tag: "Granted" }

/**
 * A store in this process. Its state is plain mutable data changed only inside `Effect.sync`, so each
 * primitive is atomic on JavaScript's one thread and the common reservation is one synchronous step.
 */
export const makeMemory = (options: { readonly limit: number }): Effect.Effect<BudgetStoreShape> =>
  Effect.sync(() => {
    let limit = options.limit
    let pausedUntil = 0
    let bannedUntil = 0
    /** Oldest first; `total` is their sum. */
    const entries: Array<{ at: number; weight: number }> = []
    let total = 0

    const prune = (now: number): void => {
      let gone = 0
      while (gone < entries.length && entries[gone]!.at <= now - WINDOW_MS) total -= entries[gone++]!.weight
      if (gone > 0) entries.splice(0, gone)
    }
    const record = (at: number, weight: number): void => {
      const last = entries[entries.length - 1]
      if (last !== undefined && Math.floor(last.at / BUCKET_MS) === Math.floor(at / BUCKET_MS)) {
        last.at = Math.max(last.at, at)
        last.weight += weight
      } else {
        entries.push({ at, weight })
      }
      total += weight
    }
    const snapshot = (now: number): Snapshot => {
      prune(now)
      return { limit, entries: entries.map((e) => ({ at: e.at, weight: e.weight })), pausedUntil, bannedUntil }
    }

    return {
      reserve: (weight, now) =>
        Effect.sync(() => {
          prune(now)
          if (bannedUntil > now || pausedUntil > now || total + weight > limit) {
            return { _tag: "Refused", snapshot: snapshot(now) } as const
          }
          record(now, weight)
          return GRANTED
        }),
      read: (now) => Effect.sync(() => snapshot(now)),
      observeUsed: (usedWeight1m, now) =>
        Effect.sync(() => {
          prune(now)
          const minuteStart = Math.floor(now / WINDOW_MS) * WINDOW_MS
          let counted = 0
          for (const e of entries) if (e.at >= minuteStart && e.at <= now) counted += e.weight
          if (!(usedWeight1m > counted)) return false
          record(now, usedWeight1m - counted)
          return true
        }),
      pauseUntil: (untilMs) => Effect.sync(() => void (pausedUntil = Math.max(pausedUntil, untilMs))),
      banUntil: (untilMs) => Effect.sync(() => void (bannedUntil = Math.max(bannedUntil, untilMs))),
      setLimit: (limitPerMinute) => Effect.sync(() => void (limit = limitPerMinute))
    } satisfies BudgetStoreShape
  })

/** The in-memory store as a layer (one store per layer build). */
export const layerMemory = (options: { readonly limit: number }): Layer.Layer<BudgetStore> =>
  Layer.effect(BudgetStore, makeMemory(options))
