/**
 * A scripted stand-in for Binance as an `HttpClient` layer: each request is recorded and answered
 * by a handler. For client tests that need exact control over answers (the simulator covers the rest).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as BinanceConfig from "../../src/BinanceConfig.js"
import * as Signer from "../../src/Signer.js"
import * as WeightBudget from "../../src/WeightBudget.js"
import { MarginClient } from "../../src/MarginClient.js"

export interface Seen {
  readonly method: string
  readonly path: string
  readonly query: string
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

export interface Answer {
  readonly status?: number
  readonly body?: unknown
  readonly headers?: Record<string, string>
  /** Fail as a transport error instead of answering. */
  readonly drop?: boolean
  /** Never answer (the client's timeout must fire). */
  readonly hang?: boolean
}

export const API_KEY = "test-api-key-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
export const SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"

const decoder = new TextDecoder()

export const scripted = (handler: (req: Seen, seen: ReadonlyArray<Seen>) => Answer) => {
  const seen: Array<Seen> = []
  const client = HttpClient.make((request, url) =>
    Effect.suspend(() => {
      const body = request.body._tag === "Uint8Array" ? decoder.decode(request.body.body) : ""
      const req: Seen = {
        method: request.method,
        path: url.pathname,
        query: url.search.replace(/^\?/, ""),
        body,
        headers: request.headers
      }
      seen.push(req)
      const answer = handler(req, seen)
      if (answer.hang) return Effect.never
      if (answer.drop) {
        return Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error("socket hang up") }))
      }
      const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? {})
      return Effect.succeed(HttpClientResponse.fromWeb(
        request,
        new Response(text, {
          status: answer.status ?? 200,
          headers: { "content-type": "application/json", "x-mbx-used-weight-1m": "1", ...answer.headers }
        })
      ))
    })
  )
  return { seen, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

/** The whole client stack (MarginClient ← BinanceHttp ← config, HMAC signer, in-memory budget) on a scripted HttpClient. */
export const clientLayer = (
  http: Layer.Layer<HttpClient.HttpClient>,
  options: Partial<BinanceConfig.Options> = {}
) =>
  MarginClient.Default.pipe(
    Layer.provideMerge(Layer.mergeAll(
      BinanceConfig.layer({ baseUrl: "http://127.0.0.1:1", apiKey: Redacted.make(API_KEY), ...options }),
      Signer.layer(Signer.hmac(Redacted.make(SECRET))),
      WeightBudget.layerMemory(),
      http
    )),
    Layer.orDie
  )

export const ok = { body: { code: 200, msg: "success" } } as const
export const time = (serverTime: number): Answer => ({ body: { serverTime } })
export const accountConfig = (multiAssetsMargin: boolean): Answer => ({
  body: { feeTier: 0, canTrade: true, canDeposit: true, canWithdraw: true, dualSidePosition: false, updateTime: 0, multiAssetsMargin, tradeGroupId: -1 }
})
export const symbolConfig = (entries: ReadonlyArray<readonly [string, string]>): Answer => ({
  body: entries.map(([symbol, marginType]) => ({ symbol, marginType, isAutoAddMargin: false, leverage: 20, maxNotionalValue: "1000000" }))
})
export const error = (status: number, code: number, msg: string, headers?: Record<string, string>): Answer => ({
  status,
  body: { code, msg },
  ...(headers ? { headers } : {})
})
