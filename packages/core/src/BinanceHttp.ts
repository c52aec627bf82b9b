/**
 * One configured HTTP path to Binance: builds the request (GET parameters in the query string, POST
 * parameters as a form body), adds `timestamp` from the server clock and `recvWindow`, signs the exact
 * bytes sent and appends `signature` last, reserves the call's weight, corrects the budget from
 * `X-MBX-USED-WEIGHT-1M`, honours 429/418, maps every failure to a typed error, resyncs the clock and
 * retries once after a -1021, and otherwise retries as `RetryPolicy` says.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Clock from "effect/Clock"
import * as Layer from "effect/Layer"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { BinanceConfig } from "./BinanceConfig.js"
import * as Catalog from "./Catalog.js"
import * as Endpoint from "./Endpoint.js"
import {
  type BinanceError,
  ExecutionUnknown,
  fromAnswer,
  Transport,
  UnexpectedResponse
} from "./Errors.js"
import { intHeader, toQuery } from "./internal/wire.js"
import * as RetryPolicy from "./RetryPolicy.js"
import * as ServerClock from "./ServerClock.js"
import { Signer } from "./Signer.js"
import { WeightBudget } from "./WeightBudget.js"

type AnyEndpoint = Endpoint.Endpoint<string, any, Schema.Schema<any, any, never>>

/** The answer of one HTTP exchange, before classification; `json` is undefined when the body is not JSON. */
interface RawAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
  readonly json: unknown
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** `{code, msg}` of an error body (a negative code; `{"code":200,"msg":"success"}` is not one). */
const errorBody = (json: unknown): { readonly code: number; readonly msg: string } | undefined => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined
  const { code, msg } = json as { code?: unknown; msg?: unknown }
  return typeof code === "number" && typeof msg === "string" ? { code, msg } : undefined
}

const describeTransport = (e: HttpClientError.HttpClientError): { reason: "connection" | "timeout"; msg: string } => {
  // Never use e.message: it names the URL, which carries the signature.
  const cause = (e as { cause?: unknown }).cause
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String((cause as { code: unknown }).code) : ""
  const nested = typeof cause === "object" && cause !== null && "cause" in cause ? (cause as { cause?: { code?: unknown } }).cause : undefined
  const nestedCode = nested && typeof nested === "object" && "code" in nested ? String(nested.code) : ""
  const errCode = code || nestedCode
  if (e._tag === "RequestError" && e.reason === "Transport") {
    return { reason: "connection", msg: errCode ? `connection failed (${errCode})` : "connection failed or was dropped" }
  }
  if (e._tag === "ResponseError") return { reason: "connection", msg: `the answer could not be read (${e.reason})` }
  return { reason: "connection", msg: `request could not be sent (${e.reason})` }
}

/** Spans without a captured stack trace: capturing one costs more than the rest of the span. */
const SPAN = { captureStackTrace: false } as const

/** Did the request certainly not reach the server? (connection refused / DNS) */
const neverSent = (msg: string): boolean => /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ERR_INVALID_URL/.test(msg)

export class BinanceHttp extends Effect.Service<BinanceHttp>()("@marginctl/core/BinanceHttp", {
  effect: Effect.gen(function*() {
    const config = yield* BinanceConfig
    const signer = yield* Signer
    const budget = yield* WeightBudget
    // No span per HTTP request: the platform's would record the full URL, which carries the signature,
    // and the X-MBX-APIKEY header. The `BinanceHttp.<endpoint>` span around each call stands in for it.
    const http = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true))
    const apiKey = config.apiKey

    /**
     * Sends one request and classifies the answer. The parameters are encoded (for a signed request:
     * timestamped and signed) only once the weight budget admitted the call, so that a wait for the
     * budget never makes the timestamp older than the recvWindow.
     */
    const exchange = (
      endpoint: AnyEndpoint,
      encode: Effect.Effect<string, BinanceError>,
      weight: number
    ): Effect.Effect<RawAnswer, BinanceError> =>
      Effect.gen(function*() {
        const label = Endpoint.label(endpoint)
        const write = Endpoint.isWrite(endpoint)
        yield* budget.reserve(weight, config.maxBudgetWaitMs)
        const encoded = yield* encode
        let request = endpoint.method === "GET"
          ? HttpClientRequest.get(config.baseUrl + endpoint.path + (encoded ? `?${encoded}` : ""))
          : HttpClientRequest.post(config.baseUrl + endpoint.path).pipe(
            HttpClientRequest.bodyText(encoded, "application/x-www-form-urlencoded")
          )
        request = HttpClientRequest.acceptJson(request)
        if (Endpoint.needsApiKey(endpoint)) {
          request = HttpClientRequest.setHeader(request, "X-MBX-APIKEY", Redacted.value(apiKey))
        }
        const answer = yield* http.execute(request).pipe(
          Effect.flatMap((res) =>
            Effect.map(res.text, (body): RawAnswer => ({ status: res.status, headers: res.headers, body, json: parseJson(body) }))
          ),
          Effect.timeoutFail({
            duration: Duration.millis(config.requestTimeoutMs),
            onTimeout: (): BinanceError =>
              write
                ? new ExecutionUnknown({ status: 0, code: null, msg: `no answer within ${config.requestTimeoutMs} ms`, endpoint: label })
                : new Transport({ status: 0, code: null, msg: `no answer within ${config.requestTimeoutMs} ms`, endpoint: label, reason: "timeout" })
          }),
          Effect.catchTag("RequestError", "ResponseError", (e): Effect.Effect<never, BinanceError> => {
            const { msg, reason } = describeTransport(e)
            return Effect.fail(
              write && !neverSent(msg)
                ? new ExecutionUnknown({ status: 0, code: null, msg, endpoint: label })
                : new Transport({ status: 0, code: null, msg, endpoint: label, reason })
            )
          })
        )
        const used = intHeader(answer.headers, "x-mbx-used-weight-1m")
        if (used !== null) yield* budget.observeUsed(used)
        const body = errorBody(answer.json)
        if (answer.status >= 200 && answer.status < 300 && (body === undefined || body.code >= 0)) return answer
        const retryAfter = intHeader(answer.headers, "retry-after")
        const now = yield* Clock.currentTimeMillis
        const error = fromAnswer({
          status: answer.status,
          code: body?.code ?? null,
          msg: body?.msg ?? (answer.body.slice(0, 200) || `HTTP ${answer.status}`),
          endpoint: label,
          retryAfterSeconds: retryAfter,
          now,
          isWrite: write
        })
        if (error._tag === "RateLimited") yield* budget.pause(retryAfter ?? 60)
        if (error._tag === "IpBanned") yield* budget.ban(error.until ?? now + (retryAfter ?? 120) * 1000)
        return yield* error
      })

    // One decoder per endpoint, built on first use.
    const decoders = new Map<AnyEndpoint, (json: unknown) => Effect.Effect<unknown, ParseResult.ParseError>>()
    const decoderOf = (endpoint: AnyEndpoint) => {
      let decoder = decoders.get(endpoint)
      if (decoder === undefined) {
        decoder = Schema.decodeUnknown(endpoint.response as Schema.Schema<unknown, any, never>)
        decoders.set(endpoint, decoder)
      }
      return decoder
    }

    const decode = <A>(endpoint: AnyEndpoint, answer: RawAnswer): Effect.Effect<A, UnexpectedResponse> => {
      const unexpected = (msg: string) =>
        new UnexpectedResponse({ status: answer.status, code: null, msg, endpoint: Endpoint.label(endpoint) })
      if (answer.json === undefined) return Effect.fail(unexpected(`the body is not JSON: ${answer.body.slice(0, 100)}`))
      return (decoderOf(endpoint)(answer.json) as Effect.Effect<A, ParseResult.ParseError>).pipe(
        Effect.mapError((e) => unexpected(`the body does not match the documented shape: ${e.message.slice(0, 300)}`))
      )
    }

    const unsigned = <A>(endpoint: AnyEndpoint, pairs: ReadonlyArray<readonly [string, string]>, weight: number) =>
      Effect.flatMap(exchange(endpoint, Effect.succeed(toQuery(pairs)), weight), (a) => decode<A>(endpoint, a))

    const clock = yield* ServerClock.make(
      unsigned<{ readonly serverTime: number }>(Catalog.time, [], 1).pipe(Effect.map((r) => r.serverTime)),
      { refreshMs: config.clockRefreshMs }
    )

    const signedOnce = (endpoint: AnyEndpoint, pairs: ReadonlyArray<readonly [string, string]>, weight: number) =>
      exchange(
        endpoint,
        Effect.gen(function*() {
          const timestamp = yield* clock.now
          const payload = toQuery([...pairs, ["recvWindow", String(config.recvWindow)], ["timestamp", String(timestamp)]])
          const signature = yield* signer.sign(payload)
          return `${payload}&signature=${encodeURIComponent(signature)}`
        }),
        weight
      )

    const rateLimited = RetryPolicy.onRateLimited(config.retry)

    const call = <E extends AnyEndpoint>(
      endpoint: E,
      params: Endpoint.Params<E>
    ): Effect.Effect<Endpoint.Result<E>, BinanceError> => {
      const pairs = Endpoint.encodeParams(endpoint, params as never)
      const weight = endpoint.weight(params as never)
      const write = Endpoint.isWrite(endpoint)
      const once: Effect.Effect<RawAnswer, BinanceError> = Endpoint.isSigned(endpoint)
        ? signedOnce(endpoint, pairs, weight).pipe(
          // A -1021 means the request was not executed: resync the clock and try exactly once more.
          Effect.catchAll((e): Effect.Effect<RawAnswer, BinanceError> =>
            e._tag === "TimestampOutsideWindow" && e.reason !== "matching-engine"
              ? Effect.zipRight(clock.invalidate, signedOnce(endpoint, pairs, weight))
              : Effect.fail(e)
          )
        )
        : exchange(endpoint, Effect.succeed(toQuery(pairs)), weight)
      const transient = RetryPolicy.isTransient(write)
      return once.pipe(
        // The retry schedule is set up only once a retryable failure happened (most calls succeed).
        Effect.catchIf(transient, () =>
          Effect.zipRight(
            Effect.sleep(RetryPolicy.TRANSIENT_FIRST_DELAY),
            Effect.retry(once, { schedule: RetryPolicy.transientSchedule, while: transient })
          )),
        rateLimited,
        Effect.flatMap((a) => decode<Endpoint.Result<E>>(endpoint, a)),
        Effect.tap(() => Effect.logDebug(`${Endpoint.label(endpoint)} ok (weight ${weight})`)),
        Effect.withSpan(`BinanceHttp.${endpoint.id}`, SPAN)
      )
    }

    return {
      /** Calls an endpoint of the catalog with typed parameters and returns its decoded answer. */
      call,
      /** The server clock (offset from GET /fapi/v1/time with RTT/2 correction). */
      clock,
      /** The weight budget this client spends from. */
      budget
    } as const
  })
}) {}

/** The server clock of a BinanceHttp, as its own service (for `marginctl time` and readiness checks). */
export const layerServerClock: Layer.Layer<ServerClock.ServerClock, never, BinanceHttp> = Layer.effect(
  ServerClock.ServerClock,
  Effect.map(BinanceHttp, (h) => h.clock)
)
