/**
 * One of the gateway's Server-Sent Events streams (a job's progress, an account's setting changes)
 * read as `Sse.Event`s: the contract's client reads a text body whole, so the stream is read with the
 * same HttpClient (base URL and bearer token) and parsed by `@effect/experimental`'s SSE parser. What
 * the endpoint answers instead of a stream (a refused token, an unknown account) is decoded as the
 * gateway's typed error.
 */
import * as Sse from "@effect/experimental/Sse"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { AccountErrors, Unauthenticated } from "@marginctl/gateway-api/Errors"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { GatewayFailure } from "./GatewayErrors.js"

/** What an events endpoint answers instead of a stream (its status says which). */
const decodeRefusal = HttpClientResponse.schemaBodyJson(Schema.Union(Unauthenticated, ...AccountErrors))

/** The events of the stream at `link` (relative to the client's base URL), until the gateway ends it. */
export const events = (client: HttpClient.HttpClient, link: string): Stream.Stream<Sse.Event, GatewayFailure> =>
  HttpClientResponse.stream(
    Effect.flatMap(
      client.get(link, { headers: { accept: "text/event-stream" } }),
      (r) => (r.status >= 200 && r.status < 300 ? Effect.succeed(r) : Effect.flatMap(decodeRefusal(r), Effect.fail))
    )
  ).pipe(
    Stream.decodeText(),
    Stream.pipeThroughChannel(Sse.makeChannel())
  )
