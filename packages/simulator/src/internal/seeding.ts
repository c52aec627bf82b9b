/**
 * From decoded seed and control-API inputs to live state: an account with its keys (imported here,
 * once per key), settings, positions and orders, each checked against the market; a whole seed
 * applied, and `/_sim/reset` back to it.
 */
import * as Verifier from "../Verifier.js"
import * as Effect from "effect/Effect"
import * as Account from "../Account.js"
import * as Market from "../Market.js"
import * as Seed from "../Seed.js"
import { type AccountInput, type AlgoOrderInput, InputError, type KeyInput, type OrderInput, type PositionInput, type SettingsInput } from "../Seed.js"
import type { HmacVerifier } from "../Simulator.js"
import * as SimConfig from "../SimConfig.js"
import { indexKeys, serverTime, setMarket, type State } from "./state.js"

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
const buildAccount = (
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

/** @internal What `/_sim/reset` goes back to. */
export interface Initial {
  seed: Seed.SeedInput
}

/** @internal The context for building from inputs, from the live state. */
export const buildContext = (state: State): BuildContext => ({
  market: state.market,
  now: serverTime(state),
  defaultLeverage: state.config.defaultLeverage,
  nextId: () => state.nextId++,
  readFile: state.readFile,
  hmacVerifier: state.hmacVerifier
})

/** @internal Builds all accounts of a seed; fails without touching the state. */
export const buildAccounts = (
  state: State,
  accounts: ReadonlyArray<Seed.AccountInput>,
  market: Market.Market
): Effect.Effect<Array<Account.Account>, Seed.InputError> =>
  Effect.gen(function*() {
    const ctx = { ...buildContext(state), market }
    const names = new Set<string>()
    const keys = new Set<string>()
    const built: Array<Account.Account> = []
    for (const [i, input] of accounts.entries()) {
      if (names.has(input.name)) return yield* new Seed.InputError({ field: `accounts[${i}].name`, message: `duplicate account name ${input.name}` })
      names.add(input.name)
      const account = yield* buildAccount(input, `accounts[${i}].`, ctx)
      for (const k of account.keys) {
        if (keys.has(k.apiKey)) return yield* new Seed.InputError({ field: `accounts[${i}]`, message: `apiKey ${k.apiKey} is used twice` })
        keys.add(k.apiKey)
      }
      built.push(account)
    }
    return built
  })

/** @internal Applies a whole seed: config, market, accounts (replacing all). */
export const applySeed = (state: State, seed: Seed.SeedInput): Effect.Effect<void, Seed.InputError> =>
  Effect.gen(function*() {
    const market = seed.symbols === undefined
      ? state.market
      : Market.make(seed.symbols.map((s) => Market.symbolFrom(s)), state.market.assets)
    const accounts = yield* buildAccounts(state, seed.accounts ?? [], market)
    SimConfig.apply(state.config, seed.config)
    setMarket(state, market)
    state.accounts.clear()
    for (const a of accounts) state.accounts.set(a.name, a)
    indexKeys(state)
  })

/** @internal Back to the initial seed; weights, faults, log and counters cleared. */
export const reset = (state: State, initial: Initial): Effect.Effect<void, Seed.InputError> =>
  Effect.gen(function*() {
    const fresh = SimConfig.defaults()
    for (const key of Object.keys(fresh) as Array<keyof SimConfig.SimConfig>) {
      ;(state.config as unknown as Record<string, unknown>)[key] = fresh[key]
    }
    setMarket(state, Market.make())
    yield* applySeed(state, initial.seed)
    state.weights.reset()
    state.faults.clear()
    state.stream.clear()
    state.log.clear()
    state.requests.clear()
  })
