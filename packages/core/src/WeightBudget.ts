/**
 * The request-weight budget of one upstream IP. Each call reserves its weight before it is sent and
 * waits (bounded) while the budget is full; every answer's `X-MBX-USED-WEIGHT-1M` corrects the count;
 * a 429 pauses every caller for `Retry-After` seconds; a 418 stops every caller until the ban ends.
 * Implementations: in memory (this module) and shared through Redis (the gateway's).
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { IpBanned, RateLimited } from "./Errors.js"

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
