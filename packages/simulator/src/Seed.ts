/**
 * The seed file and the control API's JSON inputs: schemas that name every field (their conversion
 * into live state is `internal/seeding`). Unknown fields are rejected so that a typo in a seed is
 * reported instead of silently ignored.
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/** A bad input: `field` is a dotted path such as `accounts[0].apiKey`. */
export class InputError extends Data.TaggedError("InputError")<{ readonly field: string; readonly message: string }> {}

/** API keys: 1 to 128 characters of letters, digits, '-', '_' and '.'. Anything else is -2014. */
export const API_KEY_FORMAT = /^[A-Za-z0-9_.-]{1,128}$/
const ACCOUNT_NAME_FORMAT = /^[A-Za-z0-9_.-]{1,64}$/

const Decimal = Schema.transformOrFail(Schema.Union(Schema.Number, Schema.String), Schema.Number, {
  strict: true,
  decode: (raw, _, ast) => {
    const n = typeof raw === "number" ? raw : /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN
    return Number.isFinite(n)
      ? ParseResult.succeed(n)
      : ParseResult.fail(new ParseResult.Type(ast, raw, `must be a decimal number (e.g. 12.5 or "12.5"); got ${JSON.stringify(raw)}`))
  },
  encode: (n) => ParseResult.succeed(n)
})

const withMessage = <S extends Schema.Schema.Any>(schema: S, message: string) =>
  schema.annotations({ message: () => message }) as S

/** A literal union whose error lists the accepted values. */
export const oneOf = <const L extends ReadonlyArray<string>>(...values: L) =>
  Schema.String.pipe(
    Schema.filter((v): v is L[number] => values.includes(v), {
      message: (issue) => `must be one of ${values.join(", ")}; got ${JSON.stringify(issue.actual)}`
    })
  )

const ApiKeyString = withMessage(Schema.String.pipe(Schema.pattern(API_KEY_FORMAT)), "must be 1-128 characters of A-Z a-z 0-9 - _ .")
const AccountName = withMessage(Schema.String.pipe(Schema.pattern(ACCOUNT_NAME_FORMAT)), "must be 1-64 characters of A-Z a-z 0-9 - _ .")
const AssetName = withMessage(Schema.String.pipe(Schema.pattern(/^[A-Z0-9]{1,20}$/)), "must be an asset name such as USDT (A-Z, 0-9)")
const SymbolName = withMessage(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(40)), "must be a symbol such as BTCUSDT")
const Permission = oneOf("USER_DATA", "TRADE")
const MarginType = oneOf("ISOLATED", "CROSSED")
const PositionSide = oneOf("BOTH", "LONG", "SHORT")
const Side = oneOf("BUY", "SELL")
const TimeInForce = oneOf("GTC", "IOC", "FOK", "GTX", "GTD")
const Leverage = withMessage(Schema.Number.pipe(Schema.int(), Schema.between(1, 125)), "must be a whole number from 1 to 125")
const NonNegInt = Schema.Number.pipe(Schema.int(), Schema.nonNegative())
const Millis = withMessage(Schema.Number.pipe(Schema.int(), Schema.between(1, 2_147_483_647)), "must be a whole number of milliseconds from 1 to 2147483647")

export const KeyInput = Schema.Struct({
  apiKey: ApiKeyString,
  /** HMAC secret. */
  secret: Schema.optional(Schema.NonEmptyString),
  /** PEM public key (SPKI) of an RSA or Ed25519 key pair. */
  publicKeyPem: Schema.optional(Schema.NonEmptyString),
  /** Path of a PEM public key file (resolved by the server, relative to the seed file). */
  publicKeyFile: Schema.optional(Schema.NonEmptyString),
  permissions: Schema.optional(Schema.Array(Permission))
})
export type KeyInput = typeof KeyInput.Type

export const PositionInput = Schema.Struct({
  symbol: SymbolName,
  positionSide: Schema.optional(PositionSide),
  /** Signed amount; 0 closes the position. `amount` is accepted as an alias. */
  positionAmt: Schema.optional(Decimal),
  amount: Schema.optional(Decimal),
  entryPrice: Schema.optional(Decimal),
  markPrice: Schema.optional(Decimal),
  isolatedWallet: Schema.optional(Decimal)
})
export type PositionInput = typeof PositionInput.Type

export const OrderInput = Schema.Struct({
  symbol: SymbolName,
  side: Schema.optional(Side),
  type: Schema.optional(oneOf("LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")),
  positionSide: Schema.optional(PositionSide),
  price: Schema.optional(Decimal),
  quantity: Schema.optional(Decimal),
  stopPrice: Schema.optional(Decimal),
  reduceOnly: Schema.optional(Schema.Boolean),
  timeInForce: Schema.optional(TimeInForce),
  clientOrderId: Schema.optional(Schema.String.pipe(Schema.maxLength(36)))
})
export type OrderInput = typeof OrderInput.Type

export const AlgoOrderInput = Schema.Struct({
  symbol: SymbolName,
  side: Schema.optional(Side),
  orderType: Schema.optional(oneOf("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")),
  positionSide: Schema.optional(PositionSide),
  triggerPrice: Schema.optional(Decimal),
  price: Schema.optional(Decimal),
  quantity: Schema.optional(Decimal),
  reduceOnly: Schema.optional(Schema.Boolean),
  timeInForce: Schema.optional(TimeInForce),
  clientAlgoId: Schema.optional(Schema.String.pipe(Schema.maxLength(36)))
})
export type AlgoOrderInput = typeof AlgoOrderInput.Type

const SymbolRecord = <S extends Schema.Schema.Any>(value: S) => Schema.Record({ key: SymbolName, value })

export const SettingsInput = Schema.Struct({
  multiAssetsMargin: Schema.optional(Schema.Boolean),
  dualSidePosition: Schema.optional(Schema.Boolean),
  creditsLock: Schema.optional(Schema.Boolean),
  canTrade: Schema.optional(Schema.Boolean),
  canDeposit: Schema.optional(Schema.Boolean),
  canWithdraw: Schema.optional(Schema.Boolean),
  feeTier: Schema.optional(NonNegInt),
  marginTypes: Schema.optional(SymbolRecord(MarginType)),
  leverage: Schema.optional(SymbolRecord(Leverage)),
  isAutoAddMargin: Schema.optional(SymbolRecord(Schema.Boolean))
})
export type SettingsInput = typeof SettingsInput.Type

export const BalancesInput = Schema.Record({ key: AssetName, value: Decimal })
export type BalancesInput = typeof BalancesInput.Type

export const AccountInput = Schema.Struct({
  name: AccountName,
  apiKey: Schema.optional(ApiKeyString),
  secret: Schema.optional(Schema.NonEmptyString),
  publicKeyPem: Schema.optional(Schema.NonEmptyString),
  publicKeyFile: Schema.optional(Schema.NonEmptyString),
  permissions: Schema.optional(Schema.Array(Permission)),
  /** More keys of the same account (e.g. a read-only one). */
  keys: Schema.optional(Schema.Array(KeyInput)),
  ...SettingsInput.fields,
  balances: Schema.optional(BalancesInput),
  positions: Schema.optional(Schema.Array(PositionInput)),
  orders: Schema.optional(Schema.Array(OrderInput)),
  algoOrders: Schema.optional(Schema.Array(AlgoOrderInput))
})
export type AccountInput = typeof AccountInput.Type

export const ConfigInput = Schema.Struct({
  /** REQUEST_WEIGHT per minute per IP (also what exchangeInfo reports). Default 2400. */
  weightLimit: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.positive())),
  /** Requests a client may still send after a 429 in the same minute before it is banned (418). Default 10. */
  banAfter: Schema.optional(NonNegInt),
  /** First ban length in ms (doubles on each ban, up to 3 days). Default 120000. */
  banBaseMs: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.positive())),
  /** Largest recvWindow accepted (-1130 above it); null for no cap. Default 60000. */
  recvWindowCap: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.int(), Schema.positive()))),
  /** Answer -1103 for parameters an endpoint does not know. Default false (ignored). */
  rejectUnknownParams: Schema.optional(Schema.Boolean),
  /** Only ISOLATED symbols with a position block enabling Multi-Assets (-4167). Default false. */
  isolatedBlocksOnlyWithPosition: Schema.optional(Schema.Boolean),
  /** Open positions block a Multi-Assets switch (-4169). Default false. */
  positionsBlockMultiAssets: Schema.optional(Schema.Boolean),
  /** A no-op margin-type change on a symbol without position answers -4067 (observed quirk). Default false. */
  quirk4067: Schema.optional(Schema.Boolean),
  /** Leverage of symbols that were never changed. Default 20. */
  defaultLeverage: Schema.optional(Leverage),
  /** A listenKey's life after its creation or last keep-alive, in ms. Default 3600000 (60 min). */
  listenKeyTtlMs: Schema.optional(Millis),
  /** A user-data stream connection's longest life, in ms. Default 86400000 (24 h). */
  streamMaxConnectionMs: Schema.optional(Millis),
  /** Interval of the server's WebSocket pings, in ms. Default 180000 (3 min). */
  streamPingIntervalMs: Schema.optional(Millis),
  /** A connection that leaves a ping unanswered this long (ms) is closed. Default 600000 (10 min). */
  streamPongTimeoutMs: Schema.optional(Millis),
  /** A margin-type change of a symbol without position sends ACCOUNT_UPDATE too. Default true. */
  marginTypeEventWhenFlat: Schema.optional(Schema.Boolean)
})
export type ConfigInput = typeof ConfigInput.Type

export const SymbolInput = Schema.Struct({
  symbol: withMessage(
    Schema.String.pipe(Schema.pattern(/^(?:[A-Z0-9_]|(?![\x00-\x7F])[\p{L}\p{N}]){1,40}$/u)),
    "must be a symbol: A-Z, 0-9, '_' or non-ASCII letters, at most 40"
  ),
  baseAsset: Schema.optional(Schema.String),
  quoteAsset: Schema.optional(Schema.String),
  marginAsset: Schema.optional(Schema.String),
  contractType: Schema.optional(oneOf("PERPETUAL", "CURRENT_QUARTER", "NEXT_QUARTER", "CURRENT_MONTH", "NEXT_MONTH")),
  markPrice: Schema.optional(Decimal),
  pricePrecision: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.between(0, 12))),
  quantityPrecision: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.between(0, 12))),
  maxLeverage: Schema.optional(Leverage),
  status: Schema.optional(Schema.String)
})
export type SymbolInput = typeof SymbolInput.Type

export const SeedInput = Schema.Struct({
  config: Schema.optional(ConfigInput),
  /** Replaces the default symbol list. */
  symbols: Schema.optional(Schema.Array(SymbolInput)),
  accounts: Schema.optional(Schema.Array(AccountInput))
})
export type SeedInput = typeof SeedInput.Type

const pathText = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc === "" ? String(p) : `${acc}.${String(p)}`),
    ""
  )

const kindOf = (u: unknown): string =>
  u === null ? "null" : Array.isArray(u) ? "an array" : typeof u === "object" ? "an object" : `${typeof u} ${JSON.stringify(u)}`

/** Short messages: "is not a known field", "must be a JSON object; got an array", or the schema's own. */
const readable = (issue: ParseResult.ArrayFormatterIssue | undefined): string => {
  if (issue === undefined) return "is invalid"
  if (issue._tag === "Unexpected") return "is not a known field"
  if (issue._tag === "Missing") return "is missing"
  const m = /^Expected (.*), actual ([\s\S]*)$/.exec(issue.message)
  if (m !== null && (m[1]!.length > 80 || m[1]!.startsWith("{") || m[1]!.startsWith("ReadonlyArray<"))) {
    const expected = m[1]!.startsWith("ReadonlyArray<") ? "a JSON array" : m[1]!.startsWith("{") ? "a JSON object" : "a valid value"
    let actual: unknown = m[2]
    try {
      actual = JSON.parse(m[2]!)
    } catch {
      // keep the text
    }
    return `must be ${expected}; got ${kindOf(actual)}`
  }
  return issue.message.length > 300 ? `${issue.message.slice(0, 300)}…` : issue.message
}

/** Decodes a JSON input; the error names the first offending field (prefixed with `prefix`). */
export const decode = <A, I>(schema: Schema.Schema<A, I>, input: unknown, prefix = ""): Either.Either<A, InputError> =>
  Either.mapLeft(
    Schema.decodeUnknownEither(schema, { onExcessProperty: "error", errors: "first" })(input),
    (error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      const path = pathText(issue?.path ?? [])
      const field = prefix === "" ? path || "(body)" : path === "" ? prefix : `${prefix}.${path}`
      return new InputError({ field, message: readable(issue) })
    }
  )
