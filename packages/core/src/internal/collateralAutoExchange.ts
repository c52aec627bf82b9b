/**
 * @internal
 * Multi-Assets auto-exchange (reference `binance-usdm.md` §7.3): when it runs (the threshold per
 * asset, the LTV rule of an idle account) and how much collateral it sells (deficit ÷ (1 − haircut),
 * split pro rata across the collateral assets). Public through `Collateral`, which re-exports it.
 */
import * as Either from "effect/Either"
import type { CollateralAsset, SaleCollateral } from "../Collateral.js"
import {
  fail,
  finite,
  formatPercent,
  formatUnits,
  formatUsd,
  haircutIn,
  label,
  nonNegative,
  positive,
  rawCollateralValue,
  type Result,
  show,
  validateAsset,
  validateAssets
} from "./collateralInput.js"

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
