/**
 * Domain values of Binance USDⓈ-M Futures account settings: symbols, margin types, position mode,
 * leverage, mode flags.
 *
 * Three spellings of the margin type exist: what people type (`isolated`, `cross`, `crossed`, any case),
 * what Binance's older payloads carry (`isolated` / `cross`) and what the write endpoint accepts
 * (`ISOLATED` / `CROSSED`). Everything decodes to the last one.
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/** The two margin types the marginType endpoint accepts. */
export const MarginType = Schema.Literal("ISOLATED", "CROSSED").annotations({
  identifier: "MarginType",
  description: "ISOLATED or CROSSED"
})
export type MarginType = typeof MarginType.Type

export const MARGIN_TYPE_ACCEPTED = "ISOLATED, CROSSED (also isolated, cross, crossed in any case)"

const normaliseMarginType = (raw: string): MarginType | undefined => {
  switch (raw.trim().toLowerCase()) {
    case "isolated":
      return "ISOLATED"
    case "cross":
    case "crossed":
      return "CROSSED"
    default:
      return undefined
  }
}

/** Parses a margin type typed by a person: `isolated`, `cross` or `crossed`, in any case. */
export const MarginTypeFromInput = Schema.transformOrFail(Schema.String, MarginType, {
  strict: true,
  decode: (raw, _, ast) => {
    const type = normaliseMarginType(raw)
    return type === undefined
      ? ParseResult.fail(
        new ParseResult.Type(ast, raw, `margin type must be one of ${MARGIN_TYPE_ACCEPTED}; got ${JSON.stringify(raw)}`)
      )
      : ParseResult.succeed(type)
  },
  encode: (type) => ParseResult.succeed(type)
}).annotations({ identifier: "MarginTypeFromInput" })

/** Parses a margin type as Binance sends it: `ISOLATED`/`CROSSED`, or `isolated`/`cross` in older payloads. */
export const MarginTypeFromBinance = Schema.transform(
  Schema.Literal("ISOLATED", "CROSSED", "isolated", "cross", "crossed"),
  MarginType,
  {
    strict: true,
    decode: (raw) => (raw === "ISOLATED" || raw === "isolated" ? "ISOLATED" as const : "CROSSED" as const),
    encode: (type) => type
  }
).annotations({ identifier: "MarginTypeFromBinance" })

/**
 * A futures symbol: upper-case ASCII letters, digits and `_` (delivery contracts such as
 * `BTCUSDT_250627`), plus the non-ASCII letters and digits of the symbols Binance lists in other
 * scripts. Non-ASCII symbols are percent-encoded as UTF-8 on the wire.
 */
const SYMBOL_PATTERN = /^(?:[A-Z0-9_]|(?![\x00-\x7F])[\p{L}\p{N}])+$/u
export const SYMBOL_MAX_LENGTH = 40
export const SYMBOL_ACCEPTED =
  `1 to ${SYMBOL_MAX_LENGTH} characters: upper-case letters A-Z, digits, '_' or non-ASCII letters and digits (e.g. BTCUSDT)`

export const SymbolId = Schema.String.pipe(
  Schema.filter((s) =>
    (s.length > 0 && [...s].length <= SYMBOL_MAX_LENGTH && SYMBOL_PATTERN.test(s)) ||
    `symbol must be ${SYMBOL_ACCEPTED}; got ${JSON.stringify(s)}`
  ),
  Schema.brand("SymbolId")
).annotations({ identifier: "SymbolId" })
export type SymbolId = typeof SymbolId.Type

/** Parses a symbol typed by a person: trims it and upper-cases ASCII letters (`btcusdt` → `BTCUSDT`). */
export const SymbolFromInput = Schema.transform(
  Schema.String,
  Schema.String,
  {
    strict: true,
    decode: (raw) => raw.trim().replace(/[a-z]+/g, (m) => m.toUpperCase()),
    encode: (s) => s
  }
).pipe(Schema.compose(SymbolId)).annotations({ identifier: "SymbolFromInput" })

export const isSymbolId: (u: unknown) => u is SymbolId = Schema.is(SymbolId)
export const makeSymbol = (s: string): SymbolId => Schema.decodeSync(SymbolId)(s)

/** The wire form of Binance booleans sent as parameters: the strings "true" and "false". */
export const BooleanString = Schema.Literal("true", "false")

/** "true" / "false" on the wire, boolean in code (strict: other spellings are rejected). */
export const BooleanFromWire = Schema.transform(BooleanString, Schema.Boolean, {
  strict: true,
  decode: (s) => s === "true",
  encode: (b) => (b ? "true" as const : "false" as const)
})

/** Initial leverage: a whole number from 1 to 125 (the symbol's bracket may allow less); a decimal string on the wire. */
export const LEVERAGE_ACCEPTED = "a whole number from 1 to 125"
export const Leverage = Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 125)).annotations({
  identifier: "Leverage",
  message: () => `must be ${LEVERAGE_ACCEPTED}`
})

/** A symbol's leverage in a desired state: a whole number from 1 to 125 (the symbol's bracket may allow less). */
const leverageMessage = { message: () => `must be ${LEVERAGE_ACCEPTED}` }
export const LeverageValue = Schema.Number.pipe(Schema.int(leverageMessage), Schema.between(1, 125, leverageMessage)).annotations({
  identifier: "LeverageValue"
})
export type LeverageValue = typeof LeverageValue.Type

/** Position mode: one position per symbol (`one-way`) or a LONG and a SHORT one (`hedge`, Binance's `dualSidePosition`). */
export const PositionMode = Schema.Literal("one-way", "hedge").annotations({
  identifier: "PositionMode",
  description: "one-way or hedge"
})
export type PositionMode = typeof PositionMode.Type

export const POSITION_MODE_ACCEPTED = "one-way, hedge (also oneway, dual in any case)"

/** The position mode of Binance's `dualSidePosition` flag, and back. */
export const positionModeOf = (dualSidePosition: boolean): PositionMode => (dualSidePosition ? "hedge" : "one-way")
export const isDualSide = (mode: PositionMode): boolean => mode === "hedge"

/** Parses a position mode typed by a person: `one-way`, `oneway`, `hedge` or `dual`, in any case. */
export const PositionModeFromInput = Schema.transformOrFail(Schema.String, PositionMode, {
  strict: true,
  decode: (raw, _, ast) => {
    const v = raw.trim().toLowerCase()
    if (v === "one-way" || v === "oneway") return ParseResult.succeed("one-way" as const)
    if (v === "hedge" || v === "dual") return ParseResult.succeed("hedge" as const)
    return ParseResult.fail(
      new ParseResult.Type(ast, raw, `position mode must be one of ${POSITION_MODE_ACCEPTED}; got ${JSON.stringify(raw)}`)
    )
  },
  encode: (mode) => ParseResult.succeed(mode)
}).annotations({ identifier: "PositionModeFromInput" })

/** A boolean typed by a person: on/off, true/false, yes/no, 1/0, any case. */
export const ON_OFF_ACCEPTED = "on, off (also true, false, yes, no, 1, 0)"
export const OnOffFromInput = Schema.transformOrFail(Schema.String, Schema.Boolean, {
  strict: true,
  decode: (raw, _, ast) => {
    const v = raw.trim().toLowerCase()
    if (v === "on" || v === "true" || v === "yes" || v === "1") return ParseResult.succeed(true)
    if (v === "off" || v === "false" || v === "no" || v === "0") return ParseResult.succeed(false)
    return ParseResult.fail(
      new ParseResult.Type(ast, raw, `must be one of ${ON_OFF_ACCEPTED}; got ${JSON.stringify(raw)}`)
    )
  },
  encode: (b) => ParseResult.succeed(b ? "on" : "off")
})

/** Milliseconds since the epoch, as Binance sends them. */
export const Millis = Schema.Number.pipe(Schema.int(), Schema.nonNegative())

/** Binance sends most quantities as decimal strings; some older payloads send numbers. */
export const Decimal = Schema.Union(Schema.NumberFromString, Schema.Number).annotations({ identifier: "Decimal" })

/** Binance environments; `sim` is the local simulator. */
export const Environment = Schema.Literal("prod", "testnet", "demo", "sim")
export type Environment = typeof Environment.Type

export const BASE_URLS: Readonly<Record<Exclude<Environment, "sim">, string>> = {
  prod: "https://fapi.binance.com",
  testnet: "https://testnet.binancefuture.com",
  demo: "https://demo-fapi.binance.com"
}

/** Hosts that count as Binance's futures REST hosts (production, testnet, demo). */
export const BINANCE_FUTURES_HOSTS = ["fapi.binance.com", "testnet.binancefuture.com", "demo-fapi.binance.com"] as const
