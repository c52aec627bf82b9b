/**
 * An `@effect/platform` `HttpClient` that hands requests straight to a simulator, without a socket:
 * fast, deterministic tests of anything that talks HTTP to Binance. The host of the URL is ignored;
 * the path, raw query string, body and headers are what the simulator sees. A dropped-connection
 * fault fails with `RequestError` reason "Transport".
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type { SimRequest } from "./Simulator.js"
import { Simulator, type SimulatorShape } from "./Simulator.js"

export interface Options {
  /** The client IP the simulator sees (weights are per IP). Default 127.0.0.1. */
  readonly clientIp?: string | undefined
}

const decoder = new TextDecoder()

const concat = (chunks: Chunk.Chunk<Uint8Array>): Uint8Array => {
  const parts = Chunk.toReadonlyArray(chunks)
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const bodyOf = (
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<{ readonly text: string; readonly contentType: string | undefined }, HttpClientError.RequestError> => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return Effect.succeed({ text: "", contentType: undefined })
    case "Uint8Array":
      return Effect.succeed({ text: decoder.decode(body.body), contentType: body.contentType })
    case "Raw":
      return Effect.succeed({
        text: typeof body.body === "string"
          ? body.body
          : body.body instanceof Uint8Array
          ? decoder.decode(body.body)
          : String(body.body ?? ""),
        contentType: body.contentType
      })
    case "FormData": {
      const params = new URLSearchParams()
      for (const [k, v] of body.formData) if (typeof v === "string") params.append(k, v)
      return Effect.succeed({ text: params.toString(), contentType: "application/x-www-form-urlencoded" })
    }
    case "Stream":
      return Stream.runCollect(body.stream).pipe(
        Effect.map((chunks) => ({ text: decoder.decode(concat(chunks)), contentType: body.contentType })),
        Effect.mapError((cause) => new HttpClientError.RequestError({ request, reason: "Encode", cause }))
      )
  }
}

/** An HttpClient answered by `sim`. */
export const make = (sim: SimulatorShape, options: Options = {}): HttpClient.HttpClient =>
  HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const body = yield* bodyOf(request)
      const headers: Record<string, string> = { ...request.headers }
      if (headers["content-type"] === undefined && body.contentType !== undefined) headers["content-type"] = body.contentType
      const simRequest: SimRequest = {
        method: request.method,
        path: url.pathname,
        query: url.search.startsWith("?") ? url.search.slice(1) : url.search,
        body: body.text,
        headers,
        clientIp: options.clientIp ?? "127.0.0.1"
      }
      const answer = yield* sim.handle(simRequest)
      if (answer.dropConnection === true) {
        return yield* new HttpClientError.RequestError({
          request,
          reason: "Transport",
          description: "the simulator dropped the connection"
        })
      }
      return HttpClientResponse.fromWeb(request, new Response(answer.body, { status: answer.status, headers: answer.headers }))
    })
  )

/** `HttpClient` answered by the given simulator. */
export const layerWith = (sim: SimulatorShape, options: Options = {}): Layer.Layer<HttpClient.HttpClient> =>
  Layer.succeed(HttpClient.HttpClient, make(sim, options))

/** `HttpClient` answered by the `Simulator` in context. */
export const layer = (options: Options = {}): Layer.Layer<HttpClient.HttpClient, never, Simulator> =>
  Layer.effect(HttpClient.HttpClient, Effect.map(Simulator, (sim) => make(sim, options)))
