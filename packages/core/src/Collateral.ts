/**
 * Collateral math for Binance USDⓈ-M Futures Multi-Assets Mode (reference `binance-usdm.md` §7):
 * collateral value after haircuts, margin balance in Single-Asset vs Multi-Assets mode, the
 * auto-exchange triggers (threshold per asset, LTV rule) and how much collateral an auto-exchange
 * sells (deficit ÷ (1 − haircut), split pro rata across collateral assets).
 *
 * Everything here is a pure function on plain numbers. Nothing is rounded except by the `format*`
 * helpers. Bad input (a non-finite number, a haircut outside [0, 1), a non-positive price…) never
 * throws: each calculation returns an `Either` whose left side is a {@link CollateralInputError}
 * naming the offending field.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

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

/**
 * Bad input to a collateral calculation. `field` names what was wrong (for example
 * `assets[1].haircut`), `reason` says why in plain words.
 */
export class CollateralInputError extends Schema.TaggedError<CollateralInputError>()("CollateralInputError", {
  field: Schema.String,
  reason: Schema.String
}) {
  get message() {
    return `${this.field}: ${this.reason}`
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting

const usdFormat = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })

const noNegativeZero = (s: string): string => (/^-0(?:[.,]0*)?$/.test(s) ? s.slice(1) : s)

/**
 * Formats a USD amount with thousands separators and two decimals: `5128.205…` → `"5,128.21"`,
 * `-5000` → `"-5,000.00"`. Non-finite numbers give `"n/a"`. This is the only place USD amounts are rounded.
 */
export const formatUsd = (n: number): string => (Number.isFinite(n) ? noNegativeZero(usdFormat.format(n)) : "n/a")

/**
 * Formats an amount of an asset with thousands separators and up to `maxDecimals` decimals (8 by default),
 * without trailing zeros: `-0.1` → `"-0.1"`, `0.0854700854` → `"0.08547009"`. Non-finite numbers give `"n/a"`.
 */
export const formatUnits = (n: number, maxDecimals = 8): string =>
  Number.isFinite(n)
    ? noNegativeZero(
      new Intl.NumberFormat("en-US", {
        minimumFractionDigits: 0,
        maximumFractionDigits: Math.max(0, Math.min(20, Math.trunc(maxDecimals)))
      }).format(n)
    )
    : "n/a"

/**
 * Formats a ratio as a percentage with up to two decimals: `0.995` → `"99.5 %"`, `0.05` → `"5 %"`.
 * Non-finite numbers give `"n/a"`.
 */
export const formatPercent = (ratio: number): string =>
  Number.isFinite(ratio) ? `${formatUnits(ratio * 100, 2)} %` : "n/a"

// ---------------------------------------------------------------------------------------------
// Validation

type Result<A> = Either.Either<A, CollateralInputError>

const fail = (field: string, reason: string): Result<never> =>
  Either.left(new CollateralInputError({ field, reason }))

const show = (value: unknown): string => (typeof value === "number" ? String(value) : JSON.stringify(value) ?? String(value))

const finite = (field: string, value: unknown): Result<number> =>
  typeof value === "number" && Number.isFinite(value)
    ? Either.right(value)
    : fail(field, `must be a finite number (got ${show(value)})`)

const positive = (field: string, value: unknown): Result<number> =>
  Either.flatMap(finite(field, value), (n) => (n > 0 ? Either.right(n) : fail(field, `must be above 0 (got ${n})`)))

const nonNegative = (field: string, value: unknown): Result<number> =>
  Either.flatMap(finite(field, value), (n) => (n >= 0 ? Either.right(n) : fail(field, `must be 0 or more (got ${n})`)))

const haircutIn = (field: string, value: unknown): Result<number> =>
  Either.flatMap(
    finite(field, value),
    (n) => (n >= 0 && n < 1 ? Either.right(n) : fail(field, `must be at least 0 and below 1 (got ${n})`))
  )

const label = (prefix: string, asset: unknown): string =>
  typeof asset === "string" && asset.length > 0 ? `${prefix} (${asset})` : prefix

/**
 * Checks one asset: a non-empty name, finite balance and unrealized PnL, an index price above 0 and a
 * haircut in [0, 1). `path` prefixes field names in the error (for example `assets[2]`).
 */
export const validateAsset = <A extends CollateralAsset>(asset: A, path = "asset"): Result<A> => {
  if (typeof asset !== "object" || asset === null) return fail(path, "must be an object")
  if (typeof asset.asset !== "string" || asset.asset.trim().length === 0) {
    return fail(`${path}.asset`, `must be a non-empty asset name (got ${show(asset.asset)})`)
  }
  const at = (field: string) => label(`${path}.${field}`, asset.asset)
  const checks: Array<Result<unknown>> = [
    finite(at("walletBalance"), asset.walletBalance),
    asset.unrealizedPnl === undefined ? Either.right(0) : finite(at("unrealizedPnl"), asset.unrealizedPnl),
    positive(at("indexPrice"), asset.indexPrice),
    haircutIn(at("haircut"), asset.haircut),
    typeof asset.marginAvailable === "boolean"
      ? Either.right(true)
      : fail(at("marginAvailable"), `must be true or false (got ${show(asset.marginAvailable)})`)
  ]
  const sale = asset as Partial<SaleCollateral>
  if (sale.autoExchangeBidRate !== undefined) checks.push(positive(at("autoExchangeBidRate"), sale.autoExchangeBidRate))
  if (sale.autoExchangeBidBuffer !== undefined) {
    checks.push(
      Either.flatMap(
        finite(at("autoExchangeBidBuffer"), sale.autoExchangeBidBuffer),
        (n) => (n >= 0 && n < 1 ? Either.right(n) : fail(at("autoExchangeBidBuffer"), `must be at least 0 and below 1 (got ${n})`))
      )
    )
  }
  for (const check of checks) if (Either.isLeft(check)) return Either.left(check.left)
  return Either.right(asset)
}

/**
 * Checks a list of assets with {@link validateAsset} and that no asset name appears twice.
 * Errors name the entry, e.g. `assets[1].haircut (BTC)`.
 */
export const validateAssets = <A extends CollateralAsset>(assets: ReadonlyArray<A>, path = "assets"): Result<ReadonlyArray<A>> => {
  if (!Array.isArray(assets)) return fail(path, "must be a list of assets")
  const seen = new Set<string>()
  for (let i = 0; i < assets.length; i++) {
    const checked = validateAsset(assets[i] as A, `${path}[${i}]`)
    if (Either.isLeft(checked)) return Either.left(checked.left)
    const name = checked.right.asset
    if (seen.has(name)) return fail(`${path}[${i}].asset`, `${name} is listed more than once`)
    seen.add(name)
  }
  return Either.right(assets)
}

// ---------------------------------------------------------------------------------------------
// Collateral value

const pnlOf = (a: CollateralAsset): number => a.unrealizedPnl ?? 0

const rawCollateralValue = (a: CollateralAsset): number => {
  const usd = a.walletBalance * a.indexPrice
  return a.walletBalance > 0 ? usd * (1 - a.haircut) : usd
}

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

// ---------------------------------------------------------------------------------------------
// Auto-exchange: triggers

/** The two threshold tables Binance publishes (reference §7.3). */
export type ThresholdTier = "regular-vip1" | "other"

/**
 * Auto-exchange thresholds per asset, in units of the asset (reference §7.3, newer FAQ / Multi-Asset
 * Info page). "Regular & VIP 1": −5,000 USDT / USDC / BNFCR or −0.1 BTC; all other users: −10,000
 * USDT / USDC, −5,000 BNFCR or −0.1 BTC. Live values come from exchangeInfo `assets[].autoAssetExchange`
 * (see {@link thresholdsFromExchangeInfo}) and override these.
 */
export const DEFAULT_THRESHOLDS: Readonly<Record<ThresholdTier, Readonly<Record<string, number>>>> = {
  "regular-vip1": { USDT: -5000, USDC: -5000, BNFCR: -5000, BTC: -0.1 },
  other: { USDT: -10000, USDC: -10000, BNFCR: -5000, BTC: -0.1 }
}

/** LTV at or above which auto-exchange runs on an idle account with a negative balance (newer FAQ). */
export const LTV_THRESHOLD = 0.995

/** The older (2022 FAQ) LTV rule: auto-exchange at LTV ≥ 1. */
export const LTV_THRESHOLD_2022 = 1

/**
 * Reads auto-exchange thresholds from exchangeInfo `assets[]`: `autoAssetExchange` may be a number, a
 * decimal string (`"-0.10000000"`), null or missing (no threshold). Returns an asset → threshold map
 * to pass as `thresholds` to {@link autoExchangeTriggers}; a value that is not a finite number is an error
 * naming its entry.
 */
export const thresholdsFromExchangeInfo = (
  assets: ReadonlyArray<{ readonly asset: string; readonly autoAssetExchange?: number | string | null | undefined }>
): Result<Readonly<Record<string, number>>> => {
  if (!Array.isArray(assets)) return fail("assets", "must be the list exchangeInfo.assets")
  const out: Record<string, number> = {}
  for (let i = 0; i < assets.length; i++) {
    const entry = assets[i]!
    const raw = entry.autoAssetExchange
    if (raw === null || raw === undefined) continue
    const n = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw
    if (typeof n !== "number" || !Number.isFinite(n)) {
      return fail(label(`assets[${i}].autoAssetExchange`, entry.asset), `must be a number or a decimal string (got ${show(raw)})`)
    }
    out[entry.asset] = n
  }
  return Either.right(out)
}

/** What the account is doing, for the LTV rule (trigger 3 applies only to an idle account). */
export interface AccountActivity {
  /** Any open position in USDⓈ-M futures. */
  readonly hasPositions: boolean
  /** Any open order, regular or algo (conditional). */
  readonly hasOpenOrders: boolean
}

/** Options for {@link autoExchangeTriggers} and {@link autoExchangePreview}. */
export interface AutoExchangeOptions {
  /** Which published threshold table to start from; "regular-vip1" (the lower −5,000 limits) by default. */
  readonly tier?: ThresholdTier | undefined
  /** Per-asset thresholds (units of the asset) that replace the table's, e.g. from {@link thresholdsFromExchangeInfo}. */
  readonly thresholds?: Readonly<Record<string, number>> | undefined
  /** LTV at or above which trigger 3 fires; {@link LTV_THRESHOLD} (0.995) by default, {@link LTV_THRESHOLD_2022} (1) for the older rule. */
  readonly ltvThreshold?: number | undefined
}

/**
 * Which rule fires: `"threshold"` (trigger 1: the wallet balance is below the asset's threshold) or
 * `"ltv"` (trigger 3: negative wallet, no positions, no open orders, LTV at or above the limit).
 * Trigger 2 (a liquidation the asset balance cannot cover) is not predicted, only described.
 */
export type AutoExchangeTrigger = "threshold" | "ltv"

/** The auto-exchange verdict for one asset. */
export interface AssetAutoExchange {
  readonly asset: string
  readonly walletBalance: number
  /** The threshold in units of the asset, or null when none is known. */
  readonly threshold: number | null
  /** The rules that fire for this asset (empty when none). */
  readonly triggers: ReadonlyArray<AutoExchangeTrigger>
  readonly fires: boolean
  /** USD owed that an auto-exchange would cover: −walletBalance × index price when a rule fires, else 0. */
  readonly deficitUsd: number
  /** Plain-words reasons, for the rules that fire and the ones that do not. */
  readonly reasons: ReadonlyArray<string>
}

/** The account-wide LTV rule (trigger 3). */
export interface LtvRule {
  /** USD value of all negative balances, as a positive number. */
  readonly debtUsd: number
  /** Collateral value (after haircuts) of the positive balances of accepted margin assets. */
  readonly collateralUsd: number
  /** debtUsd ÷ collateralUsd; null when there is debt and no collateral at all (above any limit). */
  readonly ltv: number | null
  readonly ltvThreshold: number
  readonly fires: boolean
  readonly reason: string
}

/** Auto-exchange verdicts for a Multi-Assets wallet. */
export interface AutoExchangeCheck {
  /** Whether any rule fires for any asset. */
  readonly fires: boolean
  readonly ltvRule: LtvRule
  readonly assets: ReadonlyArray<AssetAutoExchange>
  /** Trigger 2, described (it depends on a liquidation and cannot be predicted from balances). */
  readonly liquidationNote: string
}

const LIQUIDATION_NOTE =
  "If a liquidation leaves a loss that the asset's own balance cannot cover, Binance auto-exchanges collateral at once."

const validateOptions = (options: AutoExchangeOptions | undefined): Result<{
  readonly thresholds: Readonly<Record<string, number>>
  readonly ltvThreshold: number
}> => {
  const tier = options?.tier ?? "regular-vip1"
  if (tier !== "regular-vip1" && tier !== "other") return fail("tier", `must be "regular-vip1" or "other" (got ${show(tier)})`)
  const thresholds: Record<string, number> = { ...DEFAULT_THRESHOLDS[tier] }
  for (const [asset, value] of Object.entries(options?.thresholds ?? {})) {
    const checked = finite(`thresholds.${asset}`, value)
    if (Either.isLeft(checked)) return Either.left(checked.left)
    thresholds[asset] = checked.right
  }
  const ltv = positive("ltvThreshold", options?.ltvThreshold ?? LTV_THRESHOLD)
  if (Either.isLeft(ltv)) return Either.left(ltv.left)
  return Either.right({ thresholds, ltvThreshold: ltv.right })
}

const validateActivity = (activity: AccountActivity): Result<AccountActivity> => {
  if (typeof activity !== "object" || activity === null) return fail("activity", "must say hasPositions and hasOpenOrders")
  if (typeof activity.hasPositions !== "boolean") return fail("activity.hasPositions", `must be true or false (got ${show(activity.hasPositions)})`)
  if (typeof activity.hasOpenOrders !== "boolean") return fail("activity.hasOpenOrders", `must be true or false (got ${show(activity.hasOpenOrders)})`)
  return Either.right(activity)
}

const ltvRuleOf = (assets: ReadonlyArray<CollateralAsset>, activity: AccountActivity, ltvThreshold: number): LtvRule => {
  let debtUsd = 0
  let collateralUsd = 0
  for (const a of assets) {
    if (a.walletBalance < 0) debtUsd += -a.walletBalance * a.indexPrice
    else if (a.walletBalance > 0 && a.marginAvailable) collateralUsd += rawCollateralValue(a)
  }
  const ltv = debtUsd === 0 ? 0 : collateralUsd > 0 ? debtUsd / collateralUsd : null
  const reached = ltv === null || ltv >= ltvThreshold
  const ltvText = ltv === null ? "has no collateral to set against it" : `is ${formatPercent(ltv)}`
  const limit = formatPercent(ltvThreshold)
  const blockers: Array<string> = []
  if (debtUsd === 0) blockers.push("no balance is negative")
  if (activity.hasPositions) blockers.push("there are open positions")
  if (activity.hasOpenOrders) blockers.push("there are open orders")
  if (debtUsd > 0 && !reached) {
    blockers.push(`LTV ${ltvText}, below ${limit} (debt ${formatUsd(debtUsd)} USD ÷ collateral ${formatUsd(collateralUsd)} USD)`)
  }
  const fires = blockers.length === 0
  const reason = fires
    ? `No positions and no open orders, a negative balance, and LTV ${ltvText}` +
      (ltv === null ? "" : ` (debt ${formatUsd(debtUsd)} USD ÷ collateral ${formatUsd(collateralUsd)} USD)`) +
      `, at or above ${limit}: auto-exchange runs.`
    : `The LTV rule does not fire: ${blockers.join("; ")}.`
  return { debtUsd, collateralUsd, ltv, ltvThreshold, fires, reason }
}

const assetVerdict = (
  a: CollateralAsset,
  threshold: number | undefined,
  ltvRule: LtvRule
): AssetAutoExchange => {
  const triggers: Array<AutoExchangeTrigger> = []
  const reasons: Array<string> = []
  const bal = `${a.asset} wallet balance ${formatUnits(a.walletBalance)}`
  if (threshold === undefined) {
    reasons.push(`No auto-exchange threshold is known for ${a.asset}.`)
  } else if (a.walletBalance < threshold) {
    triggers.push("threshold")
    reasons.push(`${bal} is below its auto-exchange threshold ${formatUnits(threshold)}: auto-exchange runs.`)
  } else {
    reasons.push(`${bal} is not below its auto-exchange threshold ${formatUnits(threshold)}.`)
  }
  if (a.walletBalance < 0 && ltvRule.fires) {
    triggers.push("ltv")
    reasons.push(ltvRule.reason)
  }
  const fires = triggers.length > 0
  return {
    asset: a.asset,
    walletBalance: a.walletBalance,
    threshold: threshold ?? null,
    triggers,
    fires,
    deficitUsd: fires && a.walletBalance < 0 ? -a.walletBalance * a.indexPrice : 0,
    reasons
  }
}

/**
 * Says, per asset, whether Multi-Assets auto-exchange would run and why (reference §7.3):
 *
 * 1. the asset's wallet balance (net transfers + realized PnL + net funding − commission; unrealized
 *    PnL does not count) is below its threshold — strictly below: a balance exactly at the threshold
 *    does not trigger; thresholds come from the chosen tier's table, overridden per asset by
 *    `options.thresholds`;
 * 3. the wallet has a negative balance, there are no positions and no open orders, and LTV — the USD
 *    value of the negative balances ÷ the collateral value (after haircuts) of the positive ones — is at
 *    or above `options.ltvThreshold` (0.995; the 2022 rule was 1). This rule fires for every negative asset.
 *
 * Trigger 2 (a liquidation the asset's own balance cannot cover) is only described in `liquidationNote`.
 * Auto-exchange exists only in Multi-Assets mode.
 */
export const autoExchangeTriggers = (
  assets: ReadonlyArray<CollateralAsset>,
  activity: AccountActivity,
  options?: AutoExchangeOptions
): Result<AutoExchangeCheck> =>
  Either.gen(function*() {
    const valid = yield* validateAssets(assets)
    const act = yield* validateActivity(activity)
    const opts = yield* validateOptions(options)
    const ltvRule = ltvRuleOf(valid, act, opts.ltvThreshold)
    const verdicts = valid.map((a) => assetVerdict(a, opts.thresholds[a.asset], ltvRule))
    return {
      fires: verdicts.some((v) => v.fires),
      ltvRule,
      assets: verdicts,
      liquidationNote: LIQUIDATION_NOTE
    }
  })

// ---------------------------------------------------------------------------------------------
// Auto-exchange: amount sold

/**
 * USD worth of collateral an auto-exchange sells to cover `deficitUsd` from one asset with the given
 * haircut: deficit ÷ (1 − haircut). A 5,000 USD deficit covered from BTC with a 2.5 % haircut sells
 * 5,000 ÷ 0.975 = 5,128.21 USD of BTC; with no haircut the sale equals the deficit.
 */
export const amountToSellUsd = (deficitUsd: number, haircut: number): Result<number> =>
  Either.gen(function*() {
    const deficit = yield* nonNegative("deficitUsd", deficitUsd)
    const h = yield* haircutIn("haircut", haircut)
    return deficit / (1 - h)
  })

/** What one collateral asset gives up in an auto-exchange. */
export interface SaleRow {
  readonly asset: string
  /** The asset's share of the covered deficit (its collateral value ÷ all collateral value). */
  readonly share: number
  /** Part of the deficit this asset covers, in USD. */
  readonly deficitCoveredUsd: number
  /** USD worth sold: deficitCoveredUsd ÷ (1 − haircut). */
  readonly usdSold: number
  /** USD price per unit used to turn usdSold into units. */
  readonly rate: number
  /** Where the rate comes from: the index price, or the auto-exchange bid side of assetIndex. */
  readonly rateSource: "index" | "auto-exchange-bid"
  /** Units of the asset sold: usdSold ÷ rate. */
  readonly unitsSold: number
  /** Units in the wallet before the sale. */
  readonly unitsAvailable: number
  /** False when the sale needs more units than the wallet holds (possible at a bid rate below index). */
  readonly enough: boolean
}

/** How an auto-exchange covers a deficit from collateral. */
export interface AutoExchangeSale {
  readonly deficitUsd: number
  /** Part of the deficit the collateral can cover (at most its total collateral value). */
  readonly coveredUsd: number
  /** Part of the deficit the collateral cannot cover (0 when it is enough). */
  readonly uncoveredUsd: number
  /** Σ usdSold over the rows. */
  readonly totalUsdSold: number
  readonly rows: ReadonlyArray<SaleRow>
}

const rateOf = (a: SaleCollateral): { readonly rate: number; readonly rateSource: SaleRow["rateSource"] } =>
  a.autoExchangeBidRate !== undefined
    ? { rate: a.autoExchangeBidRate, rateSource: "auto-exchange-bid" }
    : a.autoExchangeBidBuffer !== undefined
    ? { rate: a.indexPrice * (1 - a.autoExchangeBidBuffer), rateSource: "auto-exchange-bid" }
    : { rate: a.indexPrice, rateSource: "index" }

/**
 * How much collateral an auto-exchange sells to cover `deficitUsd` (reference §7.3).
 *
 * With one collateral asset: deficit ÷ (1 − haircut) USD worth of it (5,000 ÷ 0.975 = 5,128.21 for BTC
 * at a 2.5 % haircut). With several, the deficit is split pro rata to their collateral values (after
 * haircuts) and each part is grossed up by that asset's haircut. Only positive balances of accepted
 * margin assets are sold. Units sold are usdSold ÷ the index price, or ÷ the auto-exchange bid rate
 * (index × (1 − autoExchangeBidBuffer)) when given. If the collateral is worth less than the deficit, all
 * of it is sold and the rest is reported as `uncoveredUsd`.
 */
export const autoExchangeSale = (
  deficitUsd: number,
  collateral: SaleCollateral | ReadonlyArray<SaleCollateral>
): Result<AutoExchangeSale> =>
  Either.gen(function*() {
    const deficit = yield* nonNegative("deficitUsd", deficitUsd)
    const list = yield* (Array.isArray(collateral)
      ? validateAssets(collateral as ReadonlyArray<SaleCollateral>, "collateral")
      : Either.map(validateAsset(collateral as SaleCollateral, "collateral"), (a) => [a]))
    const sources = list.filter((a) => a.marginAvailable && a.walletBalance > 0)
    const values = sources.map(rawCollateralValue)
    const total = values.reduce((s, v) => s + v, 0)
    const covered = total > 0 ? Math.min(deficit, total) : 0
    const rows = sources.map((a, i): SaleRow => {
      const share = values[i]! / total
      const deficitCoveredUsd = covered * share
      const usdSold = deficitCoveredUsd / (1 - a.haircut)
      const { rate, rateSource } = rateOf(a)
      const unitsSold = usdSold / rate
      return {
        asset: a.asset,
        share,
        deficitCoveredUsd,
        usdSold,
        rate,
        rateSource,
        unitsSold,
        unitsAvailable: a.walletBalance,
        enough: unitsSold <= a.walletBalance * (1 + 1e-12)
      }
    })
    return {
      deficitUsd: deficit,
      coveredUsd: covered,
      uncoveredUsd: deficit - covered,
      totalUsdSold: rows.reduce((s, r) => s + r.usdSold, 0),
      rows
    }
  })

/** The auto-exchange verdicts and, when a rule fires, what would be sold. */
export interface AutoExchangePreview {
  readonly check: AutoExchangeCheck
  /** The sale covering the deficits of every asset a rule fires for, or null when nothing fires. */
  readonly sale: AutoExchangeSale | null
}

/**
 * Runs {@link autoExchangeTriggers} and, when a rule fires, {@link autoExchangeSale} for the summed
 * deficits of the firing assets, sold from the positive balances of the accepted margin assets. The
 * seeds' example: a VIP 1 wallet owing 5,000 USDC with 20,000 USD of BTC at a 2.5 % haircut sells about
 * 5,128.21 USD of BTC.
 */
export const autoExchangePreview = (
  assets: ReadonlyArray<SaleCollateral>,
  activity: AccountActivity,
  options?: AutoExchangeOptions
): Result<AutoExchangePreview> =>
  Either.gen(function*() {
    const check = yield* autoExchangeTriggers(assets, activity, options)
    if (!check.fires) return { check, sale: null }
    const deficit = check.assets.reduce((s, v) => s + v.deficitUsd, 0)
    const sale = yield* autoExchangeSale(deficit, assets.filter((a) => a.walletBalance > 0))
    return { check, sale }
  })
