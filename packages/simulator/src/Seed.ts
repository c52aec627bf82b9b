/**
 * The seed file and the control API's JSON inputs: schemas that name every field, and the
 * conversion of a decoded account into live state (key import happens here, once per key).
 * Unknown fields are rejected so that a typo in a seed is reported instead of silently ignored.
 */
import * as Verifier from "@marginctl/core/Verifier"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Account from "./Account.js"
import type * as Market from "./Market.js"

/** A bad input: `field` is a dotted path such as `accounts[0].apiKey`. */
export class InputError extends Data.TaggedError("InputError")<{ readonly field: string; readonly message: string }> {}

/** API keys: 1 to 128 characters of letters, digits, '-', '_' and '.'. Anything else is -2014. */
export const API_KEY_FORMAT = /^[A-Za-z0-9_.-]{1,128}$/
export const ACCOUNT_NAME_FORMAT = /^[A-Za-z0-9_.-]{1,64}$/

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
  defaultLeverage: Schema.optional(Leverage)
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

// ---------------------------------------------------------------------------------------------
// From inputs to state

export interface BuildContext {
  readonly market: Market.Market
  readonly now: number
  readonly defaultLeverage: number
  readonly nextId: () => number
  /** Reads `publicKeyFile`; absent where files cannot be read (the in-process engine). */
  readonly readFile: ((path: string) => Effect.Effect<string, InputError>) | undefined
  /** Makes a synchronous HMAC check for a secret (the server passes one built on node:crypto). */
  readonly hmacVerifier: HmacVerifier | undefined
}

/** Given an HMAC secret, a synchronous check of a hex signature (case-insensitive) over a payload. */
export type HmacVerifier = (secret: string) => (payload: string, signature: string) => boolean

const fail = (field: string, message: string) => Effect.fail(new InputError({ field, message }))

export const importKey = (input: KeyInput, field: string, ctx: BuildContext): Effect.Effect<Account.ApiKey, InputError> =>
  Effect.gen(function*() {
    const given = [input.secret, input.publicKeyPem, input.publicKeyFile].filter((x) => x !== undefined).length
    if (given !== 1) return yield* fail(field, "give exactly one of secret (HMAC), publicKeyPem or publicKeyFile")
    let key: Verifier.VerifyKey
    if (input.secret !== undefined) key = Verifier.hmac(input.secret)
    else if (input.publicKeyPem !== undefined) key = Verifier.publicKey(input.publicKeyPem)
    else {
      if (ctx.readFile === undefined) {
        return yield* fail(`${field}.publicKeyFile`, "files cannot be read here; give publicKeyPem instead")
      }
      key = Verifier.publicKey(yield* ctx.readFile(input.publicKeyFile!))
    }
    const imported = yield* Verifier.importKey(key).pipe(
      Effect.mapError((e) =>
        new InputError({ field: `${field}.${input.secret !== undefined ? "secret" : input.publicKeyPem !== undefined ? "publicKeyPem" : "publicKeyFile"}`, message: e.detail })
      )
    )
    if (imported.keyType === "HMAC" && input.secret === undefined) {
      return yield* fail(field, "a public key must be an RSA or Ed25519 PEM (-----BEGIN PUBLIC KEY-----)")
    }
    return {
      apiKey: input.apiKey,
      permissions: new Set(input.permissions ?? ["USER_DATA", "TRADE"]),
      keyType: imported.keyType,
      verifyKey: imported,
      fastVerify: input.secret !== undefined && ctx.hmacVerifier !== undefined ? ctx.hmacVerifier(input.secret) : undefined
    }
  })

const checkSymbol = (ctx: BuildContext, field: string, symbol: string) =>
  ctx.market.symbol(symbol) === undefined
    ? fail(field, `unknown symbol ${JSON.stringify(symbol)}`)
    : Effect.void

/** Applies settings (validated against the market) to an account. */
export const applySettings = (
  account: Account.Account,
  input: SettingsInput,
  field: string,
  ctx: BuildContext
): Effect.Effect<void, InputError> =>
  Effect.gen(function*() {
    for (const [symbol, type] of Object.entries(input.marginTypes ?? {})) {
      yield* checkSymbol(ctx, `${field}marginTypes.${symbol}`, symbol)
      Account.setSymbol(account, symbol, ctx.defaultLeverage, { marginType: type })
    }
    for (const [symbol, leverage] of Object.entries(input.leverage ?? {})) {
      yield* checkSymbol(ctx, `${field}leverage.${symbol}`, symbol)
      Account.setSymbol(account, symbol, ctx.defaultLeverage, { leverage })
    }
    for (const [symbol, auto] of Object.entries(input.isAutoAddMargin ?? {})) {
      yield* checkSymbol(ctx, `${field}isAutoAddMargin.${symbol}`, symbol)
      Account.setSymbol(account, symbol, ctx.defaultLeverage, { isAutoAddMargin: auto })
    }
    if (input.multiAssetsMargin !== undefined) account.multiAssetsMargin = input.multiAssetsMargin
    if (input.dualSidePosition !== undefined) account.dualSidePosition = input.dualSidePosition
    if (input.creditsLock !== undefined) account.creditsLock = input.creditsLock
    if (input.canTrade !== undefined) account.canTrade = input.canTrade
    if (input.canDeposit !== undefined) account.canDeposit = input.canDeposit
    if (input.canWithdraw !== undefined) account.canWithdraw = input.canWithdraw
    if (input.feeTier !== undefined) account.feeTier = input.feeTier
    account.updateTime = ctx.now
  })

/** Opens, changes or (amount 0) closes a position. */
export const applyPosition = (
  account: Account.Account,
  input: PositionInput,
  field: string,
  ctx: BuildContext
): Effect.Effect<Account.Position | undefined, InputError> =>
  Effect.gen(function*() {
    yield* checkSymbol(ctx, `${field}symbol`, input.symbol)
    if ((input.positionAmt === undefined) === (input.amount === undefined)) {
      return yield* fail(`${field}positionAmt`, "give positionAmt (or its alias amount): a signed decimal, 0 closes")
    }
    const amount = input.positionAmt ?? input.amount ?? 0
    const side = input.positionSide ?? (account.dualSidePosition ? (amount < 0 ? "SHORT" : "LONG") : "BOTH")
    if (account.dualSidePosition === (side === "BOTH")) {
      return yield* fail(
        `${field}positionSide`,
        account.dualSidePosition ? "must be LONG or SHORT in Hedge mode" : "must be BOTH in One-way mode"
      )
    }
    const existing = account.positions.find((p) => p.symbol === input.symbol && p.positionSide === side)
    if (amount === 0) {
      account.positions = account.positions.filter((p) => p !== existing)
      return undefined
    }
    const spec = ctx.market.symbol(input.symbol)!
    const entryPrice = input.entryPrice ?? existing?.entryPrice ?? spec.markPrice
    const position: Account.Position = existing ?? {
      symbol: input.symbol,
      positionSide: side,
      positionAmt: amount,
      entryPrice,
      markPrice: undefined,
      isolatedWallet: 0,
      updateTime: ctx.now
    }
    position.positionAmt = amount
    position.entryPrice = entryPrice
    position.markPrice = input.markPrice ?? position.markPrice
    position.updateTime = ctx.now
    const setting = Account.symbolSetting(account, input.symbol, ctx.defaultLeverage)
    position.isolatedWallet = input.isolatedWallet ??
      (setting.marginType === "ISOLATED" ? Math.abs(amount) * entryPrice / setting.leverage : 0)
    if (existing === undefined) account.positions.push(position)
    return position
  })

export const makeOrder = (
  account: Account.Account,
  input: OrderInput,
  field: string,
  ctx: BuildContext
): Effect.Effect<Account.Order, InputError> =>
  Effect.gen(function*() {
    yield* checkSymbol(ctx, `${field}symbol`, input.symbol)
    const spec = ctx.market.symbol(input.symbol)!
    const orderId = ctx.nextId()
    const order: Account.Order = {
      orderId,
      clientOrderId: input.clientOrderId ?? `sim_${orderId}`,
      symbol: input.symbol,
      side: input.side ?? "BUY",
      positionSide: input.positionSide ?? (account.dualSidePosition ? ((input.side ?? "BUY") === "BUY" ? "LONG" : "SHORT") : "BOTH"),
      type: input.type ?? "LIMIT",
      price: input.price ?? spec.markPrice * ((input.side ?? "BUY") === "BUY" ? 0.9 : 1.1),
      origQty: input.quantity ?? 1,
      stopPrice: input.stopPrice ?? 0,
      reduceOnly: input.reduceOnly ?? false,
      timeInForce: input.timeInForce ?? "GTC",
      time: ctx.now
    }
    return order
  })

export const makeAlgoOrder = (
  account: Account.Account,
  input: AlgoOrderInput,
  field: string,
  ctx: BuildContext
): Effect.Effect<Account.AlgoOrder, InputError> =>
  Effect.gen(function*() {
    yield* checkSymbol(ctx, `${field}symbol`, input.symbol)
    const spec = ctx.market.symbol(input.symbol)!
    const algoId = ctx.nextId()
    const side = input.side ?? "SELL"
    return {
      algoId,
      clientAlgoId: input.clientAlgoId ?? `sim_algo_${algoId}`,
      symbol: input.symbol,
      side,
      positionSide: input.positionSide ?? (account.dualSidePosition ? (side === "BUY" ? "LONG" : "SHORT") : "BOTH"),
      orderType: input.orderType ?? "STOP_MARKET",
      triggerPrice: input.triggerPrice ?? spec.markPrice * (side === "BUY" ? 1.05 : 0.95),
      price: input.price ?? 0,
      quantity: input.quantity ?? 1,
      reduceOnly: input.reduceOnly ?? false,
      timeInForce: input.timeInForce ?? "GTC",
      createTime: ctx.now
    }
  })

/** Builds a whole account from its seed entry (`field` is e.g. `accounts[0].`). */
export const buildAccount = (
  input: AccountInput,
  field: string,
  ctx: BuildContext
): Effect.Effect<Account.Account, InputError> =>
  Effect.gen(function*() {
    const account = Account.empty(input.name, ctx.now)
    const keyInputs: Array<readonly [KeyInput, string]> = []
    if (input.apiKey !== undefined) {
      keyInputs.push([{
        apiKey: input.apiKey,
        ...(input.secret !== undefined ? { secret: input.secret } : {}),
        ...(input.publicKeyPem !== undefined ? { publicKeyPem: input.publicKeyPem } : {}),
        ...(input.publicKeyFile !== undefined ? { publicKeyFile: input.publicKeyFile } : {}),
        ...(input.permissions !== undefined ? { permissions: input.permissions } : {})
      }, field.replace(/\.$/, "")])
    } else if (input.secret !== undefined || input.publicKeyPem !== undefined || input.publicKeyFile !== undefined) {
      return yield* fail(`${field}apiKey`, "is missing (a key secret was given without its apiKey)")
    }
    ;(input.keys ?? []).forEach((k, i) => keyInputs.push([k, `${field}keys[${i}]`]))
    for (const [k, f] of keyInputs) account.keys.push(yield* importKey(k, f, ctx))
    if (input.creditsLock === true && input.multiAssetsMargin === false) {
      return yield* fail(`${field}multiAssetsMargin`, "a credits-locked account (creditsLock) is always in Multi-Assets Mode")
    }
    yield* applySettings(account, input, field, ctx)
    if (input.creditsLock === true && input.multiAssetsMargin === undefined) account.multiAssetsMargin = true
    for (const [asset, amount] of Object.entries(input.balances ?? { USDT: 10000 })) account.balances.set(asset, amount)
    for (const [i, p] of (input.positions ?? []).entries()) yield* applyPosition(account, p, `${field}positions[${i}].`, ctx)
    for (const [i, o] of (input.orders ?? []).entries()) account.orders.push(yield* makeOrder(account, o, `${field}orders[${i}].`, ctx))
    for (const [i, o] of (input.algoOrders ?? []).entries()) {
      account.algoOrders.push(yield* makeAlgoOrder(account, o, `${field}algoOrders[${i}].`, ctx))
    }
    return account
  })
