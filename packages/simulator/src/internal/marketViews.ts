/**
 * JSON bodies of the market data endpoints (exchangeInfo, the asset index, the leverage brackets),
 * in Binance's documented shapes. Pure functions of the market.
 * @internal
 */
import type * as Market from "../Market.js"
import { dec } from "./views.js"

/** @internal */
export const assetIndexEntry = (asset: Market.AssetSpec, now: number) => {
  const i = asset.indexPrice
  return {
    symbol: `${asset.asset}USD`,
    time: now,
    index: dec(i),
    bidBuffer: dec(asset.buffer),
    askBuffer: dec(asset.buffer),
    bidRate: dec(i * (1 - asset.buffer)),
    askRate: dec(i * (1 + asset.buffer)),
    autoExchangeBidBuffer: dec(asset.autoExchangeBuffer),
    autoExchangeAskBuffer: dec(asset.autoExchangeBuffer),
    autoExchangeBidRate: dec(i * (1 - asset.autoExchangeBuffer)),
    autoExchangeAskRate: dec(i * (1 + asset.autoExchangeBuffer))
  }
}

/**
 * @internal
 * A symbol's notional brackets (GET /fapi/v1/leverageBracket): the first allows the symbol's maximum
 * leverage, each next one half of it (down to 1) over a notional five times as large; the maintenance
 * margin rate is half the initial one, and `cum` keeps the maintenance margin continuous.
 */
export const leverageBrackets = (s: Market.SymbolSpec) => {
  const brackets: Array<{
    bracket: number
    initialLeverage: number
    notionalCap: number
    notionalFloor: number
    maintMarginRatio: number
    cum: number
  }> = []
  let leverage = s.maxLeverage
  let floor = 0
  let cap = 10_000
  let cum = 0
  let previousRate = 0
  for (;;) {
    const rate = 1 / (2 * leverage)
    cum += floor * (rate - previousRate)
    brackets.push({ bracket: brackets.length + 1, initialLeverage: leverage, notionalCap: cap, notionalFloor: floor, maintMarginRatio: rate, cum })
    if (leverage === 1) break
    previousRate = rate
    leverage = Math.max(1, Math.floor(leverage / 2))
    floor = cap
    cap *= 5
  }
  return { symbol: s.symbol, brackets }
}

const symbolInfo = (s: Market.SymbolSpec) => ({
  symbol: s.symbol,
  pair: s.pair,
  contractType: s.contractType,
  deliveryDate: s.deliveryDate,
  onboardDate: s.onboardDate,
  status: s.status,
  maintMarginPercent: "2.5000",
  requiredMarginPercent: "5.0000",
  baseAsset: s.baseAsset,
  quoteAsset: s.quoteAsset,
  marginAsset: s.marginAsset,
  pricePrecision: s.pricePrecision,
  quantityPrecision: s.quantityPrecision,
  baseAssetPrecision: 8,
  quotePrecision: 8,
  underlyingType: "COIN",
  underlyingSubType: [],
  settlePlan: 0,
  triggerProtect: "0.0500",
  liquidationFee: "0.012500",
  marketTakeBound: "0.05",
  maxMoveOrderLimit: 10000,
  filters: [
    { filterType: "PRICE_FILTER", minPrice: s.tickSize, maxPrice: String(Math.max(1, s.markPrice * 20)), tickSize: s.tickSize },
    { filterType: "LOT_SIZE", minQty: s.stepSize, maxQty: "1000000", stepSize: s.stepSize },
    { filterType: "MARKET_LOT_SIZE", minQty: s.stepSize, maxQty: "100000", stepSize: s.stepSize },
    { filterType: "MAX_NUM_ORDERS", limit: 200 },
    { filterType: "MAX_NUM_ALGO_ORDERS", limit: 10 },
    { filterType: "MIN_NOTIONAL", notional: "5" },
    { filterType: "PERCENT_PRICE", multiplierUp: "1.0500", multiplierDown: "0.9500", multiplierDecimal: "4" }
  ],
  orderTypes: ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
  timeInForce: ["GTC", "IOC", "FOK", "GTX", "GTD"],
  permissionSet: ["GRID", "COPY"]
})

/**
 * @internal exchangeInfo, built once per market and limit: the body is split around the server time
 * so that each answer only concatenates strings.
 */
export const exchangeInfoTemplate = (market: Market.Market, weightLimit: number): (now: number) => string => {
  const marker = "\u0000SERVER_TIME\u0000"
  const body = JSON.stringify({
    timezone: "UTC",
    serverTime: marker,
    futuresType: "U_MARGINED",
    rateLimits: [
      { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: weightLimit },
      { rateLimitType: "ORDERS", interval: "MINUTE", intervalNum: 1, limit: 1200 },
      { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 300 }
    ],
    exchangeFilters: [],
    assets: market.assets.map((a) => ({
      asset: a.asset,
      marginAvailable: a.marginAvailable,
      autoAssetExchange: a.autoAssetExchange
    })),
    symbols: market.symbols.map(symbolInfo)
  })
  const quoted = JSON.stringify(marker)
  const at = body.indexOf(quoted)
  const head = body.slice(0, at)
  const tail = body.slice(at + quoted.length)
  return (now) => head + String(now) + tail
}
