/**
 * The one retry policy of every call to Binance, used by `BinanceHttp` for every surface:
 *
 * - **Transient, certainly not executed** — 503 "Service Unavailable", "Internal error", -1008
 *   throttled, and for reads also another 5xx or a transport error: sent again up to three times,
 *   200 → 400 → 800 ms apart (reference §1.3).
 * - **-1021**, the timestamp outside the recvWindow (not the matching engine's): the server clock is
 *   measured again and the call sent once more (`BinanceHttp`, which owns the clock).
 * - **429 from the exchange**: the weight budget pauses every caller for `Retry-After`. With
 *   `onRateLimited: "wait"` (a person at a terminal) the call waits the pause out and is sent again,
 *   at most `rateLimitRetries` times, with a warning logged; with `"fail"` (the default: a service
 *   whose callers decide) the caller gets `RateLimited` at once.
 * - **Never retried here**: a 418 ban (the budget refuses every call until it ends), a 403 (Binance's
 *   firewall: waiting it out makes it worse), a rule rejection, and anything that may have executed —
 *   `MarginClient` settles an unknown outcome by re-reading the account.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { retryOf } from "./BinanceCodes.js"
import type { BinanceError, RateLimited } from "./Errors.js"

export type OnRateLimited = "fail" | "wait"

export interface Options {
  /** What a 429 from the exchange does to the call that got it (default "fail"). */
  readonly onRateLimited: OnRateLimited
  /** With "wait": how many times one call is sent again after a 429 (default 2). */
  readonly rateLimitRetries: number
}

export const DEFAULT: Options = { onRateLimited: "fail", rateLimitRetries: 2 }

/**
 * Did this failure certainly not execute, and can sending it again soon help? The table says
 * (`BinanceCodes`, retry "transient", or "transient-read" for a read: a lost answer or a 5xx, which
 * for a write is an unknown outcome, settled by `MarginClient` alone).
 */
export const isTransient = (write: boolean) => (e: BinanceError): boolean => {
  const retry = retryOf(e)
  return retry === "transient" || (!write && retry === "transient-read")
}

/** The first wait after a transient failure; `transientSchedule` drives the ones after it. */
export const TRANSIENT_FIRST_DELAY = Duration.millis(200)

/** 400 ms, then 800 ms: with the first wait, four tries in all. */
export const transientSchedule = Schedule.exponential("400 millis").pipe(Schedule.intersect(Schedule.recurs(2)))

/** A 429 answered by the exchange (not the local budget refusing, not the firewall's 403). */
export const isExchange429 = (e: BinanceError): e is RateLimited =>
  e._tag === "RateLimited" && e.source === "exchange"

/** What is logged (level Warning) before a 429 is waited out. */
export const waitingMessage = (e: RateLimited): string =>
  `Binance answered 429 (too many requests); waiting ${e.retryAfterSeconds ?? 60} s as it asks`

/**
 * Applies the policy's 429 rule to one whole call (its transient retries and -1021 resync inside).
 * The wait itself is the weight budget's: the call reserves its weight again, which waits for the
 * pause to end.
 */
export const onRateLimited = (options: Options) => <A, R>(call: Effect.Effect<A, BinanceError, R>): Effect.Effect<A, BinanceError, R> =>
  options.onRateLimited === "fail" || options.rateLimitRetries <= 0
    ? call
    : Effect.retry(
      Effect.tapError(call, (e) => (isExchange429(e) ? Effect.logWarning(waitingMessage(e)) : Effect.void)),
      { times: options.rateLimitRetries, while: isExchange429 }
    )
