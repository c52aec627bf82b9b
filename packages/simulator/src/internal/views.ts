/**
 * JSON bodies of an account's orders and settings, in Binance's documented shapes (decimal strings
 * where Binance sends strings; positions and balances: `riskViews`, market data: `marketViews`).
 * Pure functions of the state.
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
