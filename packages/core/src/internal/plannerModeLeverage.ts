/**
 * @internal
 * The position-mode and leverage parts of planning (pure): their validation, steps and blockers.
 */
import * as Either from "effect/Either"
import { codeOf } from "../BinanceCodes.js"
import { LEVERAGE_ACCEPTED, positionModeOf, type SymbolId } from "../Domain.js"
import { DesiredStateRejected } from "../Errors.js"
import type * as Planner from "../Planner.js"
import type { AccountSnapshot, SymbolState } from "../Snapshot.js"

const plural = (n: number, one: string, many: string = `${one}s`): string => `${n} ${n === 1 ? one : many}`
const num = (n: number): string => String(Number(n.toFixed(8)))
const isLeverage = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 125

/** The codes Binance answers with when it hits each blocker (from the one table). */
const CODE = {
  positionModeOpenOrders: codeOf("PositionModeBlocked", "open-orders"),
  positionModePosition: codeOf("PositionModeBlocked", "position"),
  leverageAboveMax: codeOf("InvalidParameter", "leverage"),
  leverageReduction: codeOf("AccountRejected", "leverage")
}

/** @internal A leverage outside 1..125 (by `all` or by symbol), or one symbol asked to have two leverages. */
export const validateLeverage = (desired: Planner.DesiredState): Either.Either<void, DesiredStateRejected> => {
  const all = desired.leverage?.all
  if (all !== undefined && !isLeverage(all)) {
    return Either.left(new DesiredStateRejected({ reason: `leverage.all must be ${LEVERAGE_ACCEPTED}; got ${all}` }))
  }
  const seen = new Map<string, number>()
  for (const { leverage, symbol } of desired.leverage?.symbols ?? []) {
    if (!isLeverage(leverage)) {
      return Either.left(
        new DesiredStateRejected({ reason: `the leverage of ${symbol} must be ${LEVERAGE_ACCEPTED}; got ${leverage}`, symbols: [symbol] })
      )
    }
    const before = seen.get(symbol)
    if (before !== undefined && before !== leverage) {
      return Either.left(
        new DesiredStateRejected({ reason: `${symbol} is asked to have leverage ${before} and ${leverage}`, symbols: [symbol] })
      )
    }
    seen.set(symbol, leverage)
  }
  return Either.right(undefined)
}

/** @internal Symbols named for leverage that the account does not have. */
export const unknownLeverageSymbols = (desired: Planner.DesiredState, known: ReadonlySet<string>): Array<string> =>
  [...new Set((desired.leverage?.symbols ?? []).map((e) => e.symbol as string))].filter((s) => !known.has(s))

/** Position mode is account-wide: any open order (-4067) or any position (-4068) on any symbol blocks it. */
const positionModeBlockers = (snapshot: AccountSnapshot): Array<Planner.Blocker> => {
  const blockers: Array<Planner.Blocker> = []
  const withOrders = snapshot.symbols.filter((s) => s.openOrders > 0)
  if (withOrders.length > 0) {
    const total = withOrders.reduce((n, s) => n + s.openOrders, 0)
    const where = withOrders.map((s) => `${s.symbol} ${s.openOrders}`).join(", ")
    blockers.push({
      code: CODE.positionModeOpenOrders,
      reason: "open-orders",
      ...(withOrders.length === 1 ? { symbol: withOrders[0]!.symbol } : {}),
      text: `the account has ${plural(total, "open order")} (${where}); the position mode cannot change while any order is open`,
      fix: `cancel the ${plural(total, "open order")} (${where}), or wait until ${total === 1 ? "it fills" : "they fill"}`
    })
  }
  const withPosition = snapshot.symbols.filter((s) => s.positionAmt !== 0)
  if (withPosition.length > 0) {
    const where = withPosition.map((s) => `${s.symbol} ${num(s.positionAmt)}`).join(", ")
    blockers.push({
      code: CODE.positionModePosition,
      reason: "position",
      ...(withPosition.length === 1 ? { symbol: withPosition[0]!.symbol } : {}),
      text: `the account has ${plural(withPosition.length, "open position")} (${where}); the position mode only changes when every symbol is flat`,
      fix: `close the ${withPosition.length === 1 ? "position" : "positions"} on ${withPosition.map((s) => s.symbol).join(", ")}`
    })
  }
  return blockers
}

/** @internal The position-mode step, if the desired mode differs from the account's. */
export const positionModeStep = (
  desired: Planner.DesiredState,
  snapshot: AccountSnapshot,
  index: number
): Planner.SetPositionModeStep | undefined => {
  const from = positionModeOf(snapshot.dualSidePosition)
  const value = desired.positionMode
  if (value === undefined || value === from) return undefined
  return {
    _tag: "SetPositionMode",
    index,
    title: `Switch the position mode from ${from} to ${value}`,
    value,
    from,
    weight: 1,
    blockers: positionModeBlockers(snapshot),
    dependsOn: []
  }
}

const leverageBlockers = (s: SymbolState, to: number): Array<Planner.Blocker> => {
  const blockers: Array<Planner.Blocker> = []
  if (s.maxLeverage !== undefined && to > s.maxLeverage) {
    blockers.push({
      code: CODE.leverageAboveMax,
      reason: "leverage-above-max",
      symbol: s.symbol,
      text: `${s.symbol} allows at most ${s.maxLeverage}x leverage, and ${to}x is asked`,
      fix: `ask for ${s.maxLeverage}x or less on ${s.symbol}`
    })
  }
  // A margin type only changes on a flat symbol, so a symbol with a position keeps its current type.
  if (to < s.leverage && s.marginType === "ISOLATED" && s.positionAmt !== 0) {
    blockers.push({
      code: CODE.leverageReduction,
      reason: "leverage-reduction",
      symbol: s.symbol,
      text: `${s.symbol} is ISOLATED with an open position (size ${num(s.positionAmt)}), and its leverage cannot go down from ${s.leverage}x to ${to}x`,
      fix: `close the position on ${s.symbol} first, or keep its leverage at ${s.leverage}x or more`
    })
  }
  return blockers
}

/** @internal Leverage steps from `first` on, and the symbols that already have the asked leverage. */
export const leverageSteps = (
  desired: Planner.DesiredState,
  snapshot: AccountSnapshot,
  first: number
): { readonly steps: Array<Planner.SetLeverageStep>; readonly unchanged: Array<SymbolId> } => {
  const overrides = new Map<string, number>()
  for (const e of desired.leverage?.symbols ?? []) overrides.set(e.symbol, e.leverage)
  const all = desired.leverage?.all
  const steps: Array<Planner.SetLeverageStep> = []
  const unchanged: Array<SymbolId> = []
  let next = first
  for (const s of snapshot.symbols) {
    const to = overrides.get(s.symbol) ?? all
    if (to === undefined) continue
    if (to === s.leverage) {
      unchanged.push(s.symbol)
      continue
    }
    steps.push({
      _tag: "SetLeverage",
      index: next++,
      title: `Set ${s.symbol} leverage from ${s.leverage}x to ${to}x`,
      symbol: s.symbol,
      from: s.leverage,
      to,
      weight: 1,
      blockers: leverageBlockers(s, to),
      dependsOn: []
    })
  }
  return { steps, unchanged }
}
