/**
 * An account's settings as the gateway holds them (the core's `AccountSettings`) and the changes it
 * tells its callers about (the contract's `SettingChange`): a change from a stream event, the
 * changes a re-read found, a change applied to the settings, and what the cache and the audit log
 * keep of them.
 */
import type { MarginType } from "@marginctl/core/Domain"
import type { AccountSettings } from "@marginctl/core/Snapshot"
import * as UserDataEvent from "@marginctl/core/UserDataEvent"
import type { AuditAction } from "@marginctl/gateway-api/Audit"
import type { SettingChange, SettingsState } from "@marginctl/gateway-api/Events"
import type { StreamMode } from "@marginctl/gateway-api/StreamMode"

export type Settings = AccountSettings

/** A change pushed by the stream, as the contract tells it (origin decided by the caller). */
export const fromEvent = (account: string, e: UserDataEvent.SettingChange, origin: SettingChange["origin"]): SettingChange => {
  const common = { account, origin, time: e.eventTime, via: "stream" as const }
  switch (e._tag) {
    case "MultiAssetsChanged":
      return { _tag: "MultiAssets", ...common, multiAssetsMargin: e.multiAssets }
    case "MarginTypeChanged":
      return { _tag: "MarginType", ...common, symbol: e.symbol, marginType: e.marginType }
    case "LeverageChanged":
      return { _tag: "Leverage", ...common, symbol: e.symbol, leverage: e.leverage }
  }
}

/** What changed between two reads of the settings (found by `via`, at `time`; made elsewhere until told otherwise). */
export const diff = (account: string, before: Settings, after: Settings, time: number, via: "resync" | "poll"): Array<SettingChange> => {
  const changes = UserDataEvent.changesBetween(before, after, time).map((e) => ({ ...fromEvent(account, e, "external"), via }))
  if (before.dualSidePosition === after.dualSidePosition) return changes
  return [...changes, { _tag: "PositionMode", account, origin: "external", time, via, dualSidePosition: after.dualSidePosition }]
}

/** The settings with a change applied. */
export const apply = (settings: Settings, c: SettingChange): Settings => {
  const times = { eventTime: c.time, transactionTime: c.time }
  switch (c._tag) {
    case "PositionMode":
      return { ...settings, dualSidePosition: c.dualSidePosition }
    case "MultiAssets":
      return UserDataEvent.apply(settings, new UserDataEvent.MultiAssetsChanged({ multiAssets: c.multiAssetsMargin, ...times }))
    case "MarginType":
      return UserDataEvent.apply(settings, new UserDataEvent.MarginTypeChanged({ symbol: c.symbol, marginType: c.marginType, ...times }))
    case "Leverage":
      return UserDataEvent.apply(settings, new UserDataEvent.LeverageChanged({ symbol: c.symbol, leverage: c.leverage, ...times }))
  }
}

/** The state the events stream and /readyz show. */
export const stateOf = (account: string, mode: StreamMode, settings: Settings | null): SettingsState => ({
  account,
  mode,
  settings: settings === null
    ? null
    : { multiAssetsMargin: settings.multiAssetsMargin, dualSidePosition: settings.dualSidePosition, symbols: settings.symbols }
})

/** The settings of a state (the inverse of `stateOf`; its read weight is not announced). */
export const settingsOf = (state: SettingsState): Settings | null =>
  state.settings === null ? null : { ...state.settings, readWeight: 0 }

/** The audit log's request of the changes the gateway makes (the same text for its attempts and for what the stream shows). */
export const requests = {
  multiAssets: (on: boolean) => ({ multiAssetsMargin: on }),
  marginType: (symbol: string, marginType: MarginType) => ({ symbol, marginType }),
  positionMode: (dualSidePosition: boolean) => ({ dualSidePosition }),
  leverage: (symbol: string, leverage: number) => ({ symbol, leverage })
}

/** The audit action and request of a change, and whether the gateway can make such a change at all. */
export const auditOf = (c: SettingChange): { readonly action: AuditAction; readonly request: unknown; readonly made: boolean } => {
  switch (c._tag) {
    case "MultiAssets":
      return { action: "set-multi-assets", request: requests.multiAssets(c.multiAssetsMargin), made: true }
    case "MarginType":
      return { action: "set-margin-type", request: requests.marginType(c.symbol, c.marginType), made: true }
    case "Leverage":
      return { action: "set-leverage", request: requests.leverage(c.symbol, c.leverage), made: true }
    case "PositionMode":
      return { action: "set-position-mode", request: requests.positionMode(c.dualSidePosition), made: true }
  }
}

/** One line for logs. */
export const describe = (c: SettingChange): string => {
  const what = c._tag === "MultiAssets"
    ? `Multi-Assets Mode ${c.multiAssetsMargin ? "on" : "off"}`
    : c._tag === "MarginType"
    ? `${c.symbol} margin type ${c.marginType}`
    : c._tag === "Leverage"
    ? `${c.symbol} leverage ${c.leverage}x`
    : `position mode ${c.dualSidePosition ? "Hedge" : "One-way"}`
  return `${c.account}: ${what} (${c.origin}, via ${c.via})`
}

/** What a change replaced, shaped like its audit request; null when not known. */
export const beforeOf = (settings: Settings | null, c: SettingChange): unknown => {
  if (settings === null) return null
  const symbol = "symbol" in c ? settings.symbols.find((s) => s.symbol === c.symbol) : undefined
  switch (c._tag) {
    case "MultiAssets":
      return requests.multiAssets(settings.multiAssetsMargin)
    case "MarginType":
      return symbol === undefined ? null : requests.marginType(c.symbol, symbol.marginType)
    case "Leverage":
      return symbol?.leverage === undefined ? null : requests.leverage(c.symbol, symbol.leverage)
    case "PositionMode":
      return requests.positionMode(settings.dualSidePosition)
  }
}
