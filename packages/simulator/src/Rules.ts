/**
 * The exchange's switching rules (reference §7.4), in Binance's check order (§8). Each check returns
 * the Binance error code that rejects the change, or undefined when the change is allowed.
 *
 * Margin type (POST /fapi/v1/marginType): -4046 same type (-4067 instead, for a symbol without
 * position, when `quirk4067` is on) → -4168 ISOLATED under Multi-Assets → -4047 open orders
 * (regular or algo) on the symbol → -4048 position on the symbol.
 *
 * Multi-Assets (POST /fapi/v1/multiAssetsMargin): -4171 same value → -4167 enabling with an
 * ISOLATED symbol → -4170 any open order → -4172 negative wallet balance of a margin-available asset
 * → -4169 credits lock, or insufficient margin when turning it off (for a margin asset, the cross
 * positions' initial margin exceeds its wallet balance), or positions when `positionsBlockMultiAssets`.
 *
 * Position mode (POST /fapi/v1/positionSide/dual), account-wide: -4059 same mode → -4067 any open
 * order (regular or algo) → -4068 any position. Multi-Assets Mode does not restrict it (§7.4).
 *
 * Leverage (POST /fapi/v1/leverage): -4028 above the symbol's maximum (its first bracket) → -4161 a
 * reduction on an ISOLATED symbol with a position. The same leverage is a success, not a code.
 */
import * as Account from "./Account.js"
import { crossInitialMargin } from "./internal/riskViews.js"
import type * as Market from "./Market.js"
import type { SimConfig } from "./SimConfig.js"

export const marginType = (
  account: Account.Account,
  symbol: string,
  target: Account.MarginType,
  config: SimConfig
): number | undefined => {
  if (Account.marginTypeOf(account, symbol) === target) {
    return config.quirk4067 && !Account.hasPosition(account, symbol) ? -4067 : -4046
  }
  if (target === "ISOLATED" && account.multiAssetsMargin) return -4168
  if (Account.openOrderCount(account, symbol) > 0) return -4047
  if (Account.hasPosition(account, symbol)) return -4048
  return undefined
}

export const multiAssets = (
  account: Account.Account,
  target: boolean,
  market: Market.Market,
  config: SimConfig
): number | undefined => {
  if (account.multiAssetsMargin === target) return -4171
  if (target) {
    const isolated = Account.isolatedSymbols(account).filter((s) =>
      !config.isolatedBlocksOnlyWithPosition || Account.hasPosition(account, s)
    )
    if (isolated.length > 0) return -4167
  }
  if (Account.openOrderCount(account) > 0) return -4170
  for (const [asset, balance] of account.balances) {
    if (balance < 0 && market.asset(asset)?.marginAvailable === true) return -4172
  }
  if (!target) {
    if (account.creditsLock) return -4169
    for (const [asset, im] of crossInitialMargin(account, market, config)) {
      if (im > (account.balances.get(asset) ?? 0)) return -4169
    }
  }
  if (config.positionsBlockMultiAssets && Account.openPositions(account).length > 0) return -4169
  return undefined
}

export const positionMode = (account: Account.Account, dualSidePosition: boolean): number | undefined => {
  if (account.dualSidePosition === dualSidePosition) return -4059
  if (Account.openOrderCount(account) > 0) return -4067
  if (Account.openPositions(account).length > 0) return -4068
  return undefined
}

export const leverage = (
  account: Account.Account,
  spec: Market.SymbolSpec,
  target: number,
  config: SimConfig
): number | undefined => {
  if (target > spec.maxLeverage) return -4028
  const setting = Account.symbolSetting(account, spec.symbol, config.defaultLeverage)
  if (target < setting.leverage && setting.marginType === "ISOLATED" && Account.hasPosition(account, spec.symbol)) {
    return -4161
  }
  return undefined
}
