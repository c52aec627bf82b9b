/**
 * The user-data events an accepted settings change sends (reference §6), in Binance's shapes:
 * Multi-Assets and leverage → `ACCOUNT_CONFIG_UPDATE` (`ai` / `ac`), margin type → `ACCOUNT_UPDATE`
 * with reason `MARGIN_TYPE_CHANGE`. A position-mode change sends none (Binance sends none).
 * `announce` compares an account with a snapshot taken before a change, so every path that changes
 * settings (exchange API or control API) sends the same events, and a no-op sends nothing.
 * @internal
 */
import * as Account from "../Account.js"
import { serverTime, type State } from "./state.js"
import { metrics } from "./riskViews.js"

/** @internal What `announce` compares. */
export interface Snapshot {
  readonly multiAssetsMargin: boolean
  readonly symbols: ReadonlyMap<string, Account.SymbolSetting>
}

/** @internal */
export const snapshot = (account: Account.Account): Snapshot => ({
  multiAssetsMargin: account.multiAssetsMargin,
  symbols: new Map([...account.symbols].map(([s, v]) => [s, { ...v }]))
})

/** Decimal text without trailing zeros ("0", "20.5"). */
const num = (n: number): string => String(Number(n.toFixed(8)))

const marginTypeChange = (state: State, account: Account.Account, symbol: string, now: number) => {
  const sides: ReadonlyArray<Account.PositionSide> = account.dualSidePosition ? ["BOTH", "LONG", "SHORT"] : ["BOTH"]
  const mt = Account.marginTypeOf(account, symbol) === "ISOLATED" ? "isolated" : "cross"
  return {
    e: "ACCOUNT_UPDATE",
    E: now,
    T: now,
    a: {
      m: "MARGIN_TYPE_CHANGE",
      B: [],
      P: sides.map((ps) => {
        const p = account.positions.find((x) => x.symbol === symbol && x.positionSide === ps)
        const m = p === undefined ? undefined : metrics(account, p, state.market, state.config)
        return {
          s: symbol,
          pa: num(p?.positionAmt ?? 0),
          ep: num(p?.entryPrice ?? 0),
          bep: num(p?.entryPrice ?? 0),
          cr: "0",
          up: num(m?.unrealizedProfit ?? 0),
          mt,
          iw: num(m?.isolatedWallet ?? 0),
          ps
        }
      })
    }
  }
}

/** @internal Sends the events for what changed in `account` since `before`. */
export const announce = (state: State, account: Account.Account, before: Snapshot): void => {
  const now = serverTime(state)
  const publish = (event: object) => state.stream.publish(account.name, event, now)
  if (account.multiAssetsMargin !== before.multiAssetsMargin) {
    publish({ e: "ACCOUNT_CONFIG_UPDATE", E: now, T: now, ai: { j: account.multiAssetsMargin } })
  }
  const defaults = state.config.defaultLeverage
  for (const symbol of new Set([...before.symbols.keys(), ...account.symbols.keys()])) {
    const was = before.symbols.get(symbol) ?? Account.defaultSetting(defaults)
    const is = Account.symbolSetting(account, symbol, defaults)
    if (was.leverage !== is.leverage) {
      publish({ e: "ACCOUNT_CONFIG_UPDATE", E: now, T: now, ac: { s: symbol, l: is.leverage } })
    }
    if (was.marginType !== is.marginType && (state.config.marginTypeEventWhenFlat || Account.hasPosition(account, symbol))) {
      publish(marginTypeChange(state, account, symbol, now))
    }
  }
}
