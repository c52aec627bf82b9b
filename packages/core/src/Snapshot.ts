/**
 * What the planner needs to know about an account, read in a few cheap calls
 * (accountConfig, symbolConfig, openOrders, openAlgoOrders, account v3, exchangeInfo).
 */
import * as Schema from "effect/Schema"
import { MarginType, SymbolId } from "./Domain.js"

export const SymbolState = Schema.Struct({
  symbol: SymbolId,
  marginType: MarginType,
  /** Open regular plus open algo (conditional) orders. */
  openOrders: Schema.Number,
  /** Sum of |positionAmt| over position sides; 0 when flat. */
  positionAmt: Schema.Number,
  /** Initial margin held by the symbol's positions, in its margin asset. */
  initialMargin: Schema.Number,
  /** The asset the symbol is margined in (USDT, USDC, …). */
  marginAsset: Schema.String
})
export type SymbolState = typeof SymbolState.Type

export const BalanceState = Schema.Struct({
  asset: Schema.String,
  walletBalance: Schema.Number,
  /** Usable as Multi-Assets collateral (exchangeInfo `marginAvailable`). */
  marginAvailable: Schema.Boolean
})
export type BalanceState = typeof BalanceState.Type

export const AccountSnapshot = Schema.Struct({
  multiAssetsMargin: Schema.Boolean,
  dualSidePosition: Schema.Boolean,
  symbols: Schema.Array(SymbolState),
  balances: Schema.Array(BalanceState),
  /** Credits Trading Mode (a BNFCR balance): the account is locked in Multi-Assets Mode. */
  creditsMode: Schema.Boolean,
  /** Weight the reads for this snapshot cost. */
  readWeight: Schema.Number
})
export type AccountSnapshot = typeof AccountSnapshot.Type
