/**
 * The endpoints marginctl uses, with Binance's weights (reference §5 and the endpoint pages):
 * the POSTs cost 1, the seeds' GET /fapi/v1/multiAssetsMargin costs 30, accountConfig and
 * symbolConfig 5, openOrders / openAlgoOrders 1 with a symbol and 40 without, leverageBracket 1
 * (https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Notional-and-Leverage-Brackets).
 */
import * as Schema from "effect/Schema"
import { BooleanFromWire, Leverage, MarginType, SymbolId } from "./Domain.js"
import * as Endpoint from "./Endpoint.js"
import * as R from "./Responses.js"

const NoParams = Schema.Struct({})
const OptionalSymbol = Schema.Struct({ symbol: Schema.optional(SymbolId) })
const oneOr = (many: number) => (p: { readonly symbol?: unknown }) => (p.symbol === undefined ? many : 1)

export const time = Endpoint.make({
  id: "time",
  method: "GET",
  path: "/fapi/v1/time",
  security: "NONE",
  weight: () => 1,
  params: NoParams,
  response: R.ServerTime,
  description: "Server time"
})

export const exchangeInfo = Endpoint.make({
  id: "exchangeInfo",
  method: "GET",
  path: "/fapi/v1/exchangeInfo",
  security: "NONE",
  weight: () => 1,
  params: NoParams,
  response: R.ExchangeInfo,
  description: "Rate limits, assets (margin availability, auto-exchange thresholds) and symbols"
})

export const getMultiAssetsMargin = Endpoint.make({
  id: "getMultiAssetsMargin",
  method: "GET",
  path: "/fapi/v1/multiAssetsMargin",
  security: "USER_DATA",
  weight: () => 30,
  params: NoParams,
  response: R.MultiAssetsMarginBody,
  description: "Multi-Assets Mode (weight 30; accountConfig returns the same flag for 5)"
})

export const setMultiAssetsMargin = Endpoint.make({
  id: "setMultiAssetsMargin",
  method: "POST",
  path: "/fapi/v1/multiAssetsMargin",
  security: "TRADE",
  weight: () => 1,
  params: Schema.Struct({ multiAssetsMargin: BooleanFromWire }),
  response: R.SuccessBody,
  description: "Change Multi-Assets Mode"
})

export const setMarginType = Endpoint.make({
  id: "setMarginType",
  method: "POST",
  path: "/fapi/v1/marginType",
  security: "TRADE",
  weight: () => 1,
  params: Schema.Struct({ symbol: SymbolId, marginType: MarginType }),
  response: R.SuccessBody,
  description: "Change a symbol's margin type"
})

export const accountConfig = Endpoint.make({
  id: "accountConfig",
  method: "GET",
  path: "/fapi/v1/accountConfig",
  security: "USER_DATA",
  weight: () => 5,
  params: NoParams,
  response: R.AccountConfig,
  description: "Account configuration: Multi-Assets Mode and position mode"
})

export const symbolConfig = Endpoint.make({
  id: "symbolConfig",
  method: "GET",
  path: "/fapi/v1/symbolConfig",
  security: "USER_DATA",
  weight: () => 5,
  params: OptionalSymbol,
  response: R.SymbolConfig,
  description: "Every symbol's margin type and leverage"
})

export const openOrders = Endpoint.make({
  id: "openOrders",
  method: "GET",
  path: "/fapi/v1/openOrders",
  security: "USER_DATA",
  weight: oneOr(40),
  params: OptionalSymbol,
  response: R.OpenOrders,
  description: "Open regular orders"
})

export const openAlgoOrders = Endpoint.make({
  id: "openAlgoOrders",
  method: "GET",
  path: "/fapi/v1/openAlgoOrders",
  security: "USER_DATA",
  weight: oneOr(40),
  params: OptionalSymbol,
  response: R.OpenAlgoOrders,
  description: "Open conditional (algo) orders"
})

export const positionRisk = Endpoint.make({
  id: "positionRisk",
  method: "GET",
  path: "/fapi/v3/positionRisk",
  security: "USER_DATA",
  weight: () => 5,
  params: OptionalSymbol,
  response: R.PositionRisk,
  description: "Positions (symbols with a position or open orders)"
})

export const account = Endpoint.make({
  id: "account",
  method: "GET",
  path: "/fapi/v3/account",
  security: "USER_DATA",
  weight: () => 5,
  params: NoParams,
  response: R.AccountV3,
  description: "Balances per asset, totals and positions"
})

export const assetIndex = Endpoint.make({
  id: "assetIndex",
  method: "GET",
  path: "/fapi/v1/assetIndex",
  security: "NONE",
  weight: oneOr(10),
  params: Schema.Struct({ symbol: Schema.optional(SymbolId) }),
  response: R.AssetIndex,
  description: "Multi-Assets asset index: index prices, buffers, auto-exchange rates"
})

export const getPositionSideDual = Endpoint.make({
  id: "getPositionSideDual",
  method: "GET",
  path: "/fapi/v1/positionSide/dual",
  security: "USER_DATA",
  weight: () => 30,
  params: NoParams,
  response: R.PositionSideDualBody,
  description: "Position mode (true = Hedge)"
})

export const setPositionMode = Endpoint.make({
  id: "setPositionMode",
  method: "POST",
  path: "/fapi/v1/positionSide/dual",
  security: "TRADE",
  weight: () => 1,
  params: Schema.Struct({ dualSidePosition: BooleanFromWire }),
  response: R.SuccessBody,
  description: "Change the position mode (true = Hedge), account-wide"
})

export const leverageBrackets = Endpoint.make({
  id: "leverageBrackets",
  method: "GET",
  path: "/fapi/v1/leverageBracket",
  security: "USER_DATA",
  weight: () => 1,
  params: OptionalSymbol,
  response: R.LeverageBrackets,
  description: "Notional and leverage brackets per symbol (the first bracket's initialLeverage is the maximum)"
})

export const setLeverage = Endpoint.make({
  id: "setLeverage",
  method: "POST",
  path: "/fapi/v1/leverage",
  security: "TRADE",
  weight: () => 1,
  params: Schema.Struct({ symbol: SymbolId, leverage: Leverage }),
  response: R.LeverageBody,
  description: "Change a symbol's initial leverage"
})

export const createListenKey = Endpoint.make({
  id: "createListenKey",
  method: "POST",
  path: "/fapi/v1/listenKey",
  security: "USER_STREAM",
  weight: () => 1,
  params: NoParams,
  response: R.ListenKeyBody,
  description: "The account's user-data stream key (the active one, extended, if it is still valid)"
})

export const keepAliveListenKey = Endpoint.make({
  id: "keepAliveListenKey",
  method: "PUT",
  path: "/fapi/v1/listenKey",
  security: "USER_STREAM",
  weight: () => 1,
  params: NoParams,
  response: R.ListenKeyBody,
  description: "Extend the user-data stream key by 60 minutes"
})

export const closeListenKey = Endpoint.make({
  id: "closeListenKey",
  method: "DELETE",
  path: "/fapi/v1/listenKey",
  security: "USER_STREAM",
  weight: () => 1,
  params: NoParams,
  response: R.EmptyBody,
  description: "Close the user-data stream"
})

export const all = [
  time,
  exchangeInfo,
  getMultiAssetsMargin,
  setMultiAssetsMargin,
  setMarginType,
  accountConfig,
  symbolConfig,
  openOrders,
  openAlgoOrders,
  positionRisk,
  account,
  assetIndex,
  getPositionSideDual,
  setPositionMode,
  leverageBrackets,
  setLeverage,
  createListenKey,
  keepAliveListenKey,
  closeListenKey
] as const

export type AnyEndpoint = (typeof all)[number]

/** Finds the endpoint for a method and path. */
export const find = (method: string, path: string): AnyEndpoint | undefined =>
  all.find((e) => e.method === method && e.path === path)

/** The paths of the catalog (any method). */
export const paths: ReadonlySet<string> = new Set(all.map((e) => e.path))
