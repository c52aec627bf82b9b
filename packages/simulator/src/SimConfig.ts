/**
 * The simulator's behaviour switches, with their defaults. Set from the seed's `config`, changed at
 * run time with `PUT /_sim/config`.
 */
import type { ConfigInput } from "./Seed.js"

export interface SimConfig {
  /** REQUEST_WEIGHT per minute per IP; exchangeInfo reports the same value. */
  weightLimit: number
  /** Requests still tolerated after a 429 in the same minute before the IP is banned. */
  banAfter: number
  /** First ban length (ms); each further ban doubles it, up to three days. */
  banBaseMs: number
  /** Largest accepted recvWindow, or null for no cap. */
  recvWindowCap: number | null
  rejectUnknownParams: boolean
  isolatedBlocksOnlyWithPosition: boolean
  positionsBlockMultiAssets: boolean
  quirk4067: boolean
  defaultLeverage: number
  /** A listenKey's life after its creation or last keep-alive (ms). */
  listenKeyTtlMs: number
  /** A stream connection's longest life (ms); Binance closes it after 24 h. */
  streamMaxConnectionMs: number
  /** How often the server pings a stream connection (ms). */
  streamPingIntervalMs: number
  /** How long a connection may leave a ping unanswered before it is closed (ms). */
  streamPongTimeoutMs: number
  /** A margin-type change of a symbol without position sends ACCOUNT_UPDATE too (unconfirmed on Binance). */
  marginTypeEventWhenFlat: boolean
}

export const BAN_MAX_MS = 3 * 24 * 60 * 60 * 1000

export const defaults = (): SimConfig => ({
  weightLimit: 2400,
  banAfter: 10,
  banBaseMs: 120_000,
  recvWindowCap: 60_000,
  rejectUnknownParams: false,
  isolatedBlocksOnlyWithPosition: false,
  positionsBlockMultiAssets: false,
  quirk4067: false,
  defaultLeverage: 20,
  listenKeyTtlMs: 60 * 60 * 1000,
  streamMaxConnectionMs: 24 * 60 * 60 * 1000,
  streamPingIntervalMs: 3 * 60 * 1000,
  streamPongTimeoutMs: 10 * 60 * 1000,
  marginTypeEventWhenFlat: true
})

export const apply = (config: SimConfig, input: ConfigInput | undefined): void => {
  if (input === undefined) return
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value
  }
}
