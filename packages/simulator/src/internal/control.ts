/**
 * The control API under `/_sim` (Bearer admin token): seed and read accounts, add and cancel
 * orders, open and close positions, set balances and settings, faults, reset, the change log,
 * weight usage and request counts, the user-data stream and its faults. A settings change sends the
 * user-data events Binance sends for a change made in its app. JSON in and out; a bad input is a 400 naming the field.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Account from "../Account.js"
import type { SimRequest, SimResponse } from "../Simulator.js"
import * as Faults from "../Faults.js"
import * as SimConfig from "../SimConfig.js"
import * as Seed from "../Seed.js"
import * as Seeding from "./seeding.js"
import { indexKeys, serverTime, type State } from "./state.js"
import * as RiskViews from "./riskViews.js"
import * as Views from "./views.js"
import { bad, decodeBody, fromInputError, json, notFound, parseBody, type Route, run } from "./controlReplies.js"
import * as StreamControl from "./streamControl.js"
import * as StreamEvents from "./streamEvents.js"

/** The control view of an account (no secrets: only key ids, types and permissions). */
const accountView = (state: State, a: Account.Account) => ({
  name: a.name,
  keys: a.keys.map((k) => ({ apiKey: k.apiKey, keyType: k.keyType, permissions: [...k.permissions] })),
  multiAssetsMargin: a.multiAssetsMargin,
  dualSidePosition: a.dualSidePosition,
  creditsLock: a.creditsLock,
  canTrade: a.canTrade,
  canDeposit: a.canDeposit,
  canWithdraw: a.canWithdraw,
  feeTier: a.feeTier,
  symbols: Object.fromEntries(a.symbols),
  balances: Object.fromEntries([...a.balances].map(([k, v]) => [k, Views.dec(v)])),
  positions: RiskViews.positionRisk(a, state.market, state.config, undefined).filter((p) => Number(p.positionAmt) !== 0),
  orders: a.orders.map((o) => Views.order(o, state.market)),
  algoOrders: a.algoOrders.map((o) => Views.algoOrder(o, state.market)),
  updateTime: a.updateTime
})


/** Control API orders: `kind` ("regular", default, or "algo") picks the schema of the rest. */
const splitKind = (body: unknown): Either.Either<{ readonly kind: "regular" | "algo"; readonly rest: unknown }, SimResponse> => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return Either.left(bad("(body)", "must be a JSON object"))
  const { kind, ...rest } = body as Record<string, unknown>
  if (kind !== undefined && kind !== "regular" && kind !== "algo") return Either.left(bad("kind", "must be \"regular\" or \"algo\""))
  return Either.right({ kind: kind === "algo" ? "algo" : "regular", rest })
}

const logControl = (state: State, account: string, endpoint: string, params: unknown, before: unknown, after: unknown) =>
  state.log.record({
    time: serverTime(state),
    source: "control",
    account,
    endpoint,
    params: (params ?? {}) as Record<string, unknown>,
    before,
    after
  })

const query = (req: SimRequest): URLSearchParams => new URLSearchParams(req.query)


const withAccount = (
  state: State,
  name: string,
  f: (a: Account.Account) => Effect.Effect<SimResponse>
): Effect.Effect<SimResponse> => {
  const a = state.accounts.get(name)
  return a === undefined ? Effect.succeed(notFound(`no account named ${JSON.stringify(name)}`)) : f(a)
}


const PutAccountsInput = Schema.Union(Seed.SeedInput, Schema.Array(Seed.AccountInput))

const routes: ReadonlyArray<Route> = [
  ["GET", "accounts", (state) => Effect.succeed(json(200, [...state.accounts.values()].map((a) => accountView(state, a))))],
  ["PUT", "accounts", (state, req) =>
    run(decodeBody(req, PutAccountsInput), (input) =>
      Effect.gen(function*() {
        const seed: Seed.SeedInput = Array.isArray(input) ? { accounts: input } : (input as Seed.SeedInput)
        const before = [...state.accounts.keys()]
        yield* Seeding.applySeed(state, { ...seed, accounts: seed.accounts ?? [] })
        logControl(state, "*", "PUT /_sim/accounts", { accounts: [...state.accounts.keys()] }, { accounts: before }, {
          accounts: [...state.accounts.keys()]
        })
        return json(200, [...state.accounts.values()].map((a) => accountView(state, a)))
      }))],
  ["POST", "accounts", (state, req) =>
    run(decodeBody(req, Seed.AccountInput), (input) =>
      Effect.gen(function*() {
        if (state.accounts.has(input.name)) return bad("name", `account ${input.name} already exists`)
        const [account] = yield* Seeding.buildAccounts(state, [input], state.market)
        for (const k of account!.keys) {
          if (state.keys.has(k.apiKey)) return bad("apiKey", `apiKey ${k.apiKey} is already used`)
        }
        state.accounts.set(input.name, account!)
        indexKeys(state)
        logControl(state, input.name, "POST /_sim/accounts", { name: input.name }, null, { name: input.name })
        return json(201, accountView(state, account!))
      }))],
  ["GET", "accounts/:name", (state, _req, _i, [name]) =>
    withAccount(state, name!, (a) => Effect.succeed(json(200, accountView(state, a))))],
  ["DELETE", "accounts/:name", (state, _req, _i, [name]) =>
    withAccount(state, name!, (a) => {
      state.accounts.delete(a.name)
      state.stream.close(a.name, serverTime(state))
      indexKeys(state)
      logControl(state, a.name, "DELETE /_sim/accounts/:name", {}, { name: a.name }, null)
      return Effect.succeed(json(200, { deleted: a.name }))
    })],
  ["POST", "accounts/:name/orders", (state, req, _i, [name]) =>
    withAccount(state, name!, (a) =>
      run(Either.flatMap(parseBody(req), splitKind), ({ kind, rest }) =>
        Effect.gen(function*() {
          const ctx = Seeding.buildContext(state)
          if (kind === "algo") {
            const input = yield* Seed.decode(Seed.AlgoOrderInput, rest)
            const order = yield* Seeding.makeAlgoOrder(a, input, "", ctx)
            a.algoOrders.push(order)
            logControl(state, a.name, "POST /_sim/accounts/:name/orders", { kind, ...input }, null, { algoId: order.algoId, symbol: order.symbol })
            return json(201, { kind: "algo", ...Views.algoOrder(order, state.market) })
          }
          const input = yield* Seed.decode(Seed.OrderInput, rest)
          const order = yield* Seeding.makeOrder(a, input, "", ctx)
          a.orders.push(order)
          logControl(state, a.name, "POST /_sim/accounts/:name/orders", { kind, ...input }, null, { orderId: order.orderId, symbol: order.symbol })
          return json(201, { kind: "regular", ...Views.order(order, state.market) })
        })))],
  ["DELETE", "accounts/:name/orders/:id", (state, _req, _i, [name, id]) =>
    withAccount(state, name!, (a) => {
      const n = Number(id)
      const order = a.orders.find((o) => o.orderId === n)
      const algo = a.algoOrders.find((o) => o.algoId === n)
      if (order === undefined && algo === undefined) return Effect.succeed(notFound(`no open order ${id} in ${a.name}`))
      a.orders = a.orders.filter((o) => o !== order)
      a.algoOrders = a.algoOrders.filter((o) => o !== algo)
      logControl(state, a.name, "DELETE /_sim/accounts/:name/orders/:id", { id: n }, { id: n, symbol: (order ?? algo)!.symbol }, null)
      return Effect.succeed(json(200, { canceled: n, kind: order !== undefined ? "regular" : "algo" }))
    })],
  ["POST", "accounts/:name/positions", (state, req, _i, [name]) =>
    withAccount(state, name!, (a) =>
      run(decodeBody(req, Seed.PositionInput), (input) =>
        Effect.gen(function*() {
          const before = RiskViews.positionRisk(a, state.market, state.config, input.symbol)
          const p = yield* Seeding.applyPosition(a, input, "", Seeding.buildContext(state))
          const after = RiskViews.positionRisk(a, state.market, state.config, input.symbol)
          logControl(state, a.name, "POST /_sim/accounts/:name/positions", input, before, after)
          return json(200, p === undefined ? { closed: true, symbol: input.symbol } : after.find((x) => x.positionSide === p.positionSide))
        })))],
  ["PUT", "accounts/:name/balances", (state, req, _i, [name]) =>
    withAccount(state, name!, (a) =>
      run(decodeBody(req, Seed.BalancesInput), (input) => {
        const before = Object.fromEntries(a.balances)
        for (const [asset, amount] of Object.entries(input)) a.balances.set(asset, amount)
        a.updateTime = serverTime(state)
        logControl(state, a.name, "PUT /_sim/accounts/:name/balances", input, before, Object.fromEntries(a.balances))
        return Effect.succeed(json(200, Object.fromEntries([...a.balances].map(([k, v]) => [k, Views.dec(v)]))))
      }))],
  ["PUT", "accounts/:name/settings", (state, req, _i, [name]) =>
    withAccount(state, name!, (a) =>
      run(decodeBody(req, Seed.SettingsInput), (input) =>
        Effect.gen(function*() {
          const before = Account.settingsView(a)
          const snapshot = StreamEvents.snapshot(a)
          yield* Seeding.applySettings(a, input, "", Seeding.buildContext(state))
          logControl(state, a.name, "PUT /_sim/accounts/:name/settings", input, before, Account.settingsView(a))
          StreamEvents.announce(state, a, snapshot)
          return json(200, accountView(state, a))
        })))],
  ["GET", "faults", (state) => Effect.succeed(json(200, state.faults.list()))],
  ["POST", "faults", (state, req) =>
    run(decodeBody(req, Faults.FaultInput), (input) => Effect.succeed(json(201, state.faults.add(input))))],
  ["DELETE", "faults", (state) =>
    Effect.sync(() => {
      state.faults.clear()
      return json(200, { cleared: true })
    })],
  ["DELETE", "faults/:id", (state, _req, _i, [id]) =>
    Effect.sync(() => (state.faults.remove(Number(id)) ? json(200, { deleted: Number(id) }) : notFound(`no fault ${id}`)))],
  ["POST", "reset", (state, _req, initial) =>
    Effect.gen(function*() {
      yield* Seeding.reset(state, initial)
      return json(200, { reset: true })
    }).pipe(Effect.catchAll((e) => Effect.succeed(fromInputError(e))))],
  ["GET", "log", (state, req) =>
    Effect.sync(() => {
      const q = query(req)
      const account = q.get("account")
      const source = q.get("source")
      const since = Number(q.get("since") ?? "0")
      return json(
        200,
        state.log.entries().filter((e) =>
          (account === null || e.account === account) && (source === null || e.source === source) && e.seq > since
        )
      )
    })],
  ["GET", "weight", (state) =>
    Effect.sync(() => json(200, { limit: state.config.weightLimit, ips: state.weights.snapshot(serverTime(state)) }))],
  ["GET", "requests/count", (state) =>
    Effect.sync(() => {
      const byEndpoint = Object.fromEntries(state.requests)
      const byPath: Record<string, number> = {}
      let total = 0
      for (const [label, n] of state.requests) {
        const path = label.slice(label.indexOf(" ") + 1)
        byPath[path] = (byPath[path] ?? 0) + n
        total += n
      }
      return json(200, { total, byPath, byEndpoint })
    })],
  ["DELETE", "requests/count", (state) =>
    Effect.sync(() => {
      state.requests.clear()
      return json(200, { cleared: true })
    })],
  ["GET", "config", (state) => Effect.succeed(json(200, state.config))],
  ["PUT", "config", (state, req) =>
    run(decodeBody(req, Seed.ConfigInput), (input) =>
      Effect.sync(() => {
        SimConfig.apply(state.config, input)
        return json(200, state.config)
      }))],
  ...StreamControl.routes
]

const matchRoute = (pattern: string, segments: ReadonlyArray<string>): Array<string> | undefined => {
  const parts = pattern.split("/")
  if (parts.length !== segments.length) return undefined
  const args: Array<string> = []
  for (let i = 0; i < parts.length; i++) {
    if (parts[i]!.startsWith(":")) args.push(segments[i]!)
    else if (parts[i] !== segments[i]) return undefined
  }
  return args
}

const bearer = (header: string | undefined): string | undefined => {
  if (header === undefined) return undefined
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return m?.[1]
}

/** @internal Constant-time comparison of the admin token. */
const sameToken = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/** @internal Answers a `/_sim/...` request. */
export const handle = (state: State, req: SimRequest, initial: Seeding.Initial): Effect.Effect<SimResponse> => {
  const token = bearer(req.headers["authorization"])
  if (token === undefined || !sameToken(token, state.adminToken)) {
    return Effect.succeed({
      ...json(401, { error: "unauthorized", message: "send Authorization: Bearer <admin token>" }),
      headers: { "Content-Type": "application/json", "WWW-Authenticate": "Bearer" }
    })
  }
  let segments: Array<string>
  try {
    segments = req.path.slice("/_sim/".length).split("/").map(decodeURIComponent)
  } catch {
    return Effect.succeed(notFound(`no control route ${req.path}`))
  }
  let pathMatched = false
  for (const [method, pattern, handler] of routes) {
    const args = matchRoute(pattern, segments)
    if (args === undefined) continue
    pathMatched = true
    if (method === req.method) return handler(state, req, initial, args)
  }
  return Effect.succeed(
    pathMatched ? json(405, { error: "method not allowed", message: `${req.method} is not allowed on ${req.path}` }) : notFound(`no control route ${req.path}`)
  )
}
