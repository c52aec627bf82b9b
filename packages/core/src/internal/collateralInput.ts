/**
 * @internal
 * What the collateral math and the auto-exchange rules share: the input error, `Result`, the checks
 * that name a bad field, the formatting of amounts, and the raw collateral value of one (already
 * checked) asset. `Collateral` re-exports the public part.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { CollateralAsset, SaleCollateral } from "../Collateral.js"

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

export type Result<A> = Either.Either<A, CollateralInputError>

export const fail = (field: string, reason: string): Result<never> =>
  Either.left(new CollateralInputError({ field, reason }))

export const show = (value: unknown): string => (typeof value === "number" ? String(value) : JSON.stringify(value) ?? String(value))

export const finite = (field: string, value: unknown): Result<number> =>
  typeof value === "number" && Number.isFinite(value)
    ? Either.right(value)
    : fail(field, `must be a finite number (got ${show(value)})`)

export const positive = (field: string, value: unknown): Result<number> =>
  Either.flatMap(finite(field, value), (n) => (n > 0 ? Either.right(n) : fail(field, `must be above 0 (got ${n})`)))

export const nonNegative = (field: string, value: unknown): Result<number> =>
  Either.flatMap(finite(field, value), (n) => (n >= 0 ? Either.right(n) : fail(field, `must be 0 or more (got ${n})`)))

export const haircutIn = (field: string, value: unknown): Result<number> =>
  Either.flatMap(
    finite(field, value),
    (n) => (n >= 0 && n < 1 ? Either.right(n) : fail(field, `must be at least 0 and below 1 (got ${n})`))
  )

export const label = (prefix: string, asset: unknown): string =>
  typeof asset === "string" && asset.length > 0 ? `${prefix} (${asset})` : prefix

export const pnlOf = (a: CollateralAsset): number => a.unrealizedPnl ?? 0

export const rawCollateralValue = (a: CollateralAsset): number => {
  const usd = a.walletBalance * a.indexPrice
  return a.walletBalance > 0 ? usd * (1 - a.haircut) : usd
}

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
  if (sale.autoExchangeBidBuffer !== undefined) checks.push(haircutIn(at("autoExchangeBidBuffer"), sale.autoExchangeBidBuffer))
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
