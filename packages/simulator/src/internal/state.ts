/**
 * Everything the simulator knows, in one place, owned by the `Simulator` service.
 * @internal
 */
import type * as Clock from "effect/Clock"
import type * as Effect from "effect/Effect"
import type * as Account from "../Account.js"
import type * as ChangeLog from "../ChangeLog.js"
import type * as Faults from "../Faults.js"
import * as Market from "../Market.js"
import type { SimConfig } from "../SimConfig.js"
import type { InputError } from "../Seed.js"
import type { HmacVerifier } from "../Simulator.js"
import type * as UserDataStream from "../UserDataStream.js"
import type * as Weight from "../Weight.js"
import { exchangeInfoTemplate } from "./marketViews.js"

/** @internal */
export interface KeyEntry {
  readonly account: Account.Account
  readonly key: Account.ApiKey
}

/** @internal */
export interface State {
  readonly clock: Clock.Clock
  readonly config: SimConfig
  market: Market.Market
  exchangeInfo: (now: number) => string
  /** Weight limit the exchangeInfo template was built with. */
  exchangeInfoLimit: number
  readonly accounts: Map<string, Account.Account>
  readonly keys: Map<string, KeyEntry>
  readonly weights: Weight.Weights
  readonly faults: Faults.Faults
  readonly log: ChangeLog.ChangeLog
  /** listenKeys, their subscribers and the stream faults. */
  readonly stream: UserDataStream.UserDataStream
  /** Requests received per `METHOD /path` (exchange API only). */
  readonly requests: Map<string, number>
  nextId: number
  readonly adminToken: string
  readonly readFile: ((path: string) => Effect.Effect<string, InputError>) | undefined
  readonly hmacVerifier: HmacVerifier | undefined
}

/** @internal */
export const serverTime = (state: State): number => state.clock.unsafeCurrentTimeMillis() + state.faults.skew()

/** @internal */
export const setMarket = (state: State, market: Market.Market): void => {
  state.market = market
  state.exchangeInfo = exchangeInfoTemplate(market, state.config.weightLimit)
  state.exchangeInfoLimit = state.config.weightLimit
}

/** @internal */
export const exchangeInfoBody = (state: State, now: number): string => {
  if (state.exchangeInfoLimit !== state.config.weightLimit) setMarket(state, state.market)
  return state.exchangeInfo(now)
}

/** @internal */
export const indexKeys = (state: State): void => {
  state.keys.clear()
  for (const account of state.accounts.values()) {
    for (const key of account.keys) state.keys.set(key.apiKey, { account, key })
  }
}

/** @internal */
export const defaultMarket = (): Market.Market => Market.make()
