/** Account snapshots for planner tests: a symbol, a balance, a snapshot with defaults. */
import { type MarginType, makeSymbol } from "../../src/Domain.js"
import type { AccountSnapshot, BalanceState, SymbolState } from "../../src/Snapshot.js"

export const sym = (
  symbol: string,
  marginType: MarginType,
  extra: Partial<Omit<SymbolState, "symbol" | "marginType">> = {}
): SymbolState => ({
  symbol: makeSymbol(symbol),
  marginType,
  leverage: 20,
  openOrders: 0,
  positionAmt: 0,
  initialMargin: 0,
  marginAsset: symbol.endsWith("USDC") ? "USDC" : "USDT",
  ...extra
})

export const bal = (asset: string, walletBalance: number, marginAvailable = true): BalanceState => ({
  asset,
  walletBalance,
  marginAvailable
})

export const snapshot = (over: Partial<AccountSnapshot> = {}): AccountSnapshot => ({
  multiAssetsMargin: false,
  dualSidePosition: false,
  symbols: [],
  balances: [bal("USDT", 1000), bal("USDC", 1000)],
  creditsMode: false,
  readWeight: 16,
  ...over
})

