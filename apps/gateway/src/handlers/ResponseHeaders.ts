/**
 * Headers a handler adds to the response of the current request: the one setter, and the
 * `Retry-After` of a 503 because the store did not answer.
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { StoreUnavailable } from "@marginctl/gateway-api/Errors"
import * as Effect from "effect/Effect"

/** Sets a response header on the response of the current request. */
export const setResponseHeader = (name: string, value: string): Effect.Effect<void> =>
  HttpApp.appendPreResponseHandler((_req, res) => Effect.succeed(HttpServerResponse.setHeader(res, name, value)))

/** A 503 because the store did not answer carries its Retry-After. */
export const storeRetryAfter = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.tapError(effect, (e) =>
    e instanceof StoreUnavailable ? setResponseHeader("retry-after", String(e.retryAfterSeconds)) : Effect.void)
