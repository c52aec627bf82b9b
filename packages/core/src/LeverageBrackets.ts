/**
 * Each symbol's maximum leverage, from GET /fapi/v1/leverageBracket (weight 1): the first notional
 * bracket's `initialLeverage`. The planner refuses a desired leverage above it before anything is
 * sent; a snapshot carries it only when it was read for a desired state that names leverage.
 */
import * as Catalog from "./Catalog.js"
import type { SymbolId } from "./Domain.js"
import type { SymbolLeverageBrackets } from "./Responses.js"
import type { AccountSnapshot } from "./Snapshot.js"

export interface SymbolMaxLeverage {
  readonly symbol: SymbolId
  /** The first bracket's initialLeverage: the highest leverage the symbol allows. */
  readonly maxLeverage: number
}

/** What `MarginClient.getAccountSnapshotWith` reads besides the snapshot. */
export interface SnapshotOptions {
  /** Also read the leverage brackets (weight 1) and fill each symbol's `maxLeverage`. */
  readonly leverageBrackets?: boolean | undefined
}

/** The snapshot with each symbol's maximum leverage from the brackets (and their read weight, 1, added). */
export const withMaxLeverage = (
  snapshot: AccountSnapshot,
  brackets: ReadonlyArray<SymbolMaxLeverage>
): AccountSnapshot => {
  const max = new Map(brackets.map((b) => [b.symbol as string, b.maxLeverage]))
  return {
    ...snapshot,
    symbols: snapshot.symbols.map((s) => (max.has(s.symbol) ? { ...s, maxLeverage: max.get(s.symbol)! } : s)),
    readWeight: snapshot.readWeight + Catalog.leverageBrackets.weight({})
  }
}

/** The maximum leverage of each symbol of an answer (an array without `symbol`, one object with it). */
export const maxLeverages = (
  answer: ReadonlyArray<SymbolLeverageBrackets> | SymbolLeverageBrackets
): Array<SymbolMaxLeverage> => {
  const list: ReadonlyArray<SymbolLeverageBrackets> = "symbol" in answer ? [answer] : answer
  return list.map((s) => ({
    symbol: s.symbol as SymbolId,
    maxLeverage: Math.max(0, ...s.brackets.map((b) => b.initialLeverage))
  }))
}
