/**
 * A gateway older than one of the contract's endpoints answers it `404 {"_tag":"RouteNotFound"}`. The
 * client derived from the contract would decode that 404 as the contract's `NotFound` and fail with a
 * `ParseError`, like any garbled answer; this client turns it into a `ResponseError` whose reason is
 * `StatusCode` (which the derived client never raises for a 404), so that a caller can tell "this
 * gateway has no such endpoint" (`isRouteMissing`) from a broken answer. Other answers pass unchanged.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"

const ROUTE_NOT_FOUND = "RouteNotFound"

const tagOf = (text: string): unknown => {
  try {
    const body: unknown = JSON.parse(text)
    return typeof body === "object" && body !== null && "_tag" in body ? body._tag : undefined
  } catch {
    return undefined
  }
}

/** `http`, failing a 404 RouteNotFound with a `ResponseError` (reason `StatusCode`, description `RouteNotFound`). */
export const routeAware = (http: HttpClient.HttpClient): HttpClient.HttpClient =>
  HttpClient.transformResponse(http, (effect) =>
    Effect.flatMap(effect, (response) =>
      response.status !== 404
        ? Effect.succeed(response)
        : Effect.flatMap(response.text, (text) =>
          tagOf(text) === ROUTE_NOT_FOUND
            ? Effect.fail(
              new HttpClientError.ResponseError({ request: response.request, response, reason: "StatusCode", description: ROUTE_NOT_FOUND })
            )
            // The body was read: hand the derived client a response that still has it.
            : Effect.succeed(HttpClientResponse.fromWeb(response.request, new Response(text, { status: 404, headers: response.headers }))))))

/** Whether `error` is a missing endpoint as `routeAware` reports it. */
export const isRouteMissing = (error: { readonly _tag: string }): boolean =>
  error._tag === "ResponseError" && (error as HttpClientError.ResponseError).description === ROUTE_NOT_FOUND
