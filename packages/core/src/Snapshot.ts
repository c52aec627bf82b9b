/**
 * What the planner needs to know about an account, read in a few cheap calls
 * (accountConfig, symbolConfig, openOrders, openAlgoOrders, account v3, exchangeInfo), and the
 * settings alone (`AccountSettings`: accountConfig and symbolConfig, weight 10), which is what a
 * surface shows before anything is planned.
 */
import * as Schema from "effect/Schema"
import { MarginType, SymbolId } from "./Domain.js"

export const SymbolSettings = Schema.Struct({
  symbol: SymbolId,
  marginType: MarginType,
  /** The symbol's leverage (absent when the exchange does not say). */
  leverage: Schema.optional(Schema.Number)
})
export type SymbolSettings = typeof SymbolSettings.Type

/** The account's settings without its orders, positions and balances (accountConfig + symbolConfig). */
export const AccountSettings = Schema.Struct({
  multiAssetsMargin: Schema.Boolean,
  /** Hedge mode (true) or one-way mode (false). */
  dualSidePosition: Schema.Boolean,
  symbols: Schema.Array(SymbolSettings),
  /** Weight the reads cost (5 + 5). */
  readWeight: Schema.Number
})
export type AccountSettings = typeof AccountSettings.Type

export const SymbolState = Schema.Struct({
  symbol: SymbolId,
  marginType: MarginType,
  /** The symbol's leverage (symbolConfig). */
  leverage: Schema.Number,
  /** The highest leverage the symbol's brackets allow; read only when a desired state names leverage. */
  maxLeverage: Schema.optional(Schema.Number),
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
