/**
 * The state of one simulated USDⓈ-M futures account: its API keys, account-wide flags (Multi-Assets,
 * position mode, credits lock), per-symbol settings, positions, open orders (regular and algo) and
 * wallet balances. Plain mutable data owned by the `Simulator`; every mutation happens in one
 * synchronous step, so a request sees and changes a consistent state.
 */
import type * as Verifier from "./Verifier.js"

export type Permission = "USER_DATA" | "TRADE"
export type MarginType = "ISOLATED" | "CROSSED"
export type PositionSide = "BOTH" | "LONG" | "SHORT"
export type Side = "BUY" | "SELL"

export interface ApiKey {
  readonly apiKey: string
  readonly permissions: ReadonlySet<Permission>
  readonly keyType: Verifier.ImportedVerifyKey["keyType"]
  readonly verifyKey: Verifier.ImportedVerifyKey
  /** A synchronous HMAC check supplied by the host (the Node server), used instead of WebCrypto. */
  readonly fastVerify: ((payload: string, signature: string) => boolean) | undefined
}

export interface SymbolSetting {
  marginType: MarginType
  leverage: number
  isAutoAddMargin: boolean
}

export interface Position {
  readonly symbol: string
  readonly positionSide: PositionSide
  /** Signed amount (negative = short). */
  positionAmt: number
  entryPrice: number
  /** Overrides the market's mark price for this position. */
  markPrice: number | undefined
  /** Margin put aside for an ISOLATED position. */
  isolatedWallet: number
  updateTime: number
}

export interface Order {
  readonly orderId: number
  readonly clientOrderId: string
  readonly symbol: string
  readonly side: Side
  readonly positionSide: PositionSide
  readonly type: string
  readonly price: number
  readonly origQty: number
  readonly stopPrice: number
  readonly reduceOnly: boolean
  readonly timeInForce: string
  readonly time: number
}

export interface AlgoOrder {
  readonly algoId: number
  readonly clientAlgoId: string
  readonly symbol: string
  readonly side: Side
  readonly positionSide: PositionSide
  readonly orderType: string
  readonly triggerPrice: number
  readonly price: number
  readonly quantity: number
  readonly reduceOnly: boolean
  readonly timeInForce: string
  readonly createTime: number
}

export interface Account {
  readonly name: string
  keys: Array<ApiKey>
  multiAssetsMargin: boolean
  dualSidePosition: boolean
  /** Credits Trading Mode (BNFCR): Multi-Assets cannot be turned off. */
  creditsLock: boolean
  canTrade: boolean
  canDeposit: boolean
  canWithdraw: boolean
  feeTier: number
  /** Settings of symbols that differ from the defaults (CROSSED, default leverage). */
  readonly symbols: Map<string, SymbolSetting>
  positions: Array<Position>
  orders: Array<Order>
  algoOrders: Array<AlgoOrder>
  /** Wallet balance per asset. */
  readonly balances: Map<string, number>
  updateTime: number
}

export const empty = (name: string, now: number): Account => ({
  name,
  keys: [],
  multiAssetsMargin: false,
  dualSidePosition: false,
  creditsLock: false,
  canTrade: true,
  canDeposit: true,
  canWithdraw: true,
  feeTier: 0,
  symbols: new Map(),
  positions: [],
  orders: [],
  algoOrders: [],
  balances: new Map(),
  updateTime: now
})

/** The settings of a symbol that was never changed. */
export const defaultSetting = (defaultLeverage: number): SymbolSetting => ({ marginType: "CROSSED", leverage: defaultLeverage, isAutoAddMargin: false })

export const symbolSetting = (account: Account, symbol: string, defaultLeverage: number): SymbolSetting =>
  account.symbols.get(symbol) ?? defaultSetting(defaultLeverage)

export const setSymbol = (
  account: Account,
  symbol: string,
  defaultLeverage: number,
  change: Partial<SymbolSetting>
): void => {
  account.symbols.set(symbol, { ...symbolSetting(account, symbol, defaultLeverage), ...change })
}

export const marginTypeOf = (account: Account, symbol: string): MarginType =>
  account.symbols.get(symbol)?.marginType ?? "CROSSED"

/** Symbols configured ISOLATED. */
export const isolatedSymbols = (account: Account): Array<string> =>
  [...account.symbols].filter(([, s]) => s.marginType === "ISOLATED").map(([symbol]) => symbol)

export const openPositions = (account: Account, symbol?: string): Array<Position> =>
  account.positions.filter((p) => p.positionAmt !== 0 && (symbol === undefined || p.symbol === symbol))

export const hasPosition = (account: Account, symbol: string): boolean => openPositions(account, symbol).length > 0

/** Open regular plus algo orders, optionally of one symbol. */
export const openOrderCount = (account: Account, symbol?: string): number =>
  symbol === undefined
    ? account.orders.length + account.algoOrders.length
    : account.orders.filter((o) => o.symbol === symbol).length +
      account.algoOrders.filter((o) => o.symbol === symbol).length

/** The parts of an account that the change log records as before/after. */
export const settingsView = (account: Account) => ({
  multiAssetsMargin: account.multiAssetsMargin,
  dualSidePosition: account.dualSidePosition,
  creditsLock: account.creditsLock,
  canTrade: account.canTrade,
  feeTier: account.feeTier,
  isolatedSymbols: isolatedSymbols(account)
})
