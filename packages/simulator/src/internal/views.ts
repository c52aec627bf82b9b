/**
 * JSON bodies of the GET endpoints, in Binance's documented shapes (decimal strings where Binance
 * sends strings). Pure functions of the state.
 * @internal
 */
import * as Account from "../Account.js"
import type * as Market from "../Market.js"
import type { SimConfig } from "../SimConfig.js"

/** @internal */
export const dec = (n: number, digits = 8): string => {
  const s = n.toFixed(digits)
  return s.startsWith("-") && Number(s) === 0 ? s.slice(1) : s
}

/** @internal */
export interface PositionMetrics {
  readonly markPrice: number
  readonly notional: number
  readonly unrealizedProfit: number
  readonly initialMargin: number
  readonly maintMargin: number
  readonly isolated: boolean
  readonly isolatedWallet: number
  readonly isolatedMargin: number
  readonly marginAsset: string
  readonly leverage: number
}

const MAINT_RATE = 0.004

/** @internal */
export const metrics = (
  account: Account.Account,
  p: Account.Position,
  market: Market.Market,
  config: SimConfig
): PositionMetrics => {
  const spec = market.symbol(p.symbol)
  const markPrice = p.markPrice ?? spec?.markPrice ?? p.entryPrice
  const setting = Account.symbolSetting(account, p.symbol, config.defaultLeverage)
  const notional = p.positionAmt * markPrice
  const unrealizedProfit = p.positionAmt * (markPrice - p.entryPrice)
  const isolated = setting.marginType === "ISOLATED"
  return {
    markPrice,
    notional,
    unrealizedProfit,
    initialMargin: Math.abs(notional) / setting.leverage,
    maintMargin: Math.abs(notional) * MAINT_RATE,
    isolated,
    isolatedWallet: isolated ? p.isolatedWallet : 0,
    isolatedMargin: isolated ? p.isolatedWallet + unrealizedProfit : 0,
    marginAsset: spec?.marginAsset ?? "USDT",
    leverage: setting.leverage
  }
}

/** @internal Initial margin of the account's cross positions, per margin asset. */
export const crossInitialMargin = (
  account: Account.Account,
  market: Market.Market,
  config: SimConfig
): Map<string, number> => {
  const out = new Map<string, number>()
  for (const p of Account.openPositions(account)) {
    const m = metrics(account, p, market, config)
    if (!m.isolated) out.set(m.marginAsset, (out.get(m.marginAsset) ?? 0) + m.initialMargin)
  }
  return out
}

/** @internal */
export const accountConfig = (a: Account.Account) => ({
  feeTier: a.feeTier,
  canTrade: a.canTrade,
  canDeposit: a.canDeposit,
  canWithdraw: a.canWithdraw,
  dualSidePosition: a.dualSidePosition,
  updateTime: 0,
  multiAssetsMargin: a.multiAssetsMargin,
  tradeGroupId: -1
})

const MAX_NOTIONAL = (leverage: number) => String(Math.max(5000, Math.round(300_000_000 / leverage / 5000) * 5000))

/** @internal */
export const symbolConfigEntry = (a: Account.Account, symbol: string, config: SimConfig) => {
  const s = Account.symbolSetting(a, symbol, config.defaultLeverage)
  return {
    symbol,
    marginType: s.marginType,
    isAutoAddMargin: s.isAutoAddMargin,
    leverage: s.leverage,
    maxNotionalValue: MAX_NOTIONAL(s.leverage)
  }
}

/** @internal */
export const order = (o: Account.Order, market: Market.Market) => {
  const spec = market.symbol(o.symbol)
  const pp = spec?.pricePrecision ?? 2
  const qp = spec?.quantityPrecision ?? 3
  return {
    avgPrice: "0",
    clientOrderId: o.clientOrderId,
    cumQuote: "0",
    executedQty: "0",
    orderId: o.orderId,
    origQty: dec(o.origQty, qp),
    origType: o.type,
    price: dec(o.price, pp),
    reduceOnly: o.reduceOnly,
    side: o.side,
    positionSide: o.positionSide,
    status: "NEW",
    stopPrice: dec(o.stopPrice, pp),
    closePosition: false,
    symbol: o.symbol,
    time: o.time,
    timeInForce: o.timeInForce,
    type: o.type,
    updateTime: o.time,
    workingType: "CONTRACT_PRICE",
    priceProtect: false,
    priceMatch: "NONE",
    selfTradePreventionMode: "EXPIRE_MAKER",
    goodTillDate: 0
  }
}

/** @internal */
export const algoOrder = (o: Account.AlgoOrder, market: Market.Market) => {
  const spec = market.symbol(o.symbol)
  const pp = spec?.pricePrecision ?? 2
  const qp = spec?.quantityPrecision ?? 3
  return {
    algoId: o.algoId,
    clientAlgoId: o.clientAlgoId,
    algoType: "CONDITIONAL",
    orderType: o.orderType,
    symbol: o.symbol,
    side: o.side,
    positionSide: o.positionSide,
    timeInForce: o.timeInForce,
    quantity: dec(o.quantity, qp),
    algoStatus: "NEW",
    triggerPrice: dec(o.triggerPrice, pp),
    price: dec(o.price, pp),
    icebergQuantity: null,
    selfTradePreventionMode: "EXPIRE_MAKER",
    workingType: "CONTRACT_PRICE",
    priceMatch: "NONE",
    closePosition: false,
    priceProtect: false,
    reduceOnly: o.reduceOnly,
    activatePrice: "",
    callbackRate: "",
    createTime: o.createTime,
    updateTime: o.createTime,
    triggerTime: 0,
    goodTillDate: 0
  }
}

const positionRiskEntry = (
  a: Account.Account,
  p: Account.Position,
  market: Market.Market,
  config: SimConfig
) => {
  const m = metrics(a, p, market, config)
  const spec = market.symbol(p.symbol)
  const qp = spec?.quantityPrecision ?? 3
  return {
    symbol: p.symbol,
    positionSide: p.positionSide,
    positionAmt: dec(p.positionAmt, qp),
    entryPrice: dec(p.entryPrice),
    breakEvenPrice: dec(p.entryPrice),
    markPrice: dec(m.markPrice),
    unRealizedProfit: dec(m.unrealizedProfit),
    liquidationPrice: "0",
    isolatedMargin: dec(m.isolatedMargin),
    notional: dec(m.notional),
    marginAsset: m.marginAsset,
    isolatedWallet: dec(m.isolatedWallet),
    initialMargin: dec(m.initialMargin),
    maintMargin: dec(m.maintMargin),
    positionInitialMargin: dec(m.initialMargin),
    openOrderInitialMargin: "0",
    adl: 0,
    bidNotional: "0",
    askNotional: "0",
    updateTime: p.updateTime
  }
}

const flat = (symbol: string, side: Account.PositionSide): Account.Position => ({
  symbol,
  positionSide: side,
  positionAmt: 0,
  entryPrice: 0,
  markPrice: undefined,
  isolatedWallet: 0,
  updateTime: 0
})

/** @internal Symbols with a position or open orders (one entry per position side). */
export const positionRisk = (
  a: Account.Account,
  market: Market.Market,
  config: SimConfig,
  symbol: string | undefined
) => {
  const symbols = new Set<string>()
  for (const p of Account.openPositions(a, symbol)) symbols.add(p.symbol)
  for (const o of a.orders) if (symbol === undefined || o.symbol === symbol) symbols.add(o.symbol)
  for (const o of a.algoOrders) if (symbol === undefined || o.symbol === symbol) symbols.add(o.symbol)
  const sides: Array<Account.PositionSide> = a.dualSidePosition ? ["LONG", "SHORT"] : ["BOTH"]
  const out: Array<ReturnType<typeof positionRiskEntry>> = []
  for (const s of symbols) {
    for (const side of sides) {
      const p = a.positions.find((x) => x.symbol === s && x.positionSide === side && x.positionAmt !== 0)
      out.push(positionRiskEntry(a, p ?? flat(s, side), market, config))
    }
  }
  return out
}

/** @internal GET /fapi/v3/account */
export const accountV3 = (a: Account.Account, market: Market.Market, config: SimConfig, now: number) => {
  const perAsset = new Map<string, { upnl: number; im: number; mm: number; isoWallet: number; crossUpnl: number }>()
  const bucket = (asset: string) => {
    let b = perAsset.get(asset)
    if (b === undefined) perAsset.set(asset, b = { upnl: 0, im: 0, mm: 0, isoWallet: 0, crossUpnl: 0 })
    return b
  }
  const positions = Account.openPositions(a).map((p) => {
    const m = metrics(a, p, market, config)
    const b = bucket(m.marginAsset)
    b.upnl += m.unrealizedProfit
    b.im += m.initialMargin
    b.mm += m.maintMargin
    b.isoWallet += m.isolatedWallet
    if (!m.isolated) b.crossUpnl += m.unrealizedProfit
    return {
      symbol: p.symbol,
      positionSide: p.positionSide,
      positionAmt: dec(p.positionAmt, market.symbol(p.symbol)?.quantityPrecision ?? 3),
      unrealizedProfit: dec(m.unrealizedProfit),
      isolatedMargin: dec(m.isolatedMargin),
      notional: dec(m.notional),
      isolatedWallet: dec(m.isolatedWallet),
      initialMargin: dec(m.initialMargin),
      maintMargin: dec(m.maintMargin),
      updateTime: p.updateTime
    }
  })
  const assetNames = new Set<string>([...a.balances.keys(), ...perAsset.keys()])
  const totals = { im: 0, mm: 0, wallet: 0, upnl: 0, margin: 0, crossWallet: 0, crossUpnl: 0, available: 0 }
  const assets = [...assetNames].sort().map((asset) => {
    const wallet = a.balances.get(asset) ?? 0
    const b = perAsset.get(asset) ?? { upnl: 0, im: 0, mm: 0, isoWallet: 0, crossUpnl: 0 }
    const marginBalance = wallet + b.upnl
    const crossWallet = wallet - b.isoWallet
    const available = Math.max(0, crossWallet + b.crossUpnl - (b.im - b.isoWallet))
    const counted = a.multiAssetsMargin ? market.asset(asset)?.marginAvailable === true : asset === "USDT"
    if (counted) {
      const spec = market.asset(asset)
      const usd = a.multiAssetsMargin ? (spec?.indexPrice ?? 0) * (1 - (spec?.buffer ?? 0)) : 1
      totals.im += b.im * usd
      totals.mm += b.mm * usd
      totals.wallet += wallet * usd
      totals.upnl += b.upnl * usd
      totals.margin += marginBalance * usd
      totals.crossWallet += crossWallet * usd
      totals.crossUpnl += b.crossUpnl * usd
      totals.available += available * usd
    }
    return {
      asset,
      walletBalance: dec(wallet),
      unrealizedProfit: dec(b.upnl),
      marginBalance: dec(marginBalance),
      maintMargin: dec(b.mm),
      initialMargin: dec(b.im),
      positionInitialMargin: dec(b.im),
      openOrderInitialMargin: "0.00000000",
      crossWalletBalance: dec(crossWallet),
      crossUnPnl: dec(b.crossUpnl),
      availableBalance: dec(available),
      maxWithdrawAmount: dec(available),
      updateTime: a.updateTime || now
    }
  })
  return {
    totalInitialMargin: dec(totals.im),
    totalMaintMargin: dec(totals.mm),
    totalWalletBalance: dec(totals.wallet),
    totalUnrealizedProfit: dec(totals.upnl),
    totalMarginBalance: dec(totals.margin),
    totalPositionInitialMargin: dec(totals.im),
    totalOpenOrderInitialMargin: "0.00000000",
    totalCrossWalletBalance: dec(totals.crossWallet),
    totalCrossUnPnl: dec(totals.crossUpnl),
    availableBalance: dec(totals.available),
    maxWithdrawAmount: dec(totals.available),
    assets,
    positions
  }
}

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
