/**
 * The one retry policy of every call to Binance, declared as one `Schedule` over the call's failures
 * (`schedule`) and applied by `BinanceHttp` with `Effect.retry` to one whole call, for every surface:
 *
 * - **Transient, certainly not executed** — 503 "Service Unavailable", "Internal error", -1008
 *   throttled, and for reads also another 5xx or a transport error: sent again up to three times,
 *   200 → 400 → 800 ms apart (reference §1.3).
 * - **-1021**, the timestamp outside the recvWindow (not the matching engine's): sent once more at
 *   once; `BinanceHttp` has forgotten the clock offset on seeing the answer, so the resend measures it.
 * - **429 from the exchange**: the weight budget pauses every caller for `Retry-After`. With
 *   `onRateLimited: "wait"` (a person at a terminal) the call is sent again at once, at most
 *   `rateLimitRetries` times, with a warning logged — the budget's pause is the wait; with `"fail"`
 *   (the default: a service whose callers decide) the caller gets `RateLimited` at once.
 * - **Never retried here**: a 418 ban (the budget refuses every call until it ends), a 403 (Binance's
 *   firewall: waiting it out makes it worse), a rule rejection, the local budget's refusal, and
 *   anything that may have executed — `MarginClient` settles an unknown outcome by re-reading the
 *   account.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleInterval from "effect/ScheduleInterval"
import { type Retry, retryOf } from "./BinanceCodes.js"
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
export const isTransient = (write: boolean) => (e: BinanceError): boolean => transient(retryOf(e), write)

const transient = (retry: Retry, write: boolean): boolean => retry === "transient" || (!write && retry === "transient-read")

/** Which rule of the policy sends a failed call again. */
export type Rule = "transient" | "clock" | "rate-limited"

/** The rule under which this failure is sent again, if any. */
export const ruleOf = (options: Options, write: boolean) => (e: BinanceError): Rule | undefined => {
  const retry = retryOf(e)
  return transient(retry, write)
    ? "transient"
    : retry === "resync-clock"
    ? "clock"
    : options.onRateLimited === "wait" && isExchange429(e)
    ? "rate-limited"
    : undefined
}

/** How many times one call is sent again under each rule. */
export const limits = (options: Options): Readonly<Record<Rule, number>> => ({
  transient: 3,
  clock: 1,
  "rate-limited": options.onRateLimited === "wait" ? Math.max(0, options.rateLimitRetries) : 0
})

/** The first wait after a transient failure; each next one is twice as long. */
export const TRANSIENT_FIRST_DELAY = Duration.millis(200)

/** The wait before the `n`-th resend (0-based) under a rule: 200, 400, 800 ms for transients, none otherwise. */
export const delay = (rule: Rule, n: number): Duration.Duration =>
  rule === "transient" ? Duration.times(TRANSIENT_FIRST_DELAY, 2 ** n) : Duration.zero

/** A 429 answered by the exchange (not the local budget refusing, not the firewall's 403). */
export const isExchange429 = (e: BinanceError): e is RateLimited =>
  e._tag === "RateLimited" && e.source === "exchange"

/** What is logged (level Warning) before a 429 is waited out. */
export const waitingMessage = (e: RateLimited): string =>
  `Binance answered 429 (too many requests); waiting ${e.retryAfterSeconds ?? 60} s as it asks`

const NONE_USED: Readonly<Record<Rule, number>> = { transient: 0, clock: 0, "rate-limited": 0 }

/**
 * The policy for one call (a write or a read) as a `Schedule` fed with the call's failures: each rule
 * counts its own resends; the output is the rule that sent the call again. Written with
 * `Schedule.makeWithState` because Effect's combinators count every input, and each rule here has
 * its own limit.
 */
export const schedule = (options: Options, write: boolean): Schedule.Schedule<Rule, BinanceError> => {
  const rule = ruleOf(options, write)
  const limit = limits(options)
  return Schedule.makeWithState(NONE_USED, (now, e: BinanceError, used) => {
    const r = rule(e)
    if (r === undefined || used[r] >= limit[r]) {
      return Effect.succeed([used, r ?? "transient", ScheduleDecision.done] as const)
    }
    const next = [
      { ...used, [r]: used[r] + 1 },
      r,
      ScheduleDecision.continueWith(ScheduleInterval.after(now + Duration.toMillis(delay(r, used[r]))))
    ] as const
    return r === "rate-limited" ? Effect.as(Effect.logWarning(waitingMessage(e as RateLimited)), next) : Effect.succeed(next)
  })
}
