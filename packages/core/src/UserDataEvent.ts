/**
 * What the user-data stream tells its consumers: the account's setting changes (Multi-Assets Mode, a
 * symbol's margin type or leverage) and the stream's health (`Connected`, `Disconnected`, `Resynced`
 * with the settings read again after every connection), plus `apply` for a consumer that keeps the
 * settings in a cache and `toLine` for one that prints them.
 *
 * Binance's events (reference §6) are decoded by `decodeMessage`: `ACCOUNT_CONFIG_UPDATE` with `ai`
 * (Multi-Assets) or `ac` (leverage), `ACCOUNT_UPDATE` with reason `MARGIN_TYPE_CHANGE` (margin type in
 * lower case per position entry), and `listenKeyExpired`. Every other message is ignored.
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { AccountSettings, type SymbolSettings } from "./Snapshot.js"
import { MarginType, MarginTypeFromBinance, SymbolId } from "./Domain.js"

const Times = { eventTime: Schema.Number, transactionTime: Schema.Number }

/** Multi-Assets Mode was switched on or off. */
export class MultiAssetsChanged extends Schema.TaggedClass<MultiAssetsChanged>()("MultiAssetsChanged", {
  multiAssets: Schema.Boolean,
  ...Times
}) {}

/** A symbol's margin type changed. */
export class MarginTypeChanged extends Schema.TaggedClass<MarginTypeChanged>()("MarginTypeChanged", {
  symbol: SymbolId,
  marginType: MarginType,
  ...Times
}) {}

/** A symbol's initial leverage changed. */
export class LeverageChanged extends Schema.TaggedClass<LeverageChanged>()("LeverageChanged", {
  symbol: SymbolId,
  leverage: Schema.Int,
  ...Times
}) {}

export const SettingChange = Schema.Union(MultiAssetsChanged, MarginTypeChanged, LeverageChanged)
export type SettingChange = typeof SettingChange.Type

/** The account's settings (the core's one `AccountSettings`): what a cache holds and what `Resynced` replaces it with. */
export { AccountSettings, SymbolSettings } from "./Snapshot.js"

/** The stream is connected: changes arrive from now on (a `Resynced` follows). */
export class Connected extends Schema.TaggedClass<Connected>()("Connected", {
  at: Schema.Number
}) {}

/** The stream lost its connection: changes may be missed until the next `Connected` and `Resynced`. */
export class Disconnected extends Schema.TaggedClass<Disconnected>()("Disconnected", {
  reason: Schema.String,
  at: Schema.Number
}) {}

/** The settings, read again after a (re)connection: a cache replaces what it holds with them. */
export class Resynced extends Schema.TaggedClass<Resynced>()("Resynced", {
  settings: AccountSettings,
  at: Schema.Number
}) {}

export const Lifecycle = Schema.Union(Connected, Disconnected, Resynced)
export type Lifecycle = typeof Lifecycle.Type

/** An item of the user-data stream. */
export const UserDataEvent = Schema.Union(MultiAssetsChanged, MarginTypeChanged, LeverageChanged, Connected, Disconnected, Resynced)
export type UserDataEvent = typeof UserDataEvent.Type

/** The connection could not be kept (and the reconnection schedule gave up). */
export class StreamConnectionLost extends Schema.TaggedError<StreamConnectionLost>()("StreamConnectionLost", {
  reason: Schema.Literal("open-failed", "closed", "listen-key-expired"),
  detail: Schema.String
}) {
  get message(): string {
    return `the user-data stream's connection was lost (${this.reason}): ${this.detail}`
  }
}

/** A cache's settings with a change applied (a symbol not held yet is added). */
export const apply = (settings: AccountSettings, change: SettingChange): AccountSettings => {
  if (change._tag === "MultiAssetsChanged") return { ...settings, multiAssetsMargin: change.multiAssets }
  const update = (s: SymbolSettings): SymbolSettings =>
    change._tag === "MarginTypeChanged" ? { ...s, marginType: change.marginType } : { ...s, leverage: change.leverage }
  const index = settings.symbols.findIndex((s) => s.symbol === change.symbol)
  if (index >= 0) return { ...settings, symbols: settings.symbols.map((s, i) => (i === index ? update(s) : s)) }
  // A leverage change for a symbol not held: its margin type is unknown, so it is not added.
  if (change._tag === "LeverageChanged") return settings
  return { ...settings, symbols: [...settings.symbols, { symbol: change.symbol, marginType: change.marginType }] }
}

/** A change in words, without its time: `Multi-Assets Mode on`, `ETHUSDT margin type ISOLATED`, `BTCUSDT leverage 25x`. */
export const describeChange = (change: SettingChange): string => {
  switch (change._tag) {
    case "MultiAssetsChanged":
      return `Multi-Assets Mode ${change.multiAssets ? "on" : "off"}`
    case "MarginTypeChanged":
      return `${change.symbol} margin type ${change.marginType}`
    case "LeverageChanged":
      return `${change.symbol} leverage ${change.leverage}x`
  }
}

/** One line for a person (a CLI's output, an extension's notification), in the exchange's time. */
export const toLine = (event: UserDataEvent): string => {
  switch (event._tag) {
    case "MultiAssetsChanged":
    case "MarginTypeChanged":
    case "LeverageChanged":
      return `${iso(event.eventTime)} ${describeChange(event)}`
    case "Connected":
      return `${iso(event.at)} connected`
    case "Disconnected":
      return `${iso(event.at)} disconnected (${event.reason}); reconnecting`
    case "Resynced":
      return `${iso(event.at)} settings read: Multi-Assets Mode ${event.settings.multiAssetsMargin ? "on" : "off"}, ` +
        `${event.settings.dualSidePosition ? "Hedge" : "One-way"} mode, ${event.settings.symbols.length} symbols`
  }
}

const iso = (ms: number): string => new Date(ms).toISOString()

/**
 * What changed from one reading of the settings to the next, as changes dated `at`: how a consumer
 * tells what happened while its stream was disconnected (a `Resynced` compared with what it held).
 * A symbol new in `after` counts as a margin-type change; a leverage absent from either side is not compared.
 */
export const changesBetween = (before: AccountSettings, after: AccountSettings, at: number): Array<SettingChange> => {
  const times = { eventTime: at, transactionTime: at }
  const changes: Array<SettingChange> = []
  if (before.multiAssetsMargin !== after.multiAssetsMargin) changes.push(new MultiAssetsChanged({ multiAssets: after.multiAssetsMargin, ...times }))
  const held = new Map(before.symbols.map((s) => [s.symbol, s]))
  for (const now of after.symbols) {
    const was = held.get(now.symbol)
    if (was?.marginType !== now.marginType) changes.push(new MarginTypeChanged({ symbol: now.symbol, marginType: now.marginType, ...times }))
    if (was?.leverage !== undefined && now.leverage !== undefined && was.leverage !== now.leverage) {
      changes.push(new LeverageChanged({ symbol: now.symbol, leverage: now.leverage, ...times }))
    }
  }
  return changes
}

// --- Binance's wire shapes -------------------------------------------------------------------

const WireTimes = { E: Schema.Number, T: Schema.Number }

const WireMultiAssets = Schema.Struct({
  e: Schema.Literal("ACCOUNT_CONFIG_UPDATE"),
  ...WireTimes,
  ai: Schema.Struct({ j: Schema.Boolean })
})

const WireLeverage = Schema.Struct({
  e: Schema.Literal("ACCOUNT_CONFIG_UPDATE"),
  ...WireTimes,
  ac: Schema.Struct({ s: SymbolId, l: Schema.Int })
})

const WireAccountUpdate = Schema.Struct({
  e: Schema.Literal("ACCOUNT_UPDATE"),
  ...WireTimes,
  a: Schema.Struct({
    m: Schema.String,
    P: Schema.optionalWith(Schema.Array(Schema.Struct({ s: SymbolId, mt: Schema.optional(MarginTypeFromBinance) })), { default: () => [] })
  })
})

// Binance's own example of this event has `E` as a string.
const WireKeyExpired = Schema.Struct({ e: Schema.Literal("listenKeyExpired"), E: Schema.Union(Schema.Number, Schema.NumberFromString) })

const Wire = Schema.Union(WireMultiAssets, WireLeverage, WireAccountUpdate, WireKeyExpired)
const decodeWire = Schema.decodeUnknownOption(Schema.parseJson(Wire))

/** What one message of the stream says: setting changes, the key's expiry, or nothing of interest. */
export type Message =
  | { readonly _tag: "Changes"; readonly changes: ReadonlyArray<SettingChange> }
  | { readonly _tag: "ListenKeyExpired"; readonly eventTime: number }

const NOTHING: Message = { _tag: "Changes", changes: [] }

/**
 * Decodes one text message of the stream. Unknown events, other `ACCOUNT_UPDATE` reasons and
 * malformed messages say nothing (never a failure: the stream carries many events this tool ignores).
 */
export const decodeMessage = (text: string): Message => {
  const wire = decodeWire(text)
  if (Option.isNone(wire)) return NOTHING
  const w = wire.value
  if (w.e === "listenKeyExpired") return { _tag: "ListenKeyExpired", eventTime: w.E }
  const times = { eventTime: w.E, transactionTime: w.T }
  if ("ai" in w) return { _tag: "Changes", changes: [new MultiAssetsChanged({ multiAssets: w.ai.j, ...times })] }
  if ("ac" in w) return { _tag: "Changes", changes: [new LeverageChanged({ symbol: w.ac.s, leverage: w.ac.l, ...times })] }
  if (w.a.m !== "MARGIN_TYPE_CHANGE") return NOTHING
  // The symbol's BOTH entry and its LONG/SHORT entries carry the same margin type: one change per symbol.
  const bySymbol = new Map<string, MarginTypeChanged>()
  for (const p of w.a.P) {
    if (p.mt !== undefined && !bySymbol.has(p.s)) {
      bySymbol.set(p.s, new MarginTypeChanged({ symbol: p.s, marginType: p.mt, ...times }))
    }
  }
  return { _tag: "Changes", changes: [...bySymbol.values()] }
}
