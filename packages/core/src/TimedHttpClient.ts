/**
 * An HTTP client that bounds each request by a timeout itself. `BinanceHttp` bounds every exchange by
 * `requestTimeoutMs`: with any `HttpClient` it races the exchange against a timer (`Effect.timeoutFail`,
 * two fibers per call); when the context holds a `TimedHttpClient` (the Node entry point's, over
 * undici) it takes a client from it that arms one timer on the request and no fiber.
 *
 * A request that runs out fails with `RequestError` (reason "Transport") whose cause is `RequestTimedOut`.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Data from "effect/Data"

/** The cause of a `RequestError` when the answer did not arrive within the timeout. */
export class RequestTimedOut extends Data.TaggedError("RequestTimedOut")<{ readonly timeoutMs: number }> {}

export interface TimedHttpClientShape {
  /** A client whose every request fails with `RequestTimedOut` (and is aborted) after `timeoutMs`. */
  readonly withTimeout: (timeoutMs: number) => HttpClient.HttpClient
}

export class TimedHttpClient extends Context.Tag("@marginctl/core/TimedHttpClient")<TimedHttpClient, TimedHttpClientShape>() {}

/** Is this the cause of a request that ran out of time? */
export const isTimedOut = (cause: unknown): cause is RequestTimedOut =>
  typeof cause === "object" && cause !== null && (cause as { _tag?: unknown })._tag === "RequestTimedOut"
