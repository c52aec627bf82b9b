/**
 * Response bodies of the endpoints in the catalog, as Binance documents them (reference §5).
 * Unknown extra fields are ignored; decimal strings decode to numbers where the tool does arithmetic.
 */
import * as Schema from "effect/Schema"
import { Decimal, MarginTypeFromBinance, Millis } from "./Domain.js"

/** `{"code":200,"msg":"success"}` — the success body of the two POSTs (it looks like an error; it is not). */
export const SuccessBody = Schema.Struct({
  code: Schema.Literal(200),
  msg: Schema.String
})
export type SuccessBody = typeof SuccessBody.Type

/** `{}`: the answer of DELETE /fapi/v1/listenKey. */
export const EmptyBody = Schema.Struct({})

/** The user-data stream's key (POST and PUT /fapi/v1/listenKey). */
export const ListenKeyBody = Schema.Struct({ listenKey: Schema.String })
export type ListenKeyBody = typeof ListenKeyBody.Type

/** POST /fapi/v1/leverage. */
export const LeverageBody = Schema.Struct({
  symbol: Schema.String,
  leverage: Schema.Number,
  maxNotionalValue: Schema.optional(Schema.Union(Schema.String, Schema.Number))
})

/** One notional bracket of GET /fapi/v1/leverageBracket: `initialLeverage` is the bracket's maximum leverage. */
export const LeverageBracket = Schema.Struct({
  bracket: Schema.Number,
  initialLeverage: Schema.Number,
  notionalCap: Schema.optional(Schema.Number),
  notionalFloor: Schema.optional(Schema.Number),
  maintMarginRatio: Schema.optional(Schema.Number),
  cum: Schema.optional(Schema.Number)
})

/** A symbol's brackets; the first (lowest notional) bracket allows the highest leverage. */
export const SymbolLeverageBrackets = Schema.Struct({
  symbol: Schema.String,
  notionalCoef: Schema.optional(Schema.Union(Schema.Number, Schema.String)),
  brackets: Schema.Array(LeverageBracket)
})
export type SymbolLeverageBrackets = typeof SymbolLeverageBrackets.Type

/** GET /fapi/v1/leverageBracket: an array without `symbol`, one object with it. */
export const LeverageBrackets = Schema.Union(Schema.Array(SymbolLeverageBrackets), SymbolLeverageBrackets)

export const ServerTime = Schema.Struct({ serverTime: Millis })
export type ServerTime = typeof ServerTime.Type

export const MultiAssetsMarginBody = Schema.Struct({ multiAssetsMargin: Schema.Boolean })

export const PositionSideDualBody = Schema.Struct({ dualSidePosition: Schema.Boolean })

export const AccountConfig = Schema.Struct({
  feeTier: Schema.optional(Schema.Number),
  canTrade: Schema.optional(Schema.Boolean),
  canDeposit: Schema.optional(Schema.Boolean),
  canWithdraw: Schema.optional(Schema.Boolean),
  dualSidePosition: Schema.Boolean,
  updateTime: Schema.optional(Schema.Number),
  multiAssetsMargin: Schema.Boolean,
  tradeGroupId: Schema.optional(Schema.Number)
})
export type AccountConfig = typeof AccountConfig.Type

export const SymbolConfigEntry = Schema.Struct({
  symbol: Schema.String,
  marginType: MarginTypeFromBinance,
  isAutoAddMargin: Schema.optional(Schema.Union(Schema.Boolean, Schema.String)),
  leverage: Schema.optional(Schema.Number),
  maxNotionalValue: Schema.optional(Schema.Union(Schema.String, Schema.Number))
})
export type SymbolConfigEntry = typeof SymbolConfigEntry.Type
export const SymbolConfig = Schema.Array(SymbolConfigEntry)

export const RateLimit = Schema.Struct({
  rateLimitType: Schema.String,
  interval: Schema.String,
  intervalNum: Schema.Number,
  limit: Schema.Number
})
export type RateLimit = typeof RateLimit.Type

export const ExchangeAsset = Schema.Struct({
  asset: Schema.String,
  marginAvailable: Schema.Boolean,
  autoAssetExchange: Schema.optional(Schema.NullOr(Decimal))
})
export type ExchangeAsset = typeof ExchangeAsset.Type

export const ExchangeSymbol = Schema.Struct({
  symbol: Schema.String,
  pair: Schema.optional(Schema.String),
  contractType: Schema.optional(Schema.String),
  status: Schema.String,
  baseAsset: Schema.optional(Schema.String),
  quoteAsset: Schema.optional(Schema.String),
  marginAsset: Schema.optional(Schema.String)
})
export type ExchangeSymbol = typeof ExchangeSymbol.Type

export const ExchangeInfo = Schema.Struct({
  timezone: Schema.optional(Schema.String),
  serverTime: Schema.optional(Schema.Number),
  rateLimits: Schema.Array(RateLimit),
  assets: Schema.Array(ExchangeAsset),
  symbols: Schema.Array(ExchangeSymbol)
})
export type ExchangeInfo = typeof ExchangeInfo.Type

export const OpenOrder = Schema.Struct({
  orderId: Schema.Number,
  symbol: Schema.String,
  status: Schema.optional(Schema.String),
  side: Schema.optional(Schema.String),
  type: Schema.optional(Schema.String),
  positionSide: Schema.optional(Schema.String)
})
export type OpenOrder = typeof OpenOrder.Type
export const OpenOrders = Schema.Array(OpenOrder)

export const OpenAlgoOrder = Schema.Struct({
  algoId: Schema.Number,
  symbol: Schema.String,
  side: Schema.optional(Schema.String),
  orderType: Schema.optional(Schema.String),
  algoStatus: Schema.optional(Schema.String)
})
export type OpenAlgoOrder = typeof OpenAlgoOrder.Type
export const OpenAlgoOrders = Schema.Array(OpenAlgoOrder)

export const PositionRiskV3 = Schema.Struct({
  symbol: Schema.String,
  positionSide: Schema.String,
  positionAmt: Decimal,
  entryPrice: Schema.optional(Decimal),
  markPrice: Schema.optional(Decimal),
  unRealizedProfit: Schema.optional(Decimal),
  notional: Schema.optional(Decimal),
  marginAsset: Schema.optional(Schema.String),
  isolatedMargin: Schema.optional(Decimal),
  isolatedWallet: Schema.optional(Decimal),
  initialMargin: Schema.optional(Decimal),
  maintMargin: Schema.optional(Decimal),
  updateTime: Schema.optional(Schema.Number)
})
export type PositionRiskV3 = typeof PositionRiskV3.Type
export const PositionRisk = Schema.Array(PositionRiskV3)

export const AccountAsset = Schema.Struct({
  asset: Schema.String,
  walletBalance: Decimal,
  unrealizedProfit: Schema.optional(Decimal),
  marginBalance: Schema.optional(Decimal),
  maintMargin: Schema.optional(Decimal),
  initialMargin: Schema.optional(Decimal),
  crossWalletBalance: Schema.optional(Decimal),
  availableBalance: Schema.optional(Decimal),
  maxWithdrawAmount: Schema.optional(Decimal),
  updateTime: Schema.optional(Schema.Number)
})
export type AccountAsset = typeof AccountAsset.Type

export const AccountPosition = Schema.Struct({
  symbol: Schema.String,
  positionSide: Schema.String,
  positionAmt: Decimal,
  unrealizedProfit: Schema.optional(Decimal),
  isolatedMargin: Schema.optional(Decimal),
  notional: Schema.optional(Decimal),
  isolatedWallet: Schema.optional(Decimal),
  initialMargin: Schema.optional(Decimal),
  maintMargin: Schema.optional(Decimal),
  updateTime: Schema.optional(Schema.Number)
})
export type AccountPosition = typeof AccountPosition.Type

export const AccountV3 = Schema.Struct({
  totalInitialMargin: Decimal,
  totalMaintMargin: Decimal,
  totalWalletBalance: Decimal,
  totalUnrealizedProfit: Decimal,
  totalMarginBalance: Decimal,
  totalPositionInitialMargin: Schema.optional(Decimal),
  totalOpenOrderInitialMargin: Schema.optional(Decimal),
  totalCrossWalletBalance: Schema.optional(Decimal),
  totalCrossUnPnl: Schema.optional(Decimal),
  availableBalance: Decimal,
  maxWithdrawAmount: Schema.optional(Decimal),
  assets: Schema.Array(AccountAsset),
  positions: Schema.Array(AccountPosition)
})
export type AccountV3 = typeof AccountV3.Type

export const AssetIndexEntry = Schema.Struct({
  symbol: Schema.String,
  time: Schema.Number,
  index: Decimal,
  bidBuffer: Decimal,
  askBuffer: Decimal,
  bidRate: Decimal,
  askRate: Decimal,
  autoExchangeBidBuffer: Decimal,
  autoExchangeAskBuffer: Decimal,
  autoExchangeBidRate: Decimal,
  autoExchangeAskRate: Decimal
})
export type AssetIndexEntry = typeof AssetIndexEntry.Type
/** An object when a symbol is given, an array without. */
export const AssetIndex = Schema.Union(AssetIndexEntry, Schema.Array(AssetIndexEntry))

/** An error body: `{"code": <negative>, "msg": "..."}`. */
export const ErrorBody = Schema.Struct({ code: Schema.Number, msg: Schema.String })
export type ErrorBody = typeof ErrorBody.Type
