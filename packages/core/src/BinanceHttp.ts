/**
 * One configured HTTP path to Binance, built once as a pipeline:
 *
 * 1. **request mapping** — GET parameters in the query string, POST parameters as a form body;
 *    `Accept: application/json` on every request, `X-MBX-APIKEY` on those that need it;
 * 2. **budget** — the call's weight is reserved (waiting, bounded, while the budget is full);
 * 3. **timestamp and signature** — `timestamp` from the server clock and `recvWindow`, the exact
 *    bytes signed, `signature` last; after the budget, so that waiting never ages the timestamp;
 * 4. **execute** — bounded by `requestTimeoutMs` (a `TimedHttpClient` when the context has one);
 * 5. **observe** — `X-MBX-USED-WEIGHT-1M` corrects the budget;
 * 6. **classify** — an error answer becomes a typed error (`fromAnswer`); a 429 pauses the budget,
 *    a 418 bans it, a -1021 makes the clock measure again;
 * 7. **decode** — the body against the endpoint's schema.
 *
 * Steps 2 to 6 are retried as `RetryPolicy.schedule` says, one `Effect.retry` per call.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import type * as Schedule from "effect/Schedule"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { BinanceConfig } from "./BinanceConfig.js"
import * as Catalog from "./Catalog.js"
import * as Endpoint from "./Endpoint.js"
import { type BinanceError, fromAnswer, UnexpectedResponse } from "./Errors.js"
import { errorBody, parseJson, type RawAnswer, transportError } from "./internal/answer.js"
import { intHeader, toQuery } from "./internal/wire.js"
import * as RetryPolicy from "./RetryPolicy.js"
import * as ServerClock from "./ServerClock.js"
import { Signer } from "./Signer.js"
import { RequestTimedOut, TimedHttpClient } from "./TimedHttpClient.js"
import { WeightBudget } from "./WeightBudget.js"

type AnyEndpoint = Endpoint.Endpoint<string, any, Schema.Schema<any, any, never>>

/** Spans without a captured stack trace: capturing one costs more than the rest of the span. */
const SPAN = { captureStackTrace: false } as const

export class BinanceHttp extends Effect.Service<BinanceHttp>()("@marginctl/core/BinanceHttp", {
  effect: Effect.gen(function*() {
    const config = yield* BinanceConfig
    const signer = yield* Signer
    const budget = yield* WeightBudget
    const timeoutMs = config.requestTimeoutMs

    // 4. execute, bounded in time: by a TimedHttpClient's own timer, or else by a timer racing the
    // exchange. No span per HTTP request: the platform's would record the full URL, which carries the
    // signature, and the X-MBX-APIKEY header; the `BinanceHttp.<endpoint>` span around each call
    // stands in for it.
    const timed = Option.map(yield* Effect.serviceOption(TimedHttpClient), (t) => t.withTimeout(timeoutMs))
    const bounded = (Option.isSome(timed) ? timed.value : (yield* HttpClient.HttpClient).pipe(
      HttpClient.transform((response, request) =>
        Effect.timeoutFail(response, {
          duration: timeoutMs,
          onTimeout: () => new HttpClientError.RequestError({ request, reason: "Transport", cause: new RequestTimedOut({ timeoutMs }) })
        })
      )
    )).pipe(HttpClient.withTracerDisabledWhen(() => true))
    // 1. request mapping and 5. observe, on the client itself.
    const open = bounded.pipe(
      HttpClient.mapRequest(HttpClientRequest.acceptJson),
      HttpClient.tap((res) => {
        const used = intHeader(res.headers, "x-mbx-used-weight-1m")
        return used === null ? Effect.void : budget.observeUsed(used)
      })
    )
    const keyed = open.pipe(HttpClient.mapRequest(HttpClientRequest.setHeader("X-MBX-APIKEY", Redacted.value(config.apiKey))))

    const requestOf = (endpoint: AnyEndpoint, encoded: string): HttpClientRequest.HttpClientRequest =>
      endpoint.method === "GET"
        ? HttpClientRequest.get(config.baseUrl + endpoint.path + (encoded ? `?${encoded}` : ""))
        : HttpClientRequest.bodyText(HttpClientRequest.make(endpoint.method)(config.baseUrl + endpoint.path), encoded, "application/x-www-form-urlencoded")

    const execute = (endpoint: AnyEndpoint, encoded: string, label: string, write: boolean): Effect.Effect<RawAnswer, BinanceError> =>
      (Endpoint.needsApiKey(endpoint) ? keyed : open).execute(requestOf(endpoint, encoded)).pipe(
        Effect.flatMap((res) =>
          Effect.map(res.text, (body): RawAnswer => ({ status: res.status, headers: res.headers, body, json: parseJson(body) }))
        ),
        Effect.mapError((e) => transportError(e, label, write, timeoutMs))
      )

    // 6. classify: an error answer as a typed error, after telling the budget and the clock.
    const classify = (answer: RawAnswer, label: string, write: boolean): Effect.Effect<RawAnswer, BinanceError> => {
      const body = errorBody(answer.json)
      if (answer.status >= 200 && answer.status < 300 && (body === undefined || body.code >= 0)) return Effect.succeed(answer)
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const retryAfter = intHeader(answer.headers, "retry-after")
        const error = fromAnswer({
          status: answer.status,
          code: body?.code ?? null,
          msg: body?.msg ?? (answer.body.slice(0, 200) || `HTTP ${answer.status}`),
          endpoint: label,
          retryAfterSeconds: retryAfter,
          now,
          isWrite: write
        })
        const told = error._tag === "RateLimited"
          ? budget.pause(retryAfter ?? 60)
          : error._tag === "IpBanned"
          ? budget.ban(error.until ?? now + (retryAfter ?? 120) * 1000)
          : error._tag === "TimestampOutsideWindow"
          ? clock.invalidate
          : Effect.void
        return Effect.zipRight(told, Effect.fail(error))
      })
    }

    // 7. decode: one decoder per endpoint, built on first use.
    const decoders = new Map<AnyEndpoint, (json: unknown) => Effect.Effect<unknown, ParseResult.ParseError>>()
    const decode = <A>(endpoint: AnyEndpoint, answer: RawAnswer, label: string): Effect.Effect<A, UnexpectedResponse> => {
      const unexpected = (msg: string) => new UnexpectedResponse({ status: answer.status, code: null, msg, endpoint: label })
      if (answer.json === undefined) return Effect.fail(unexpected(`the body is not JSON: ${answer.body.slice(0, 100)}`))
      let decoder = decoders.get(endpoint)
      if (decoder === undefined) {
        decoder = Schema.decodeUnknown(endpoint.response as Schema.Schema<unknown, any, never>)
        decoders.set(endpoint, decoder)
      }
      return (decoder(answer.json) as Effect.Effect<A, ParseResult.ParseError>).pipe(
        Effect.mapError((e) => unexpected(`the body does not match the documented shape: ${e.message.slice(0, 300)}`))
      )
    }

    // The retry policy, one schedule per kind of call (a write may have executed, a read not).
    const policy = { read: RetryPolicy.schedule(config.retry, false), write: RetryPolicy.schedule(config.retry, true) }

    /**
     * `Effect.retry(once, schedule)` after `once` already failed with `first`: the schedule is fed
     * `first` without sending the call again. Most calls succeed, and this way only a failed one pays
     * for setting up the schedule.
     */
    const retried = <A>(
      once: Effect.Effect<A, BinanceError>,
      first: BinanceError,
      schedule: Schedule.Schedule<RetryPolicy.Rule, BinanceError>
    ): Effect.Effect<A, BinanceError> => {
      let replay = true
      return Effect.retry(Effect.suspend(() => (replay ? ((replay = false), Effect.fail(first)) : once)), schedule)
    }

    const call = <E extends AnyEndpoint>(
      endpoint: E,
      params: Endpoint.Params<E>
    ): Effect.Effect<Endpoint.Result<E>, BinanceError> => {
      const pairs = Endpoint.encodeParams(endpoint, params as never)
      const weight = endpoint.weight(params as never)
      const write = Endpoint.isWrite(endpoint)
      const label = Endpoint.label(endpoint)
      // 3. timestamp and signature, for a signed endpoint.
      const encode: Effect.Effect<string, BinanceError> = Endpoint.isSigned(endpoint)
        ? Effect.flatMap(clock.now, (timestamp) => {
          const payload = toQuery([...pairs, ["recvWindow", String(config.recvWindow)], ["timestamp", String(timestamp)]])
          return Effect.map(signer.sign(payload), (signature) => `${payload}&signature=${encodeURIComponent(signature)}`)
        })
        : Effect.succeed(toQuery(pairs))
      const once = budget.reserve(weight, config.maxBudgetWaitMs).pipe(
        Effect.zipRight(encode),
        Effect.flatMap((encoded) => execute(endpoint, encoded, label, write)),
        Effect.flatMap((answer) => classify(answer, label, write))
      )
      return once.pipe(
        Effect.catchAll((first) => retried(once, first, write ? policy.write : policy.read)),
        Effect.flatMap((answer) => decode<Endpoint.Result<E>>(endpoint, answer, label)),
        Effect.tap(() => Effect.logDebug(`${label} ok (weight ${weight})`)),
        Effect.withSpan(`BinanceHttp.${endpoint.id}`, SPAN)
      )
    }

    const clock: ServerClock.ServerClockShape<BinanceError> = yield* ServerClock.make(
      Effect.map(call(Catalog.time, {}), (r) => r.serverTime),
      { refreshMs: config.clockRefreshMs }
    )

    return {
      /** Calls an endpoint of the catalog with typed parameters and returns its decoded answer. */
      call,
      /** The server clock (offset from GET /fapi/v1/time with RTT/2 correction). */
      clock,
      /** The weight budget this client spends from. */
      budget,
      /** The REST base URL calls go to (the user-data stream derives its WebSocket's from it). */
      baseUrl: config.baseUrl
    } as const
  })
}) {}

/** The server clock of a BinanceHttp, as its own service (for `marginctl time` and readiness checks). */
export const layerServerClock: Layer.Layer<ServerClock.ServerClock, never, BinanceHttp> = Layer.effect(
  ServerClock.ServerClock,
  Effect.map(BinanceHttp, (h) => h.clock)
)
