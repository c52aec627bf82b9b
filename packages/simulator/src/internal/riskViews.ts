/**
 * JSON bodies of an account's positions, margins and balances (positionRisk, account v3) and the
 * margin arithmetic behind them, in Binance's documented shapes. Pure functions of the state.
 * @internal
 */
import * as Account from "../Account.js"
import type * as Market from "../Market.js"
import type { SimConfig } from "../SimConfig.js"
import { dec } from "./views.js"

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
