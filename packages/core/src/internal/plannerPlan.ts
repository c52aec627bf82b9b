/**
 * @internal
 * Desired-state validation and planning (pure).
 */
import * as Either from "effect/Either"
import { codeOf } from "../BinanceCodes.js"
import type { MarginType, SymbolId } from "../Domain.js"
import { DesiredStateRejected } from "../Errors.js"
import type * as Planner from "../Planner.js"
import type { AccountSnapshot, SymbolState } from "../Snapshot.js"
import { leverageSteps, positionModeStep, unknownLeverageSymbols, validateLeverage } from "./plannerModeLeverage.js"

const listNames = (names: ReadonlyArray<string>): string => names.join(", ")
const isAre = (names: ReadonlyArray<string>): string => (names.length === 1 ? "is" : "are")
const plural = (n: number, one: string, many: string = `${one}s`): string => `${n} ${n === 1 ? one : many}`
/** Numbers for people: at most 8 decimals, no exponent noise from float sums. */
const num = (n: number): string => String(Number(n.toFixed(8)))

/** @internal */
export const validateDesired = (
  desired: Planner.DesiredState
): Either.Either<Planner.DesiredState, DesiredStateRejected> => {
  const entries = desired.marginTypes?.symbols ?? []
  const seen = new Map<string, MarginType>()
  const conflicting: Array<string> = []
  for (const { marginType, symbol } of entries) {
    const before = seen.get(symbol)
    if (before !== undefined && before !== marginType && !conflicting.includes(symbol)) conflicting.push(symbol)
    seen.set(symbol, marginType)
  }
  if (conflicting.length > 0) {
    return Either.left(
      new DesiredStateRejected({
        reason: `${listNames(conflicting)} ${isAre(conflicting)} asked to be both ISOLATED and CROSSED`,
        symbols: conflicting
      })
    )
  }
  const leverage = validateLeverage(desired)
  if (Either.isLeft(leverage)) return Either.left(leverage.left)
  if (desired.multiAssets === true) {
    const isolated = [...seen].filter(([, t]) => t === "ISOLATED").map(([s]) => s)
    const all = desired.marginTypes?.all === "ISOLATED"
    if (all || isolated.length > 0) {
      const who = all
        ? `all symbols are asked to be ISOLATED${isolated.length > 0 ? ` (and ${listNames(isolated)} by name)` : ""}`
        : `${listNames(isolated)} ${isAre(isolated)} asked to be ISOLATED`
      return Either.left(
        new DesiredStateRejected({
          reason: `Multi-Assets Mode allows only cross margin: ${who}`,
          symbols: isolated
        })
      )
    }
  }
  return Either.right(desired)
}

// ---------------------------------------------------------------------------------------------
// Blockers

/** The codes Binance answers with when it hits each blocker (from the one table). */
const CODE = {
  marginTypeOpenOrders: codeOf("MarginTypeBlocked", "open-orders"),
  marginTypePosition: codeOf("MarginTypeBlocked", "position"),
  marginTypeMultiAssets: codeOf("MarginTypeBlocked", "multi-assets"),
  multiAssetsIsolated: codeOf("MultiAssetsBlocked", "isolated-symbols"),
  multiAssetsOpenOrders: codeOf("MultiAssetsBlocked", "open-orders"),
  multiAssetsNegativeBalance: codeOf("MultiAssetsBlocked", "negative-balance"),
  multiAssetsMargin: codeOf("MultiAssetsBlocked", "insufficient-margin")
}

const openOrdersBlocker = (s: SymbolState): Planner.Blocker => {
  const orders = plural(s.openOrders, "open order")
  return {
    code: CODE.marginTypeOpenOrders,
    reason: "open-orders",
    symbol: s.symbol,
    text: `${s.symbol} has ${orders}`,
    fix: `cancel the ${orders} on ${s.symbol}, or wait until ${s.openOrders === 1 ? "it fills" : "they fill"}`
  }
}

const positionBlocker = (s: SymbolState): Planner.Blocker => ({
  code: CODE.marginTypePosition,
  reason: "position",
  symbol: s.symbol,
  text: `${s.symbol} has an open position (size ${num(s.positionAmt)})`,
  fix: `close the position on ${s.symbol}; the margin type only changes on a flat symbol`
})

const multiAssetsOnBlocker = (symbol: SymbolId): Planner.Blocker => ({
  code: CODE.marginTypeMultiAssets,
  reason: "multi-assets",
  symbol,
  text: `Multi-Assets Mode is on and allows only cross margin, so ${symbol} cannot be ISOLATED`,
  fix: "turn Multi-Assets off first"
})

const waitsForOffBlocker = (symbol: SymbolId, offIndex: number): Planner.Blocker => ({
  code: CODE.marginTypeMultiAssets,
  reason: "blocked-dependency",
  symbol,
  text: `${symbol} can only become ISOLATED after Multi-Assets Mode is off (step ${offIndex}), and that step is blocked`,
  fix: `clear the blockers of step ${offIndex} first`
})

/** Blockers a Multi-Assets switch would hit, in Binance's check order (-4167, -4170, -4172, -4169). */
const multiAssetsBlockers = (
  snapshot: AccountSnapshot,
  value: boolean,
  blockedCrossings: ReadonlyArray<Planner.SetMarginTypeStep>
): Array<Planner.Blocker> => {
  const blockers: Array<Planner.Blocker> = []
  if (value && blockedCrossings.length > 0) {
    const names = blockedCrossings.map((s) => s.symbol)
    const indices = blockedCrossings.map((s) => s.index).join(", ")
    const steps = blockedCrossings.length === 1 ? "step" : "steps"
    blockers.push({
      code: CODE.multiAssetsIsolated,
      reason: "blocked-dependency",
      ...(names.length === 1 ? { symbol: names[0]! } : {}),
      text: `${listNames(names)} must be switched to cross margin before Multi-Assets Mode can go on, and ${
        names.length === 1 ? "that step is" : "those steps are"
      } blocked (${steps} ${indices})`,
      fix: `clear the blockers of ${steps} ${indices} first`
    })
  }
  const withOrders = snapshot.symbols.filter((s) => s.openOrders > 0)
  if (withOrders.length > 0) {
    const total = withOrders.reduce((n, s) => n + s.openOrders, 0)
    const where = withOrders.map((s) => `${s.symbol} ${s.openOrders}`).join(", ")
    blockers.push({
      code: CODE.multiAssetsOpenOrders,
      reason: "open-orders",
      ...(withOrders.length === 1 ? { symbol: withOrders[0]!.symbol } : {}),
      text: `the account has ${plural(total, "open order")} (${where}); Multi-Assets Mode cannot change while any order is open`,
      fix: `cancel the ${plural(total, "open order")} (${where}), or wait until ${total === 1 ? "it fills" : "they fill"}`
    })
  }
  for (const b of snapshot.balances) {
    if (b.marginAvailable && b.walletBalance < 0) {
      blockers.push({
        code: CODE.multiAssetsNegativeBalance,
        reason: "negative-balance",
        text: `the ${b.asset} wallet balance is negative (${num(b.walletBalance)} ${b.asset})`,
        fix: `transfer at least ${num(-b.walletBalance)} ${b.asset} into the USDⓈ-M Futures wallet`
      })
    }
  }
  if (!value && snapshot.creditsMode) {
    blockers.push({
      code: CODE.multiAssetsMargin,
      reason: "credits-lock",
      text: "Credits Trading Mode accounts stay in Multi-Assets Mode",
      fix: "leave Multi-Assets Mode on; it cannot be turned off while the account is in Credits Trading Mode"
    })
  }
  if (!value) {
    for (const short of marginShortfalls(snapshot)) {
      blockers.push({
        code: CODE.multiAssetsMargin,
        reason: "insufficient-margin",
        text: `positions margined in ${short.asset} need ${num(short.needed)} ${short.asset} of initial margin, ` +
          `but the ${short.asset} wallet balance is ${num(short.balance)}; without Multi-Assets Mode other assets no longer count`,
        fix: `transfer at least ${num(short.needed - short.balance)} ${short.asset} into the USDⓈ-M Futures wallet, ` +
          `or reduce the positions margined in ${short.asset}`
      })
    }
  }
  return blockers
}

/** @internal Margin assets whose positions need more initial margin than the asset's own wallet balance. */
export const marginShortfalls = (
  snapshot: AccountSnapshot
): Array<{ readonly asset: string; readonly needed: number; readonly balance: number }> => {
  const needed = new Map<string, number>()
  for (const s of snapshot.symbols) {
    if (s.initialMargin > 0) needed.set(s.marginAsset, (needed.get(s.marginAsset) ?? 0) + s.initialMargin)
  }
  const out: Array<{ asset: string; needed: number; balance: number }> = []
  for (const [asset, need] of needed) {
    const balance = snapshot.balances.find((b) => b.asset === asset)?.walletBalance ?? 0
    if (need > balance) out.push({ asset, needed: need, balance })
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Plan

const multiAssetsTitle = (value: boolean): string => `Turn Multi-Assets Mode ${value ? "on" : "off"}`

/** @internal */
export const plan = (
  desired: Planner.DesiredState,
  snapshot: AccountSnapshot
): Either.Either<Planner.Plan, DesiredStateRejected> =>
  Either.flatMap(validateDesired(desired), (d) => {
    const bySymbol = new Map(snapshot.symbols.map((s) => [s.symbol as string, s]))
    const overrides = new Map<string, MarginType>()
    for (const e of d.marginTypes?.symbols ?? []) overrides.set(e.symbol, e.marginType)
    const unknown = [
      ...new Set([...overrides.keys(), ...unknownLeverageSymbols(d, new Set(bySymbol.keys()))])
    ].filter((s) => !bySymbol.has(s))
    if (unknown.length > 0) {
      return Either.left(
        new DesiredStateRejected({
          reason: `unknown ${unknown.length === 1 ? "symbol" : "symbols"}: ${listNames(unknown)} ${
            isAre(unknown)
          } not in the account's symbol list`,
          symbols: unknown
        })
      )
    }

    const before = snapshot.multiAssetsMargin
    const after = d.multiAssets ?? before
    const all = d.marginTypes?.all
    const steps: Array<Planner.Step> = []
    let next = 1

    let off: Planner.SetMultiAssetsStep | undefined
    if (d.multiAssets === false && before) {
      off = {
        _tag: "SetMultiAssets",
        index: next++,
        title: multiAssetsTitle(false),
        value: false,
        weight: 1,
        reason: "requested",
        blockers: multiAssetsBlockers(snapshot, false, []),
        dependsOn: []
      }
      steps.push(off)
    }

    const mode = positionModeStep(d, snapshot, next)
    if (mode !== undefined) {
      steps.push(mode)
      next++
    }

    const unchanged: Array<SymbolId> = []
    const crossings: Array<Planner.SetMarginTypeStep> = []
    for (const s of snapshot.symbols) {
      const asked = overrides.get(s.symbol) ?? all
      let to: MarginType | undefined = asked
      let reason: Planner.SetMarginTypeStep["reason"] = "requested"
      if (asked !== undefined && asked === s.marginType) unchanged.push(s.symbol)
      if (asked === undefined && d.multiAssets === true && s.marginType === "ISOLATED") {
        to = "CROSSED"
        reason = "required-for-multi-assets"
      }
      if (to === undefined || to === s.marginType) continue
      const blockers: Array<Planner.Blocker> = []
      const dependsOn: Array<number> = []
      if (to === "ISOLATED") {
        if (off !== undefined) {
          dependsOn.push(off.index)
          if (off.blockers.length > 0) blockers.push(waitsForOffBlocker(s.symbol, off.index))
        } else if (after) {
          blockers.push(multiAssetsOnBlocker(s.symbol))
        }
      }
      if (s.openOrders > 0) blockers.push(openOrdersBlocker(s))
      if (s.positionAmt !== 0) blockers.push(positionBlocker(s))
      const step: Planner.SetMarginTypeStep = {
        _tag: "SetMarginType",
        index: next++,
        title: `Set ${s.symbol} from ${s.marginType} to ${to}${
          reason === "required-for-multi-assets" ? " (required for Multi-Assets Mode)" : ""
        }`,
        symbol: s.symbol,
        from: s.marginType,
        to,
        weight: 1,
        reason,
        blockers,
        dependsOn
      }
      steps.push(step)
      if (to === "CROSSED") crossings.push(step)
    }

    const leverage = leverageSteps(d, snapshot, next)
    steps.push(...leverage.steps)
    next += leverage.steps.length

    if (d.multiAssets === true && !before) {
      const blockedCrossings = crossings.filter((c) => c.blockers.length > 0)
      steps.push({
        _tag: "SetMultiAssets",
        index: next++,
        title: multiAssetsTitle(true),
        value: true,
        weight: 1,
        reason: "requested",
        blockers: multiAssetsBlockers(snapshot, true, blockedCrossings),
        dependsOn: crossings.map((c) => c.index)
      })
    }

    return Either.right({
      steps,
      readWeight: snapshot.readWeight,
      applyWeight: steps.reduce((w, s) => w + s.weight, 0),
      blocked: steps.some((s) => s.blockers.length > 0),
      unchanged,
      multiAssetsUnchanged: d.multiAssets !== undefined && d.multiAssets === before,
      multiAssets: { before, after },
      positionModeUnchanged: d.positionMode !== undefined && mode === undefined,
      leverageUnchanged: leverage.unchanged
    })
  })
