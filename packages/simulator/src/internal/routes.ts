/**
 * The exchange's routes, derived from core's endpoint catalog (method, path, security, weight,
 * parameters) plus the handlers that answer them. Parameter validators are built once from the
 * catalog's schemas; the hot path only calls them.
 * @internal
 */
import * as Catalog from "@marginctl/core/Catalog"
import * as Endpoint from "@marginctl/core/Endpoint"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Account from "../Account.js"
import * as Rules from "../Rules.js"
import { exchangeInfoBody, type State } from "./state.js"
import * as MarketViews from "./marketViews.js"
import * as RiskViews from "./riskViews.js"
import * as StreamEvents from "./streamEvents.js"
import * as Views from "./views.js"

/** @internal An answer before headers are added. */
export interface Reply {
  readonly status: number
  readonly body: string
}

/** @internal */
export interface Ctx {
  readonly state: State
  readonly account: Account.Account | undefined
  readonly params: ReadonlyMap<string, { readonly value: string }>
  readonly now: number
  readonly label: string
}

/** @internal A business rejection: a Binance code answered with HTTP 400, its message filled with `fill`. */
export interface Rejection {
  readonly code: number
  readonly fill?: ReadonlyArray<string | number>
}

/** @internal */
export interface Field {
  readonly name: string
  readonly required: boolean
  readonly isSymbol: boolean
  readonly valid: (value: string) => boolean
}

/** @internal */
export interface Route {
  readonly method: string
  readonly path: string
  readonly label: string
  readonly security: Endpoint.Security
  readonly signed: boolean
  readonly needsKey: boolean
  readonly weight: (hasSymbol: boolean) => number
  readonly fields: ReadonlyArray<Field>
  readonly known: ReadonlySet<string>
  /** Whether a symbol exists for this route (futures symbols, or asset-index pairs). */
  readonly symbolExists: (state: State, symbol: string) => boolean
  readonly run: (ctx: Ctx) => Reply | Rejection
}

const ok = (body: unknown): Reply => ({ status: 200, body: JSON.stringify(body) })

/**
 * An accepted change of the caller's account: applied, dated, logged as the API's, and announced on the
 * account's user-data stream (which sends the events of what changed: none for position mode).
 */
const accepted = (
  ctx: Ctx,
  change: { readonly params: Record<string, unknown>; readonly before: unknown; readonly after: unknown },
  apply: (account: Account.Account) => void
): void => {
  const account = ctx.account!
  const before = StreamEvents.snapshot(account)
  apply(account)
  account.updateTime = ctx.now
  ctx.state.log.record({ time: ctx.now, source: "api", account: account.name, endpoint: ctx.label, ...change })
  StreamEvents.announce(ctx.state, account, before)
}
const SUCCESS: Reply = { status: 200, body: "{\"code\":200,\"msg\":\"success\"}" }

const symbolParam = (ctx: Ctx): string | undefined => ctx.params.get("symbol")?.value

const futuresSymbol = (state: State, symbol: string) => state.market.symbol(symbol) !== undefined
const assetPair = (state: State, symbol: string) =>
  symbol.endsWith("USD") && state.market.asset(symbol.slice(0, -3)) !== undefined

const handlers: Record<string, (ctx: Ctx) => Reply | Rejection> = {
  ping: () => ({ status: 200, body: "{}" }),
  time: (ctx) => ({ status: 200, body: `{"serverTime":${ctx.now}}` }),
  exchangeInfo: (ctx) => ({ status: 200, body: exchangeInfoBody(ctx.state, ctx.now) }),
  getMultiAssetsMargin: (ctx) => ({ status: 200, body: `{"multiAssetsMargin":${ctx.account!.multiAssetsMargin}}` }),
  getPositionSideDual: (ctx) => ({ status: 200, body: `{"dualSidePosition":${ctx.account!.dualSidePosition}}` }),
  accountConfig: (ctx) => ok(Views.accountConfig(ctx.account!)),
  symbolConfig: (ctx) => {
    const symbol = symbolParam(ctx)
    const symbols = symbol === undefined ? ctx.state.market.symbols.map((s) => s.symbol) : [symbol]
    return ok(symbols.map((s) => Views.symbolConfigEntry(ctx.account!, s, ctx.state.config)))
  },
  openOrders: (ctx) => {
    const symbol = symbolParam(ctx)
    return ok(
      ctx.account!.orders.filter((o) => symbol === undefined || o.symbol === symbol).map((o) =>
        Views.order(o, ctx.state.market)
      )
    )
  },
  openAlgoOrders: (ctx) => {
    const symbol = symbolParam(ctx)
    return ok(
      ctx.account!.algoOrders.filter((o) => symbol === undefined || o.symbol === symbol).map((o) =>
        Views.algoOrder(o, ctx.state.market)
      )
    )
  },
  positionRisk: (ctx) => ok(RiskViews.positionRisk(ctx.account!, ctx.state.market, ctx.state.config, symbolParam(ctx))),
  account: (ctx) => ok(RiskViews.accountV3(ctx.account!, ctx.state.market, ctx.state.config, ctx.now)),
  assetIndex: (ctx) => {
    const symbol = symbolParam(ctx)
    if (symbol !== undefined) {
      return ok(MarketViews.assetIndexEntry(ctx.state.market.asset(symbol.slice(0, -3))!, ctx.now))
    }
    return ok(ctx.state.market.assets.map((a) => MarketViews.assetIndexEntry(a, ctx.now)))
  },
  setMultiAssetsMargin: (ctx) => {
    const account = ctx.account!
    const target = ctx.params.get("multiAssetsMargin")!.value === "true"
    const code = Rules.multiAssets(account, target, ctx.state.market, ctx.state.config)
    if (code !== undefined) return { code }
    accepted(ctx, { params: { multiAssetsMargin: target }, before: { multiAssetsMargin: !target }, after: { multiAssetsMargin: target } }, (a) => {
      a.multiAssetsMargin = target
    })
    return SUCCESS
  },
  setMarginType: (ctx) => {
    const account = ctx.account!
    const symbol = ctx.params.get("symbol")!.value
    const target = ctx.params.get("marginType")!.value as Account.MarginType
    const code = Rules.marginType(account, symbol, target, ctx.state.config)
    if (code !== undefined) return { code }
    const before = Account.marginTypeOf(account, symbol)
    const change = { symbol, marginType: target }
    accepted(ctx, { params: change, before: { symbol, marginType: before }, after: change }, (a) =>
      Account.setSymbol(a, symbol, ctx.state.config.defaultLeverage, { marginType: target }))
    return SUCCESS
  },
  setLeverage: (ctx) => {
    const account = ctx.account!
    const symbol = ctx.params.get("symbol")!.value
    const leverage = Number(ctx.params.get("leverage")!.value)
    const code = Rules.leverage(account, ctx.state.market.symbol(symbol)!, leverage, ctx.state.config)
    if (code !== undefined) return code === -4028 ? { code, fill: [leverage] } : { code }
    const before = Account.symbolSetting(account, symbol, ctx.state.config.defaultLeverage).leverage
    if (leverage !== before) {
      accepted(ctx, { params: { symbol, leverage }, before: { symbol, leverage: before }, after: { symbol, leverage } }, (a) =>
        Account.setSymbol(a, symbol, ctx.state.config.defaultLeverage, { leverage }))
    }
    return ok({ symbol, leverage, maxNotionalValue: Views.symbolConfigEntry(account, symbol, ctx.state.config).maxNotionalValue })
  },
  setPositionMode: (ctx) => {
    const account = ctx.account!
    const target = ctx.params.get("dualSidePosition")!.value === "true"
    const code = Rules.positionMode(account, target)
    if (code !== undefined) return { code }
    // Binance sends no user-data event for a position-mode change (`announce` sends none).
    accepted(ctx, { params: { dualSidePosition: target }, before: { dualSidePosition: !target }, after: { dualSidePosition: target } }, (a) => {
      a.dualSidePosition = target
    })
    return SUCCESS
  },
  leverageBrackets: (ctx) => {
    const symbol = symbolParam(ctx)
    if (symbol !== undefined) return ok(MarketViews.leverageBrackets(ctx.state.market.symbol(symbol)!))
    return ok(ctx.state.market.symbols.map(MarketViews.leverageBrackets))
  },
  createListenKey: (ctx) => ok({ listenKey: ctx.state.stream.create(ctx.account!.name, ctx.now) }),
  keepAliveListenKey: (ctx) => {
    const listenKey = ctx.state.stream.keepAlive(ctx.account!.name, ctx.now)
    return listenKey === undefined ? { code: -1125 } : ok({ listenKey })
  },
  closeListenKey: (ctx) => (ctx.state.stream.close(ctx.account!.name, ctx.now) ? ok({}) : { code: -1125 })
}

const fieldOf = (name: string, field: Schema.Struct.Field, required: boolean): Field => {
  const one = Schema.Struct({ [name]: field }) as unknown as Schema.Schema<unknown, Record<string, string>>
  const decode = Schema.decodeUnknownEither(one)
  return {
    name,
    required,
    isSymbol: name === "symbol",
    valid: (value) => Either.isRight(decode({ [name]: value }))
  }
}

const routeOf = (e: Catalog.AnyEndpoint | typeof ping): Route => {
  const spec = Endpoint.paramSpec(e as Endpoint.Endpoint)
  const fields = spec.map((p) => fieldOf(p.name, (e.params.fields as Schema.Struct.Fields)[p.name]!, p.required))
  const signed = Endpoint.isSigned(e)
  const weightOf = e.weight as (p: { readonly symbol?: string }) => number
  const withSymbol = weightOf({ symbol: "X" })
  const withoutSymbol = weightOf({})
  return {
    method: e.method,
    path: e.path,
    label: Endpoint.label(e),
    security: e.security,
    signed,
    needsKey: Endpoint.needsApiKey(e),
    weight: (hasSymbol) => (hasSymbol ? withSymbol : withoutSymbol),
    fields,
    known: new Set([...spec.map((p) => p.name), ...(signed ? ["timestamp", "recvWindow", "signature"] : [])]),
    symbolExists: e.id === "assetIndex" ? assetPair : futuresSymbol,
    run: handlers[e.id]!
  }
}

const ping = Endpoint.make({
  id: "ping",
  method: "GET",
  path: "/fapi/v1/ping",
  security: "NONE",
  weight: () => 1,
  params: Schema.Struct({}),
  response: Schema.Struct({}),
  description: "Connectivity check"
})

/** @internal Routes by path, then by method. */
export const ROUTES: ReadonlyMap<string, ReadonlyMap<string, Route>> = (() => {
  const byPath = new Map<string, Map<string, Route>>()
  for (const e of [...Catalog.all, ping]) {
    const route = routeOf(e)
    let methods = byPath.get(route.path)
    if (methods === undefined) byPath.set(route.path, methods = new Map())
    methods.set(route.method, route)
  }
  return byPath
})()
