/// <reference types="node" />
/**
 * An `HttpClient` straight over `undici`'s `Dispatcher.request`. Hand-written instead of
 * `@effect/platform-node`'s undici client because that one goes through `HttpClient.make`, which per
 * request parses a `URL`, makes an `AbortController`, registers the response with a
 * `FinalizationRegistry` and wraps it again: together about 250 µs of CPU per call, more than undici
 * itself. Here a request is one `Effect.async` around `dispatcher.request`; the answer is read whole
 * (Binance's answers are small) and kept as bytes; interrupting the fiber, or the optional timeout,
 * aborts the request.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import type * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Readable } from "node:stream"
import type { Dispatcher } from "undici"
import { RequestTimedOut } from "../TimedHttpClient.js"

const decoder = new TextDecoder()

/** An answer read whole: status, headers and the body's bytes. */
class BufferedResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [IncomingMessage.TypeId]: IncomingMessage.TypeId = IncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly remoteAddress = Option.none<string>()
  private cachedHeaders: Headers.Headers | undefined
  private cachedText: string | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    private readonly rawHeaders: Dispatcher.ResponseData["headers"],
    private readonly bytes: Uint8Array
  ) {
    super()
  }

  get headers(): Headers.Headers {
    return (this.cachedHeaders ??= Headers.fromInput(this.rawHeaders as Headers.Input))
  }

  get cookies(): Cookies.Cookies {
    const header = this.rawHeaders["set-cookie"]
    return header === undefined ? Cookies.empty : Cookies.fromSetCookie(Array.isArray(header) ? header : [header])
  }

  private decodeError(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.sync(() => (this.cachedText ??= decoder.decode(this.bytes)))
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => (text === "" ? null : JSON.parse(text)), catch: (cause) => this.decodeError(cause) }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.sync(() => this.bytes.slice().buffer as ArrayBuffer)
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.succeed(this.bytes)
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    const contentType = this.headers["content-type"]
    return Effect.tryPromise({
      try: () => new Response(this.bytes.slice(), contentType === undefined ? {} : { headers: { "content-type": contentType } }).formData(),
      catch: (cause) => this.decodeError(cause)
    })
  }

  toJSON(): unknown {
    return IncomingMessage.inspect(this, { _id: "@effect/platform/HttpClientResponse", request: this.request.toJSON(), status: this.status })
  }
}

/** `origin` and `path` of the request, without a `URL` object for the usual plain absolute URL. */
const target = (request: HttpClientRequest.HttpClientRequest): { origin: string; path: string } | undefined => {
  const plain = request.urlParams.length === 0 && Option.isNone(request.hash)
  const scheme = request.url.indexOf("://")
  if (plain && scheme > 0) {
    const slash = request.url.indexOf("/", scheme + 3)
    return slash === -1 ? { origin: request.url, path: "/" } : { origin: request.url.slice(0, slash), path: request.url.slice(slash) }
  }
  const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
  return url._tag === "Left" ? undefined : { origin: url.right.origin, path: url.right.pathname + url.right.search + url.right.hash }
}

type Body = Exclude<Dispatcher.DispatchOptions["body"], undefined>

const bodyOf = (body: HttpBody.HttpBody): Body => {
  switch (body._tag) {
    case "Empty":
      return null
    case "Uint8Array":
      return body.body
    case "Raw":
      return body.body as Body
    case "FormData":
      return body.formData as unknown as Body
    case "Stream":
      return Readable.from(Stream.toAsyncIterable(body.stream))
  }
}

/**
 * An `HttpClient` over `dispatcher`. With `timeoutMs`, a request that has no whole answer after that
 * long is aborted and fails with `RequestError` whose cause is `RequestTimedOut`.
 */
export const make = (dispatcher: Dispatcher, timeoutMs?: number): HttpClient.HttpClient =>
  HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    Effect.flatMap((request) =>
      Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
        const to = target(request)
        if (to === undefined) {
          resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: request.url })))
          return
        }
        const controller = new AbortController()
        let timedOut = false
        const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
          timedOut = true
          controller.abort()
        }, timeoutMs)
        const fail = (cause: unknown) => {
          clearTimeout(timer)
          resume(Effect.fail(
            new HttpClientError.RequestError({ request, reason: "Transport", cause: timedOut ? new RequestTimedOut({ timeoutMs: timeoutMs! }) : cause })
          ))
        }
        dispatcher.request({
          method: request.method as Dispatcher.HttpMethod,
          origin: to.origin,
          path: to.path,
          headers: request.headers,
          body: bodyOf(request.body),
          signal: controller.signal
        }).then((res: Dispatcher.ResponseData) =>
          res.body.bytes().then((bytes: Uint8Array) => {
            clearTimeout(timer)
            resume(Effect.succeed(new BufferedResponse(request, res.statusCode, res.headers, bytes)))
          }, fail), fail)
        return Effect.sync(() => {
          clearTimeout(timer)
          controller.abort()
        })
      })
    ),
    Effect.succeed
  )
