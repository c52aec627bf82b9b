/**
 * Headers added to the response of the current request: the one setter, and the `Retry-After` of
 * every error that says when to retry (a 429, a 503 because the store did not answer).
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { RateLimited, StoreUnavailable } from "@marginctl/gateway-api/Errors"
import * as Effect from "effect/Effect"

/** Sets a response header on the response of the current request. */
export const setResponseHeader = (name: string, value: string): Effect.Effect<void> =>
  HttpApp.appendPreResponseHandler((_req, res) => Effect.succeed(HttpServerResponse.setHeader(res, name, value)))

/** An error of the contract that says when to retry (RateLimited, StoreUnavailable) is answered with that Retry-After. */
export const retryAfterOf = (e: unknown): Effect.Effect<void> =>
  e instanceof RateLimited || e instanceof StoreUnavailable ? setResponseHeader("retry-after", String(e.retryAfterSeconds)) : Effect.void
