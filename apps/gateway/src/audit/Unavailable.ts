/**
 * When the store (audit log and jobs) does not answer: the typed 503 a request gets, with its
 * Retry-After, and how writes the gateway has already acknowledged wait for the store to come back.
 */
import { StoreUnavailable } from "@marginctl/gateway-api/Errors"
import * as Effect from "effect/Effect"
import type { ParseError } from "effect/ParseResult"
import * as Schedule from "effect/Schedule"
import type { SqlError } from "@effect/sql/SqlError"

/** What a client is told to wait before retrying a request the store could not serve. */
export const RETRY_AFTER_SECONDS = 5

/** How a write is retried while the store is unavailable: backing off from 100 ms to every 5 s. */
export const storeBackoff = Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")))

/**
 * For a write the gateway has already acknowledged (a running job's progress, a step about to be
 * sent, the outcome of a change already sent): retried while the store is unavailable, until it answers again or the fiber is interrupted
 * (shutdown).
 */
export const untilStored = (what: string) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, StoreUnavailable>, R> =>
  // The retry only gives up on another error, so what fails is not StoreUnavailable.
  Effect.retry(
    effect,
    storeBackoff.pipe(
      Schedule.whileInput((e: E) => e instanceof StoreUnavailable),
      Schedule.tapInput((e: E) => Effect.logWarning(`${what}: waiting for the store (${e instanceof Error ? e.message : String(e)})`))
    )
  ) as Effect.Effect<A, Exclude<E, StoreUnavailable>, R>

/** A database error is the typed 503; a row that does not decode is a defect (the gateway wrote it). */
export const guarded = (kind: "sqlite" | "postgres") =>
<A>(effect: Effect.Effect<A, SqlError | ParseError>): Effect.Effect<A, StoreUnavailable> =>
  Effect.catchTags(effect, {
    SqlError: (e) => Effect.fail(unavailable(kind, e)),
    ParseError: (e) => Effect.die(e)
  })

/** An error's text without a connection URL (it may hold a password). */
const withoutUrls = (text: string) => text.replace(/postgres(ql)?:\/\/\S+/g, "<url>")

/** The typed 503 for a database error: what failed and why, without a connection URL. */
export const unavailable = (kind: "sqlite" | "postgres", e: { readonly message: string; readonly cause?: unknown }) => {
  const cause = e.cause instanceof Error ? e.cause.message : typeof e.cause === "string" ? e.cause : ""
  const text = cause === "" || e.message.includes(cause) ? e.message : `${e.message}: ${cause}`
  return new StoreUnavailable({
    retryAfterSeconds: RETRY_AFTER_SECONDS,
    message: `the audit and job store (${kind}) did not answer: ${withoutUrls(text)}`
  })
}
