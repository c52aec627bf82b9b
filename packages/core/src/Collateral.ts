/**
 * Collateral math for Binance USDⓈ-M Futures Multi-Assets Mode (reference `binance-usdm.md` §7):
 * collateral value after haircuts, margin balance in Single-Asset vs Multi-Assets mode, the
 * auto-exchange triggers (threshold per asset, LTV rule) and how much collateral an auto-exchange
 * sells (deficit ÷ (1 − haircut), split pro rata across collateral assets; `internal/collateralAutoExchange`).
 *
 * Everything here is a pure function on plain numbers. Nothing is rounded except by the `format*`
 * helpers. Bad input (a non-finite number, a haircut outside [0, 1), a non-positive price…) never
 * throws: each calculation returns an `Either` whose left side is a {@link CollateralInputError}
 * naming the offending field.
 */
import * as Either from "effect/Either"
import {
  fail,
  formatPercent,
  formatUnits,
  formatUsd,
  pnlOf,
  rawCollateralValue,
  type Result,
  show,
  validateAsset,
  validateAssets
} from "./internal/collateralInput.js"

export * from "./internal/collateralAutoExchange.js"
export {
  CollateralInputError,
  formatPercent,
  formatUnits,
  formatUsd,
  validateAsset,
  validateAssets
} from "./internal/collateralInput.js"

// ---------------------------------------------------------------------------------------------
// Model

/**
 * One asset in the USDⓈ-M Futures wallet, as the collateral math needs it.
 *
 * - `walletBalance`: balance in units of the asset (negative when the asset is owed).
 * - `unrealizedPnl`: unrealized profit or loss of the positions settled in this asset, in units of the asset.
 * - `indexPrice`: USD value of one unit (1 for USDT, about 1 for USDC, the BTC index for BTC…).
 * - `haircut`: the share of value the exchange discounts, from 0 up to (not including) 1; BTC at a
 *   95 % collateral value ratio has a haircut of 0.05.
 * - `marginAvailable`: whether the exchange accepts the asset as Multi-Assets margin
 *   (exchangeInfo `assets[].marginAvailable`).
 */
export interface CollateralAsset {
  readonly asset: string
  readonly walletBalance: number
  readonly unrealizedPnl?: number | undefined
  readonly indexPrice: number
  readonly haircut: number
  readonly marginAvailable: boolean
}

/**
 * A collateral asset that an auto-exchange may sell, optionally with the auto-exchange bid side from
 * GET /fapi/v1/assetIndex. When `autoExchangeBidRate` is given, units sold are priced at it; otherwise
 * when `autoExchangeBidBuffer` is given, at index × (1 − buffer); otherwise at the index price.
 */
export interface SaleCollateral extends CollateralAsset {
  readonly autoExchangeBidRate?: number | undefined
  readonly autoExchangeBidBuffer?: number | undefined
}

/** The two wallet modes of USDⓈ-M Futures. */
export type MarginMode = "single-asset" | "multi-assets"

// ---------------------------------------------------------------------------------------------
// Collateral value

/**
 * USD value an asset's wallet balance counts for as collateral. A positive balance counts at
 * balance × index price × (1 − haircut): 1 BTC at 60,000 with a 5 % haircut counts 57,000.
 * A negative balance (a debt) counts at its full value, with no haircut: −5,000 USDC at 1 counts −5,000.
 * Unrealized PnL is not included (see {@link marginBalance}). Whether the exchange accepts the asset
 * (`marginAvailable`) is not looked at here.
 */
export const collateralValue = (asset: CollateralAsset): Result<number> =>
  Either.map(validateAsset(asset), rawCollateralValue)

/** One line of {@link collateralBreakdown}. */
export interface CollateralRow {
  readonly asset: string
  /** Wallet balance in units of the asset. */
  readonly balance: number
  /** Face value in USD: balance × index price. */
  readonly usdValue: number
  /** The asset's haircut (0..1); applied to positive balances only. */
  readonly haircut: number
  /** USD taken off by the haircut (0 for a zero or negative balance). */
  readonly haircutUsd: number
  /** USD value after the haircut; a debt counts at full value. */
  readonly collateralValue: number
  /** Whether the row counts toward the total (the exchange accepts the asset as Multi-Assets margin). */
  readonly counted: boolean
}

/** Per-asset collateral values and their totals. */
export interface CollateralBreakdown {
  readonly rows: ReadonlyArray<CollateralRow>
  /** Σ face value in USD of the counted rows. */
  readonly totalUsdValue: number
  /** Σ collateral value (after haircuts, debts at full value) of the counted rows. */
  readonly totalCollateralValue: number
}

const rowOf = (a: CollateralAsset): CollateralRow => {
  const usdValue = a.walletBalance * a.indexPrice
  const value = rawCollateralValue(a)
  return {
    asset: a.asset,
    balance: a.walletBalance,
    usdValue,
    haircut: a.haircut,
    haircutUsd: usdValue - value,
    collateralValue: value,
    counted: a.marginAvailable
  }
}

/**
 * Lists each asset's face value, haircut and collateral value, and totals them. Only assets the
 * exchange accepts as Multi-Assets margin (`marginAvailable`) count toward the totals; the others are
 * listed with `counted: false`.
 */
export const collateralBreakdown = (assets: ReadonlyArray<CollateralAsset>): Result<CollateralBreakdown> =>
  Either.map(validateAssets(assets), (valid) => {
    const rows = valid.map(rowOf)
    let totalUsdValue = 0
    let totalCollateralValue = 0
    for (const row of rows) {
      if (!row.counted) continue
      totalUsdValue += row.usdValue
      totalCollateralValue += row.collateralValue
    }
    return { rows, totalUsdValue, totalCollateralValue }
  })

// ---------------------------------------------------------------------------------------------
// Margin balance in each mode

/**
 * Assets that margin contracts on their own in Single-Asset mode (the quote assets of USDⓈ-M
 * contracts and the EEA credits asset). Other assets in the wallet, such as BTC, are not margin in
 * that mode.
 */
export const SINGLE_ASSET_MARGIN_ASSETS: ReadonlyArray<string> = ["USDT", "USDC", "BNFCR"]

/** Options for {@link marginBalance} and {@link compareModes}. */
export interface MarginBalanceOptions {
  /** Assets that are their own margin pool in Single-Asset mode; {@link SINGLE_ASSET_MARGIN_ASSETS} by default. */
  readonly singleAssetMarginAssets?: ReadonlyArray<string> | undefined
}

/** One asset's own margin pool in Single-Asset mode, in units of the asset. */
export interface SingleAssetRow {
  readonly asset: string
  readonly walletBalance: number
  readonly unrealizedPnl: number
  /** walletBalance + unrealizedPnl, in units of the asset; not converted, not pooled. */
  readonly marginBalance: number
  /** Whether the asset margins contracts in Single-Asset mode; if not, it sits idle in the wallet. */
  readonly usableAsMargin: boolean
}

/** Margin balance in Single-Asset mode: one separate pool per margin asset, no total. */
export interface SingleAssetMarginBalance {
  readonly mode: "single-asset"
  readonly perAsset: ReadonlyArray<SingleAssetRow>
}

/** One asset's share of the pooled margin in Multi-Assets mode. */
export interface MultiAssetsRow extends CollateralRow {
  /** Unrealized PnL in units of the asset. */
  readonly unrealizedPnl: number
  /** Unrealized PnL in USD (at the index price, no haircut). */
  readonly unrealizedPnlUsd: number
  /** collateralValue + unrealizedPnlUsd for a counted row, 0 otherwise. */
  readonly marginUsd: number
}

/** Margin balance in Multi-Assets mode: one pooled USD figure. */
export interface MultiAssetsMarginBalance {
  readonly mode: "multi-assets"
  /** collateralUsd + unrealizedPnlUsd. */
  readonly totalUsd: number
  /** Σ collateral values (after haircuts) of the counted assets. */
  readonly collateralUsd: number
  /** Σ unrealized PnL in USD of the counted assets. */
  readonly unrealizedPnlUsd: number
  readonly perAsset: ReadonlyArray<MultiAssetsRow>
}

/** The margin balance in either mode. */
export type MarginBalance = SingleAssetMarginBalance | MultiAssetsMarginBalance

const singleAsset = (assets: ReadonlyArray<CollateralAsset>, options?: MarginBalanceOptions): SingleAssetMarginBalance => {
  const usable = new Set(options?.singleAssetMarginAssets ?? SINGLE_ASSET_MARGIN_ASSETS)
  return {
    mode: "single-asset",
    perAsset: assets.map((a) => ({
      asset: a.asset,
      walletBalance: a.walletBalance,
      unrealizedPnl: pnlOf(a),
      marginBalance: a.walletBalance + pnlOf(a),
      usableAsMargin: usable.has(a.asset)
    }))
  }
}

const multiAssets = (assets: ReadonlyArray<CollateralAsset>): MultiAssetsMarginBalance => {
  let collateralUsd = 0
  let unrealizedPnlUsd = 0
  const perAsset = assets.map((a): MultiAssetsRow => {
    const row = rowOf(a)
    const pnlUsd = pnlOf(a) * a.indexPrice
    if (row.counted) {
      collateralUsd += row.collateralValue
      unrealizedPnlUsd += pnlUsd
    }
    return {
      ...row,
      unrealizedPnl: pnlOf(a),
      unrealizedPnlUsd: pnlUsd,
      marginUsd: row.counted ? row.collateralValue + pnlUsd : 0
    }
  })
  return { mode: "multi-assets", totalUsd: collateralUsd + unrealizedPnlUsd, collateralUsd, unrealizedPnlUsd, perAsset }
}

/**
 * Margin balance as the exchange counts it in `mode`.
 *
 * - Single-Asset mode: every margin asset (USDT, USDC, BNFCR…) is its own pool; each gets
 *   walletBalance + unrealizedPnl in its own units. Nothing is converted or added up; assets such as
 *   BTC are listed with `usableAsMargin: false`.
 * - Multi-Assets mode: one pooled USD figure, the sum of the collateral values (after haircuts) of the
 *   assets the exchange accepts as margin plus their unrealized PnL in USD.
 */
export function marginBalance(
  assets: ReadonlyArray<CollateralAsset>,
  mode: "single-asset",
  options?: MarginBalanceOptions
): Result<SingleAssetMarginBalance>
export function marginBalance(
  assets: ReadonlyArray<CollateralAsset>,
  mode: "multi-assets",
  options?: MarginBalanceOptions
): Result<MultiAssetsMarginBalance>
export function marginBalance(
  assets: ReadonlyArray<CollateralAsset>,
  mode: MarginMode,
  options?: MarginBalanceOptions
): Result<MarginBalance>
export function marginBalance(
  assets: ReadonlyArray<CollateralAsset>,
  mode: MarginMode,
  options?: MarginBalanceOptions
): Result<MarginBalance> {
  if (mode !== "single-asset" && mode !== "multi-assets") {
    return fail("mode", `must be "single-asset" or "multi-assets" (got ${show(mode)})`)
  }
  return Either.map(validateAssets(assets), (valid) => (mode === "single-asset" ? singleAsset(valid, options) : multiAssets(valid)))
}

/** Both modes side by side, with plain-words notes on what changes between them. */
export interface ModeComparison {
  readonly singleAsset: SingleAssetMarginBalance
  readonly multiAssets: MultiAssetsMarginBalance
  readonly notes: ReadonlyArray<string>
}

/**
 * Computes the margin balance in Single-Asset and in Multi-Assets mode for the same wallet, and notes
 * in plain words which assets only count in Multi-Assets mode, what the haircuts take off and which
 * debts the pool would have to carry.
 */
export const compareModes = (assets: ReadonlyArray<CollateralAsset>, options?: MarginBalanceOptions): Result<ModeComparison> =>
  Either.map(validateAssets(assets), (valid) => {
    const single = singleAsset(valid, options)
    const multi = multiAssets(valid)
    const notes: Array<string> = []
    valid.forEach((a, i) => {
      const s = single.perAsset[i]!
      const m = multi.perAsset[i]!
      if (a.walletBalance < 0) {
        notes.push(
          `${a.asset} balance is negative (${formatUnits(a.walletBalance)}): in Multi-Assets mode the pool carries the ` +
            `${formatUsd(-m.usdValue)} USD debt and auto-exchange may sell collateral to repay it; ` +
            `in Single-Asset mode only ${a.asset} itself can cover it.`
        )
      } else if (a.walletBalance > 0 && !s.usableAsMargin && m.counted) {
        notes.push(
          `${a.asset} counts as ${formatUsd(m.collateralValue)} USD of margin in Multi-Assets mode ` +
            `(${formatUsd(m.usdValue)} less a ${formatPercent(a.haircut)} haircut) but is not margin in Single-Asset mode.`
        )
      } else if (a.walletBalance > 0 && m.counted && a.haircut > 0) {
        notes.push(
          `${a.asset} counts in full in its own pool in Single-Asset mode, but at ${formatUsd(m.collateralValue)} USD ` +
            `instead of ${formatUsd(m.usdValue)} in Multi-Assets mode (${formatPercent(a.haircut)} haircut).`
        )
      } else if (a.walletBalance > 0 && !m.counted) {
        notes.push(`${a.asset} is not accepted as Multi-Assets margin and does not count in the pool.`)
      }
    })
    return { singleAsset: single, multiAssets: multi, notes }
  })
