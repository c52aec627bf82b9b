/**
 * What `marginctl watch` prints for the account's settings and their changes: a human line (local
 * time, then what changed) or a JSON line `{type, symbol, value, time, via}` (README, "watch").
 */
import type { AccountSettings, SettingChange } from "@marginctl/core/UserDataEvent"

/** Where a change was seen: on the stream as it happened, or by reading the settings again after a reconnection. */
export type Via = "stream" | "re-read"

/** `12:03:04.512`, in local time. */
export const clock = (ms: number): string => {
  const d = new Date(ms)
  const two = (n: number) => String(n).padStart(2, "0")
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`
}

const onOff = (on: boolean) => (on ? "on" : "off")

const LIST_MAX = 8

const list = (names: ReadonlyArray<string>) =>
  `${names.slice(0, LIST_MAX).join(", ")}${names.length > LIST_MAX ? `, +${names.length - LIST_MAX} more` : ""}`

const leverageOf = (leverage: number | undefined) => (leverage === undefined ? "" : ` ${leverage}x`)

/** The settings in one short line: counts and the isolated symbols, or each symbol when the watch is filtered. */
export const summary = (settings: AccountSettings, filtered: boolean): string => {
  const head = `Multi-Assets Mode ${onOff(settings.multiAssetsMargin)}, ${settings.dualSidePosition ? "hedge" : "one-way"} mode`
  if (filtered) {
    return `${head}; ${settings.symbols.map((s) => `${s.symbol} ${s.marginType}${leverageOf(s.leverage)}`).join(", ")}`
  }
  const isolated = settings.symbols.filter((s) => s.marginType === "ISOLATED")
  return `${head}; ${settings.symbols.length} symbols, ${isolated.length} ISOLATED` +
    (isolated.length === 0 ? "" : ` (${list(isolated.map((s) => `${s.symbol}${leverageOf(s.leverage)}`))})`)
}

/** The human line of a change, worded by the core (`UserDataEvent.describeChange`, loaded with the stream). */
export const humanChange = (change: SettingChange, via: Via, describeChange: (change: SettingChange) => string): string =>
  `${clock(change.eventTime)} ${describeChange(change)}${via === "re-read" ? " (found by the re-read after reconnecting)" : ""}`

/** The JSON line of a change. */
export const jsonChange = (change: SettingChange, via: Via) => {
  const time = new Date(change.eventTime).toISOString()
  switch (change._tag) {
    case "MultiAssetsChanged":
      return { type: "multi-assets", symbol: null, value: change.multiAssets, time, via }
    case "MarginTypeChanged":
      return { type: "margin-type", symbol: change.symbol, value: change.marginType, time, via }
    case "LeverageChanged":
      return { type: "leverage", symbol: change.symbol, value: change.leverage, time, via }
  }
}

/** The JSON line of the settings read when the watch starts. */
export const jsonSettings = (settings: AccountSettings, at: number) => ({
  type: "settings",
  symbol: null,
  value: {
    multiAssets: settings.multiAssetsMargin,
    positionMode: settings.dualSidePosition ? "hedge" : "one-way",
    symbols: settings.symbols.map((s) => ({ symbol: s.symbol, marginType: s.marginType, leverage: s.leverage ?? null }))
  },
  time: new Date(at).toISOString(),
  via: "read"
})
