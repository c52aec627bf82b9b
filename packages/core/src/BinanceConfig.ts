/**
 * Where and how to call Binance: base URL, API key, recvWindow and timeouts. The library never
 * names environment variables; apps build this from their own configuration.
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { InvalidInput } from "./Errors.js"
import * as RetryPolicy from "./RetryPolicy.js"

export interface BinanceConfigShape {
  /** e.g. `https://fapi.binance.com` or the simulator's `http://127.0.0.1:PORT`; no trailing slash. */
  readonly baseUrl: string
  /** Sent as `X-MBX-APIKEY`; never logged. */
  readonly apiKey: Redacted.Redacted<string>
  /** Milliseconds after `timestamp` during which Binance accepts the request (default 5000, at most 60000). */
  readonly recvWindow: number
  /** How long one HTTP call may take before it is abandoned (ms). */
  readonly requestTimeoutMs: number
  /** Re-measure the server time offset when the last measurement is older than this (ms). */
  readonly clockRefreshMs: number
  /** The longest a call waits for room in the weight budget before failing with RateLimited (ms). */
  readonly maxBudgetWaitMs: number
  /** What a 429 from the exchange does to the call that got it (see `RetryPolicy`). */
  readonly retry: RetryPolicy.Options
}

export class BinanceConfig extends Context.Tag("@marginctl/core/BinanceConfig")<BinanceConfig, BinanceConfigShape>() {}

export const RECV_WINDOW_DEFAULT = 5000
export const RECV_WINDOW_MAX = 60000

export interface Options {
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted<string>
  readonly recvWindow?: number | undefined
  readonly requestTimeoutMs?: number | undefined
  readonly clockRefreshMs?: number | undefined
  readonly maxBudgetWaitMs?: number | undefined
  readonly retry?: Partial<RetryPolicy.Options> | undefined
}

const validUrl = (raw: string): string | undefined => {
  try {
    const url = new URL(raw)
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined
    if (url.search !== "" || url.hash !== "") return undefined
    return url.toString().replace(/\/+$/, "")
  } catch {
    return undefined
  }
}

/** Validates options: a clear InvalidInput names the field and what is accepted. */
export const make = (options: Options): Effect.Effect<BinanceConfigShape, InvalidInput> =>
  Effect.gen(function*() {
    const baseUrl = validUrl(options.baseUrl)
    if (baseUrl === undefined) {
      return yield* new InvalidInput({
        field: "baseUrl",
        accepted: "an http:// or https:// URL without query or fragment, e.g. https://fapi.binance.com",
        received: JSON.stringify(options.baseUrl)
      })
    }
    const recvWindow = options.recvWindow ?? RECV_WINDOW_DEFAULT
    if (!Number.isInteger(recvWindow) || recvWindow < 1 || recvWindow > RECV_WINDOW_MAX) {
      return yield* new InvalidInput({
        field: "recvWindow",
        accepted: `a whole number of milliseconds from 1 to ${RECV_WINDOW_MAX}`,
        received: String(recvWindow)
      })
    }
    if (Redacted.value(options.apiKey).length === 0) {
      return yield* new InvalidInput({ field: "apiKey", accepted: "a non-empty Binance API key" })
    }
    return {
      baseUrl,
      apiKey: options.apiKey,
      recvWindow,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      clockRefreshMs: options.clockRefreshMs ?? 5 * 60_000,
      maxBudgetWaitMs: options.maxBudgetWaitMs ?? 65_000,
      retry: { ...RetryPolicy.DEFAULT, ...options.retry }
    }
  })

export const layer = (options: Options): Layer.Layer<BinanceConfig, InvalidInput> =>
  Layer.effect(BinanceConfig, make(options))

export const layerConfig = (config: Config.Config.Wrap<Options>): Layer.Layer<BinanceConfig, InvalidInput | ConfigError.ConfigError> =>
  Layer.effect(BinanceConfig, Effect.flatMap(Config.unwrap(config), make))
