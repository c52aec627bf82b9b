/**
 * The core's MarginClient against the simulator, in-process and over a real socket: idempotent
 * setters, the planner end to end, and every tagged error of core's Errors.ts that a call to the
 * exchange can end with (the local ones, InvalidInput, DesiredStateRejected and SignerError, never
 * reach the exchange).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { messageOf, SERVICE_503 } from "@marginctl/core/BinanceCodes"
import * as BinanceConfig from "@marginctl/core/BinanceConfig"
import { BinanceHttp } from "@marginctl/core/BinanceHttp"
import * as Catalog from "@marginctl/core/Catalog"
import type { BinanceError } from "@marginctl/core/Errors"
import { MarginClient } from "@marginctl/core/MarginClient"
import * as Planner from "@marginctl/core/Planner"
import * as Signer from "@marginctl/core/Signer"
import * as WeightBudget from "@marginctl/core/WeightBudget"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Account from "../src/Account.js"
import * as Server from "../src/Server.js"
import type { SimulatorShape } from "../src/Simulator.js"
import * as SimulatorHttpClient from "../src/SimulatorHttpClient.js"
import { API_KEYS, ED25519_PRIVATE, HMAC_SECRET, makeSim, READ_ONLY_KEY, RSA_PRIVATE, seedWith } from "./support/Client.js"

const BTC = "BTCUSDT" as any
const ETH = "ETHUSDT" as any

type Key = "HMAC" | "RSA" | "ED25519" | "READ_ONLY" | "WRONG_SECRET" | "UNKNOWN" | "BAD_FORMAT"

const credentials = (key: Key): { apiKey: string; credentials: Signer.Credentials } => {
  switch (key) {
    case "RSA":
      return { apiKey: API_KEYS.RSA, credentials: Signer.privateKey(Redacted.make(RSA_PRIVATE)) }
    case "ED25519":
      return { apiKey: API_KEYS.ED25519, credentials: Signer.privateKey(Redacted.make(ED25519_PRIVATE)) }
    case "READ_ONLY":
      return { apiKey: READ_ONLY_KEY, credentials: Signer.hmac(Redacted.make(HMAC_SECRET)) }
    case "WRONG_SECRET":
      return { apiKey: API_KEYS.HMAC, credentials: Signer.hmac(Redacted.make("not-the-secret")) }
    case "UNKNOWN":
      return { apiKey: "unknownKey0000000000000000000000000000000000000000000000000001", credentials: Signer.hmac(Redacted.make(HMAC_SECRET)) }
    case "BAD_FORMAT":
      // '/' is not among the characters of a Binance API key.
      return { apiKey: "hmacKey/000000000000000000000000000000000000000000000000000001", credentials: Signer.hmac(Redacted.make(HMAC_SECRET)) }
    default:
      return { apiKey: API_KEYS.HMAC, credentials: Signer.hmac(Redacted.make(HMAC_SECRET)) }
  }
}

const client = (
  http: Layer.Layer<HttpClient.HttpClient>,
  baseUrl: string,
  key: Key = "HMAC",
  options: Partial<BinanceConfig.Options> = {}
) => {
  const { apiKey, credentials: creds } = credentials(key)
  return MarginClient.Default.pipe(
    Layer.provide(Layer.mergeAll(
      BinanceConfig.layer({ baseUrl, apiKey: Redacted.make(apiKey), ...options }),
      Signer.layer(creds),
      WeightBudget.layerMemory(),
      http
    )),
    Layer.orDie
  )
}

const inProcess = (sim: SimulatorShape, key: Key = "HMAC", options: Partial<BinanceConfig.Options> = {}, clientIp?: string) =>
  client(SimulatorHttpClient.layerWith(sim, clientIp ? { clientIp } : {}), "http://simulator.test", key, options)

const withClient = <A, E>(
  layer: Layer.Layer<MarginClient>,
  f: (c: MarginClient) => Effect.Effect<A, E>
) => Effect.flatMap(MarginClient, f).pipe(Effect.provide(layer))

const failureTag = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>) =>
  Effect.map(Effect.flip(effect), (e) => e)

describe("MarginClient on the in-process simulator", () => {
  for (const key of ["HMAC", "RSA", "ED25519"] as const) {
    it.effect(`${key}: reads, changes and is idempotent`, () =>
      Effect.gen(function*() {
        const sim = yield* makeSim()
        yield* withClient(inProcess(sim, key), (c) =>
          Effect.gen(function*() {
            assert.isFalse(yield* c.getMultiAssetsMode())
            assert.deepStrictEqual(yield* c.setMarginType(BTC, "ISOLATED"), { outcome: "changed", reconciled: false })
            assert.deepStrictEqual(yield* c.setMarginType(BTC, "ISOLATED"), { outcome: "unchanged", reconciled: false })
            assert.deepStrictEqual(yield* c.getMarginTypes([BTC, ETH]), [
              { symbol: BTC, marginType: "ISOLATED" },
              { symbol: ETH, marginType: "CROSSED" }
            ])
            assert.deepStrictEqual(yield* c.setMarginType(BTC, "CROSSED"), { outcome: "changed", reconciled: false })
            assert.deepStrictEqual(yield* c.setMultiAssetsMode(true), { outcome: "changed", reconciled: false })
            assert.deepStrictEqual(yield* c.setMultiAssetsMode(true), { outcome: "unchanged", reconciled: false })
            assert.isTrue(yield* c.getMultiAssetsMode("multiAssetsMargin"))
          }))
        assert.strictEqual(sim.log().filter((e) => e.source === "api").length, 3)
      }))
  }

  it.effect("a plan applied twice: the second apply changes nothing", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({ marginTypes: { BTCUSDT: "ISOLATED", ETHUSDT: "ISOLATED" } }))
      yield* withClient(inProcess(sim), (c) =>
        Effect.gen(function*() {
          const desired = { multiAssets: true }
          const run = Effect.gen(function*() {
            const snapshot = yield* c.getAccountSnapshot
            const plan = yield* Either.match(Planner.plan(desired, snapshot), { onLeft: Effect.die, onRight: Effect.succeed })
            const events = yield* Stream.runCollect(Planner.apply(plan, c))
            return { plan, events: Array.from(events) }
          })
          const first = yield* run
          assert.deepStrictEqual(first.plan.steps.map((s) => s.title.split(" ")[0]), ["Set", "Set", "Turn"])
          assert.strictEqual(first.plan.readWeight, 96)
          const done = first.events.at(-1)
          assert.isTrue(done?._tag === "Done" && done.summary.complete && done.summary.changed === 3)
          const second = yield* run
          assert.strictEqual(second.plan.steps.length, 0)
        }))
      assert.strictEqual(sim.log().filter((e) => e.source === "api").length, 3)
      assert.isTrue(sim.account("main")!.multiAssetsMargin)
    }))

  it.effect("settings: mode, position mode, margin types and leverage for weight 10, without orders or positions", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({
        dualSidePosition: true,
        marginTypes: { ETHUSDT: "ISOLATED" },
        leverage: { ETHUSDT: 7 },
        orders: [{ symbol: "BTCUSDT", side: "BUY", type: "LIMIT", price: "1000", quantity: "0.01" }]
      }))
      yield* withClient(inProcess(sim), (c) =>
        Effect.gen(function*() {
          yield* c.syncClock
          const before = sim.usedWeight("127.0.0.1")
          const settings = yield* c.settings
          assert.strictEqual(sim.usedWeight("127.0.0.1") - before, 10)
          assert.strictEqual(settings.readWeight, 10)
          assert.deepInclude(settings, { multiAssetsMargin: false, dualSidePosition: true })
          assert.deepStrictEqual(settings.symbols.find((s) => s.symbol === ETH), { symbol: ETH, marginType: "ISOLATED", leverage: 7 })
          assert.strictEqual(sim.requestCount("/fapi/v1/openOrders") + sim.requestCount("/fapi/v3/account"), 0)
          // The snapshot reads the same settings, and the orders and positions on top.
          const snapshot = yield* c.getAccountSnapshot
          assert.strictEqual(snapshot.readWeight, 96)
          assert.strictEqual(snapshot.symbols.find((s) => s.symbol === BTC)?.openOrders, 1)
          assert.deepStrictEqual(
            snapshot.symbols.map((s) => [s.symbol, s.marginType]),
            settings.symbols.map((s) => [s.symbol, s.marginType])
          )
        }))
    }))

  it.effect("-4067 quirk for a no-op change is unchanged after a re-read", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      sim.config.quirk4067 = true
      const result = yield* withClient(inProcess(sim), (c) => c.setMarginType(BTC, "CROSSED"))
      assert.deepStrictEqual(result, { outcome: "unchanged", reconciled: true })
    }))

  it.effect("a -1021 from a skewed server clock is corrected by one resync", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      yield* withClient(inProcess(sim), (c) =>
        Effect.gen(function*() {
          assert.isFalse(yield* c.getMultiAssetsMode())
          sim.faults.add({ kind: "clockSkew", offsetMs: 30_000 })
          assert.deepStrictEqual(yield* c.setMarginType(BTC, "ISOLATED"), { outcome: "changed", reconciled: false })
        }))
      assert.strictEqual(sim.requestCount("/fapi/v1/marginType"), 2)
      assert.strictEqual(sim.log().length, 1)
    }))

  it.effect("503 unknown that executed: changed once, reconciled", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      sim.faults.add({ kind: "unknown", executed: true, endpoint: "/fapi/v1/multiAssetsMargin", method: "POST", count: 1 })
      const result = yield* withClient(inProcess(sim), (c) => c.setMultiAssetsMode(true))
      assert.deepStrictEqual(result, { outcome: "changed", reconciled: true })
      assert.strictEqual(sim.log().length, 1)
    }))

  it.effect("503 unknown that did not execute: re-read, sent again, changed once", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      sim.faults.add({ kind: "unknown", executed: false, endpoint: "/fapi/v1/marginType", method: "POST", count: 1 })
      const result = yield* withClient(inProcess(sim), (c) => c.setMarginType(BTC, "ISOLATED"))
      assert.deepStrictEqual(result, { outcome: "changed", reconciled: true })
      assert.strictEqual(sim.log().length, 1)
      assert.strictEqual(sim.requestCount("/fapi/v1/marginType"), 2)
    }))
})

describe("every tagged error the settings endpoints produce", () => {
  const rule = (extra: Record<string, unknown>, config: Record<string, unknown> = {}) => makeSim(seedWith(extra, config))

  it.effect("MarginTypeBlocked: multi-assets (-4168), open-orders (-4047), position (-4048)", () =>
    Effect.gen(function*() {
      const sim = yield* rule({
        multiAssetsMargin: true,
        orders: [{ symbol: "ETHUSDT", side: "BUY", type: "LIMIT", price: "100", quantity: "1" }],
        positions: [{ symbol: "SOLUSDT", positionAmt: "1", entryPrice: "100" }]
      })
      yield* withClient(inProcess(sim), (c) =>
        Effect.gen(function*() {
          const e1 = yield* failureTag(c.setMarginType(BTC, "ISOLATED"))
          assert.deepInclude(e1, { _tag: "MarginTypeBlocked", reason: "multi-assets", code: -4168, symbol: "BTCUSDT" })
          const e2 = yield* failureTag(c.setMarginType(ETH, "CROSSED").pipe(Effect.zipRight(Effect.fail({ _tag: "none" } as const))))
          assert.strictEqual(e2._tag, "none") // CROSSED on a cross symbol is a no-op even with orders
          sim.account("main")!.multiAssetsMargin = false
          const e3 = yield* failureTag(c.setMarginType(ETH, "ISOLATED"))
          assert.deepInclude(e3, { _tag: "MarginTypeBlocked", reason: "open-orders", code: -4047 })
          const e4 = yield* failureTag(c.setMarginType("SOLUSDT" as any, "ISOLATED"))
          assert.deepInclude(e4, { _tag: "MarginTypeBlocked", reason: "position", code: -4048 })
        }))
      assert.strictEqual(sim.log().length, 0)
    }))

  it.effect("MultiAssetsBlocked: isolated-symbols, open-orders, negative-balance, insufficient-margin", () =>
    Effect.gen(function*() {
      const cases = [
        [{ marginTypes: { BTCUSDT: "ISOLATED" } }, true, "isolated-symbols", -4167],
        [{ algoOrders: [{ symbol: "BTCUSDT", side: "SELL", orderType: "STOP_MARKET", triggerPrice: "50000" }] }, true, "open-orders", -4170],
        [{ balances: { USDT: 1000, USDC: -5 } }, true, "negative-balance", -4172],
        [{ multiAssetsMargin: true, creditsLock: true }, false, "insufficient-margin", -4169]
      ] as const
      for (const [extra, on, reason, code] of cases) {
        const sim = yield* rule(extra)
        const e = yield* withClient(inProcess(sim), (c) => failureTag(c.setMultiAssetsMode(on)))
        assert.deepInclude(e, { _tag: "MultiAssetsBlocked", reason, code })
        assert.strictEqual(sim.log().length, 0)
      }
    }))

  it.effect("UnknownSymbol (-1121) names the symbol", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const e = yield* withClient(inProcess(sim), (c) => failureTag(c.setMarginType("NOPEUSDT" as any, "ISOLATED")))
      assert.deepInclude(e, { _tag: "UnknownSymbol", code: -1121, symbol: "NOPEUSDT" })
      const e2 = yield* withClient(inProcess(sim), (c) => failureTag(c.getMarginTypes([BTC, "NOPEUSDT" as any])))
      assert.deepInclude(e2, { _tag: "UnknownSymbol", symbol: "NOPEUSDT" })
    }))

  it.effect("InvalidSignature (-1022) and InvalidApiKey (-2015: unknown key, read-only key on a write)", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      assert.deepInclude(yield* withClient(inProcess(sim, "WRONG_SECRET"), (c) => failureTag(c.getMultiAssetsMode())), {
        _tag: "InvalidSignature",
        code: -1022
      })
      assert.deepInclude(yield* withClient(inProcess(sim, "UNKNOWN"), (c) => failureTag(c.getMultiAssetsMode())), {
        _tag: "InvalidApiKey",
        reason: "rejected",
        status: 401
      })
      const readOnly = inProcess(sim, "READ_ONLY")
      assert.isFalse(yield* withClient(readOnly, (c) => c.getMultiAssetsMode()))
      assert.deepInclude(yield* withClient(readOnly, (c) => failureTag(c.setMultiAssetsMode(true))), {
        _tag: "InvalidApiKey",
        code: -2015
      })
    }))

  it.effect("InvalidParameter (-1130) for a recvWindow above the exchange's cap", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      sim.config.recvWindowCap = 10_000
      const e = yield* withClient(inProcess(sim, "HMAC", { recvWindow: 20_000 }), (c) => failureTag(c.getMultiAssetsMode()))
      assert.deepInclude(e, { _tag: "InvalidParameter", code: -1130, param: "recvWindow" })
    }))

  it.effect("RateLimited: the exchange's 429 when another process used the IP's weight", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      sim.config.weightLimit = 12
      // Another client on the same IP spends the budget this client cannot see.
      yield* withClient(inProcess(sim, "HMAC"), (c) => Effect.all([c.getMultiAssetsMode(), c.getMultiAssetsMode()]))
      const e = yield* withClient(inProcess(sim, "HMAC"), (c) => failureTag(c.getMultiAssetsMode()))
      assert.deepInclude(e, { _tag: "RateLimited", source: "exchange", code: -1003, status: 429 })
      assert.isNumber((e as any).retryAfterSeconds)
    }))

  it.effect("RateLimited from the budget: the exchange's limit is learnt from exchangeInfo and never exceeded", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      sim.config.weightLimit = 120
      yield* withClient(inProcess(sim, "HMAC", { maxBudgetWaitMs: 0 }), (c) =>
        Effect.gen(function*() {
          yield* c.getAccountSnapshot // 96, and learns the limit 120
          const e = yield* failureTag(c.getAccountSnapshot)
          assert.deepInclude(e, { _tag: "RateLimited", source: "budget" })
        }))
      const weight = yield* sim.handle({ method: "GET", path: "/_sim/weight", query: "", body: "", headers: { authorization: "Bearer admin-token" }, clientIp: "127.0.0.1" })
      const ips = JSON.parse(weight.body).ips
      for (const ip of Object.values(ips) as Array<{ used: number; limited: boolean }>) assert.isFalse(ip.limited)
    }))

  it.effect("IpBanned: after a ban caused elsewhere, nothing more is sent until it ends", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      sim.config.weightLimit = 1
      sim.config.banAfter = 0
      for (let i = 0; i < 3; i++) {
        yield* sim.handle({ method: "GET", path: "/fapi/v1/time", query: "", body: "", headers: {}, clientIp: "127.0.0.1" })
      }
      yield* withClient(inProcess(sim), (c) =>
        Effect.gen(function*() {
          const e = yield* failureTag(c.getMultiAssetsMode())
          assert.strictEqual(e._tag, "IpBanned")
          assert.isNumber((e as any).until)
          const before = sim.requestCount("/fapi/v1/accountConfig") + sim.requestCount("/fapi/v1/time")
          assert.strictEqual((yield* failureTag(c.getMultiAssetsMode()))._tag, "IpBanned")
          assert.strictEqual(sim.requestCount("/fapi/v1/accountConfig") + sim.requestCount("/fapi/v1/time"), before)
        }))
    }))

  it.effect("ExecutionUnknown when every answer is lost and the change never shows", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      sim.faults.add({ kind: "unknown", executed: false, endpoint: "/fapi/v1/multiAssetsMargin", method: "POST" })
      const e = yield* withClient(inProcess(sim), (c) => failureTag(c.setMultiAssetsMode(true)))
      assert.deepInclude(e, { _tag: "ExecutionUnknown", status: 503 })
      assert.strictEqual(sim.log().length, 0)
    }))

  it.live("ServiceUnavailable after the retries of a read", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      sim.faults.add({ kind: "unavailable", endpoint: "/fapi/v1/accountConfig" })
      const e = yield* withClient(inProcess(sim), (c) => failureTag(c.getMultiAssetsMode()))
      assert.deepInclude(e, { _tag: "ServiceUnavailable", reason: "unavailable", status: 503 })
      // The first try and 3 retries, 200 → 400 → 800 ms apart.
      assert.strictEqual(sim.requestCount("/fapi/v1/accountConfig"), 4)
    }))
})

describe("MarginClient over a real socket", () => {
  const overSocket = (url: string, key: Key = "HMAC", options: Partial<BinanceConfig.Options> = {}) =>
    client(FetchHttpClient.layer, url, key, options)

  it.scopedLive("changes both settings with each key type; a dropped connection is a Transport error", () =>
    Effect.gen(function*() {
      const server = yield* Server.scoped({ seed: seedWith(), adminToken: "admin-token" })
      for (const key of ["HMAC", "RSA", "ED25519"] as const) {
        yield* withClient(overSocket(server.url, key), (c) =>
          Effect.gen(function*() {
            const on = !(yield* c.getMultiAssetsMode())
            assert.strictEqual((yield* c.setMultiAssetsMode(on)).outcome, "changed")
            assert.strictEqual(yield* c.getMultiAssetsMode(), on)
          }))
      }
      assert.strictEqual(server.sim.log().length, 3)
      server.sim.faults.add({ kind: "drop", endpoint: "/fapi/v1/symbolConfig" })
      const e = yield* withClient(overSocket(server.url), (c) => failureTag(c.getMarginTypes()))
      assert.deepInclude(e, { _tag: "Transport", reason: "connection" })
    }))

  it.scopedLive("a dropped connection on a write is an unknown outcome, settled by re-reading", () =>
    Effect.gen(function*() {
      const server = yield* Server.scoped({ seed: seedWith(), adminToken: "admin-token" })
      server.sim.faults.add({ kind: "drop", endpoint: "/fapi/v1/marginType", method: "POST", count: 1 })
      const result = yield* withClient(overSocket(server.url), (c) => c.setMarginType(BTC, "ISOLATED"))
      assert.deepStrictEqual(result, { outcome: "changed", reconciled: true })
      assert.strictEqual(server.sim.log().length, 1)
    }))

  it.live("a write whose connection is refused is a Transport error (never sent), not an unknown outcome", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(() => Server.startServer({ seed: seedWith(), adminToken: "admin-token" }))
      yield* withClient(overSocket(server.url), (c) =>
        Effect.gen(function*() {
          assert.isFalse(yield* c.getMultiAssetsMode()) // clock synced, then the exchange goes away
          yield* Effect.promise(() => server.close())
          yield* Effect.sleep("200 millis") // let the pooled keep-alive sockets see the close
          const e = yield* failureTag(c.setMultiAssetsMode(true))
          assert.deepInclude(e, { _tag: "Transport", reason: "connection", endpoint: "POST /fapi/v1/multiAssetsMargin" })
          assert.include((e as { msg: string }).msg, "ECONNREFUSED")
        }))
    }))
})

describe.concurrent("every tagged error through the real client, in-process and over a socket", () => {
  interface Stack {
    readonly client: MarginClient
    readonly http: BinanceHttp
  }

  type Over = "in-process" | "socket"

  interface Case {
    readonly name: string
    readonly seed?: Record<string, unknown>
    readonly config?: Record<string, unknown>
    readonly key?: Key
    readonly options?: Partial<BinanceConfig.Options>
    /** Runs after the simulator is up and before the client is built. */
    readonly arrange?: (sim: SimulatorShape) => void
    readonly act: (s: Stack) => Effect.Effect<unknown, BinanceError>
    /** Fields the error must have (tag, reason, code, status, msg, endpoint…). */
    readonly expected: Readonly<Record<string, unknown>>
    /** What the simulator saw and holds afterwards. */
    readonly check?: (sim: SimulatorShape, e: BinanceError) => void
    /** Default both. */
    readonly over?: ReadonlyArray<Over>
  }

  /** MarginClient and the BinanceHttp under it, sharing one config, signer, budget and HttpClient. */
  const stack = (http: Layer.Layer<HttpClient.HttpClient>, baseUrl: string, key: Key, options: Partial<BinanceConfig.Options>) => {
    const { apiKey, credentials: creds } = credentials(key)
    const binance = BinanceHttp.Default.pipe(Layer.provide(Layer.mergeAll(
      BinanceConfig.layer({ baseUrl, apiKey: Redacted.make(apiKey), ...options }),
      Signer.layer(creds),
      WeightBudget.layerMemory(),
      http
    )))
    return MarginClient.DefaultWithoutDependencies.pipe(Layer.provideMerge(binance), Layer.orDie)
  }

  const IP = "127.0.0.1"

  /** Another process on the same IP (weights are per IP). */
  const spendElsewhere = (sim: SimulatorShape, requests: number) =>
    Effect.runSync(Effect.forEach(
      Array.from({ length: requests }),
      () => sim.handle({ method: "GET", path: "/fapi/v1/time", query: "", body: "", headers: {}, clientIp: IP }),
      { discard: true }
    ))

  const sent = (sim: SimulatorShape, method: string, path: string, n: number) =>
    assert.strictEqual(sim.requestCount(path, method), n, `${method} ${path} requests`)

  /** Sent again after the failure (it did not execute): the first try and 3 retries with back-off (reference §1.3). */
  const retriedThenGaveUp = (sim: SimulatorShape, method: string, path: string) =>
    assert.strictEqual(sim.requestCount(path, method), 4, `${method} ${path} requests`)

  /** Nothing changed: no logged change, Multi-Assets off, BTC and ETH cross (the default seed). */
  const unchanged = (sim: SimulatorShape) => {
    assert.deepStrictEqual(sim.log(), [])
    const main = sim.account("main")!
    assert.isFalse(main.multiAssetsMargin)
    assert.strictEqual(Account.marginTypeOf(main, "BTCUSDT"), "CROSSED")
    assert.strictEqual(Account.marginTypeOf(main, "ETHUSDT"), "CROSSED")
  }

  const WAF_PAGE = "<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1>Request blocked.</body></html>"

  const cases: ReadonlyArray<Case> = [
    {
      name: "TimestampOutsideWindow (-1021, behind) as the final failure: a slow time endpoint skews the offset past a tight recvWindow, one resync does not help",
      options: { recvWindow: 100 },
      arrange: (sim) => sim.faults.add({ kind: "latency", ms: 600, endpoint: "/fapi/v1/time" }),
      act: ({ client }) => client.setMarginType(BTC, "ISOLATED"),
      expected: {
        _tag: "TimestampOutsideWindow",
        reason: "behind",
        code: -1021,
        status: 400,
        msg: messageOf(-1021, 0),
        endpoint: "POST /fapi/v1/marginType"
      },
      check: (sim) => {
        sent(sim, "GET", "/fapi/v1/time", 2) // measured, then measured again after the first -1021
        sent(sim, "POST", "/fapi/v1/marginType", 2) // sent once more, then given up
        unchanged(sim)
      }
    },
    {
      name: "InvalidApiKey (format, -2014): a key with a character Binance never issues",
      key: "BAD_FORMAT",
      act: ({ client }) => client.setMultiAssetsMode(true),
      expected: { _tag: "InvalidApiKey", reason: "format", code: -2014, status: 401, msg: messageOf(-2014), endpoint: "POST /fapi/v1/multiAssetsMargin" },
      check: (sim) => {
        sent(sim, "POST", "/fapi/v1/multiAssetsMargin", 1)
        unchanged(sim)
      }
    },
    {
      name: "InvalidApiKey (rejected, -2015): a read-only key on a write",
      key: "READ_ONLY",
      act: ({ client }) => client.setMarginType(BTC, "ISOLATED"),
      expected: { _tag: "InvalidApiKey", reason: "rejected", code: -2015, status: 401 },
      check: (sim) => {
        sent(sim, "POST", "/fapi/v1/marginType", 1)
        unchanged(sim)
      },
      over: ["socket"]
    },
    {
      name: "InvalidSignature (-1022): the wrong secret",
      key: "WRONG_SECRET",
      act: ({ client }) => client.setMultiAssetsMode(true),
      expected: { _tag: "InvalidSignature", code: -1022, status: 400, msg: messageOf(-1022) },
      check: unchanged,
      over: ["socket"]
    },
    {
      name: "Transport (timeout) after a read's retries: no answer within requestTimeoutMs",
      options: { requestTimeoutMs: 250 },
      arrange: (sim) => sim.faults.add({ kind: "latency", ms: 1000, endpoint: "/fapi/v1/symbolConfig" }),
      act: ({ client }) => client.getMarginTypes([BTC]),
      expected: { _tag: "Transport", reason: "timeout", status: 0, code: null, msg: "no answer within 250 ms", endpoint: "GET /fapi/v1/symbolConfig" },
      check: (sim) => retriedThenGaveUp(sim, "GET", "/fapi/v1/symbolConfig")
    },
    {
      name: "ServiceUnavailable (internal, 503 -1001) on a write: resent (it did not execute), then given up",
      arrange: (sim) => sim.faults.add({ kind: "internal", endpoint: "/fapi/v1/marginType", method: "POST" }),
      act: ({ client }) => client.setMarginType(BTC, "ISOLATED"),
      expected: { _tag: "ServiceUnavailable", reason: "internal", code: -1001, status: 503, msg: SERVICE_503.internal },
      check: (sim) => {
        retriedThenGaveUp(sim, "POST", "/fapi/v1/marginType")
        unchanged(sim)
      }
    },
    {
      name: "ServiceUnavailable (throttled, 503 -1008) on a write: resent, then given up",
      arrange: (sim) => sim.faults.add({ kind: "throttled", endpoint: "/fapi/v1/multiAssetsMargin", method: "POST" }),
      act: ({ client }) => client.setMultiAssetsMode(true),
      expected: { _tag: "ServiceUnavailable", reason: "throttled", code: -1008, status: 503, msg: SERVICE_503.throttled },
      check: (sim) => {
        retriedThenGaveUp(sim, "POST", "/fapi/v1/multiAssetsMargin")
        unchanged(sim)
      }
    },
    {
      name: "ServiceUnavailable (server-error): a read answered 502 every time",
      arrange: (sim) => sim.faults.add({ kind: "status", status: 502, endpoint: "/fapi/v1/accountConfig" }),
      act: ({ client }) => client.getMultiAssetsMode(),
      expected: { _tag: "ServiceUnavailable", reason: "server-error", code: -1000, status: 502, endpoint: "GET /fapi/v1/accountConfig" },
      check: (sim) => retriedThenGaveUp(sim, "GET", "/fapi/v1/accountConfig")
    },
    {
      name: "ServiceUnavailable (unavailable, 503 Service Unavailable.) after a read's retries",
      arrange: (sim) => sim.faults.add({ kind: "unavailable", endpoint: "/fapi/v1/accountConfig" }),
      act: ({ client }) => client.getMultiAssetsMode(),
      expected: { _tag: "ServiceUnavailable", reason: "unavailable", status: 503 },
      check: (sim) => retriedThenGaveUp(sim, "GET", "/fapi/v1/accountConfig"),
      over: ["socket"]
    },
    {
      name: "ExecutionUnknown: every answer to a write lost (503 unknown), the change never shows",
      arrange: (sim) => sim.faults.add({ kind: "unknown", executed: false, endpoint: "/fapi/v1/multiAssetsMargin", method: "POST" }),
      act: ({ client }) => client.setMultiAssetsMode(true),
      expected: { _tag: "ExecutionUnknown", code: -1000, status: 503, msg: SERVICE_503.unknown },
      check: (sim) => {
        sent(sim, "POST", "/fapi/v1/multiAssetsMargin", 2) // re-read, sent once more, re-read
        sent(sim, "GET", "/fapi/v1/accountConfig", 2)
        unchanged(sim)
      },
      over: ["socket"]
    },
    {
      name: "PositionModeBlocked (position, -4068) from the margin-type endpoint: passed on, not retried, not reconciled",
      arrange: (sim) => sim.faults.add({ kind: "error", code: -4068, endpoint: "/fapi/v1/marginType", method: "POST", count: 1 }),
      act: ({ client }) => client.setMarginType(ETH, "ISOLATED"),
      expected: { _tag: "PositionModeBlocked", reason: "position", code: -4068, status: 400, msg: messageOf(-4068), endpoint: "POST /fapi/v1/marginType" },
      check: (sim) => {
        sent(sim, "POST", "/fapi/v1/marginType", 1)
        sent(sim, "GET", "/fapi/v1/symbolConfig", 0)
        assert.deepStrictEqual(sim.faults.list(), []) // the counted fault was used up
        unchanged(sim)
      }
    },
    {
      name: "MarginTypeBlocked (open-orders) from a -4067 that a re-read does not explain",
      arrange: (sim) => sim.faults.add({ kind: "error", code: -4067, endpoint: "/fapi/v1/marginType", method: "POST", count: 1 }),
      act: ({ client }) => client.setMarginType(ETH, "ISOLATED"),
      expected: { _tag: "MarginTypeBlocked", reason: "open-orders", code: -4067, symbol: "ETHUSDT", msg: messageOf(-4067) },
      check: (sim) => {
        sent(sim, "POST", "/fapi/v1/marginType", 1)
        sent(sim, "GET", "/fapi/v1/symbolConfig", 1)
        unchanged(sim)
      }
    },
    {
      name: "MarginTypeBlocked (multi-assets, -4168) from the rules",
      seed: { multiAssetsMargin: true },
      act: ({ client }) => client.setMarginType(BTC, "ISOLATED"),
      expected: { _tag: "MarginTypeBlocked", reason: "multi-assets", code: -4168, status: 400, symbol: "BTCUSDT" },
      check: (sim) => {
        assert.deepStrictEqual(sim.log(), [])
        assert.strictEqual(Account.marginTypeOf(sim.account("main")!, "BTCUSDT"), "CROSSED")
      },
      over: ["socket"]
    },
    {
      name: "MultiAssetsBlocked (isolated-symbols, -4167) from the rules",
      seed: { marginTypes: { BTCUSDT: "ISOLATED" } },
      act: ({ client }) => client.setMultiAssetsMode(true),
      expected: { _tag: "MultiAssetsBlocked", reason: "isolated-symbols", code: -4167, status: 400 },
      check: (sim) => {
        assert.deepStrictEqual(sim.log(), [])
        assert.isFalse(sim.account("main")!.multiAssetsMargin)
      },
      over: ["socket"]
    },
    {
      name: "AccountRejected (inactive, -4109): an account archived for inactivity",
      arrange: (sim) => sim.faults.add({ kind: "error", code: -4109, endpoint: "/fapi/v1/multiAssetsMargin", method: "POST" }),
      act: ({ client }) => client.setMultiAssetsMode(true),
      expected: { _tag: "AccountRejected", reason: "inactive", code: -4109, status: 400, msg: "Inactive account", endpoint: "POST /fapi/v1/multiAssetsMargin" },
      check: (sim) => {
        sent(sim, "POST", "/fapi/v1/multiAssetsMargin", 1)
        unchanged(sim)
      }
    },
    {
      name: "OrderRejected (-1116): an order code is kept apart, not retried",
      arrange: (sim) => sim.faults.add({ kind: "error", code: -1116, endpoint: "/fapi/v1/marginType", method: "POST" }),
      act: ({ client }) => client.setMarginType(BTC, "ISOLATED"),
      expected: { _tag: "OrderRejected", code: -1116, status: 400, msg: messageOf(-1116) },
      check: (sim) => {
        sent(sim, "POST", "/fapi/v1/marginType", 1)
        unchanged(sim)
      }
    },
    {
      name: "BinanceRejected: a code without a class of its own (-1010) on a read, kept as data, not retried",
      arrange: (sim) => sim.faults.add({ kind: "error", code: -1010, endpoint: "/fapi/v1/accountConfig" }),
      act: ({ client }) => client.getMultiAssetsMode(),
      expected: { _tag: "BinanceRejected", code: -1010, status: 400, msg: "ERROR_MSG_RECEIVED.", endpoint: "GET /fapi/v1/accountConfig" },
      check: (sim) => sent(sim, "GET", "/fapi/v1/accountConfig", 1)
    },
    {
      name: "UnexpectedResponse: a 200 whose body is not the documented shape",
      arrange: (sim) =>
        sim.faults.add({ kind: "raw", endpoint: "/fapi/v1/accountConfig", body: "{\"multiAssetsMargin\":\"yes\"}", contentType: "application/json" }),
      act: ({ client }) => client.getMultiAssetsMode(),
      expected: { _tag: "UnexpectedResponse", status: 200, code: null, endpoint: "GET /fapi/v1/accountConfig" },
      check: (sim, e) => {
        assert.include((e as { msg: string }).msg, "does not match the documented shape")
        sent(sim, "GET", "/fapi/v1/accountConfig", 1)
      }
    },
    {
      name: "UnexpectedResponse: an HTML 404 (not Binance answering) to a write, nothing changed",
      arrange: (sim) => sim.faults.add({ kind: "raw", status: 404, endpoint: "/fapi/v1/marginType", body: "<html><body>Not Found</body></html>" }),
      act: ({ client }) => client.setMarginType(BTC, "ISOLATED"),
      expected: { _tag: "UnexpectedResponse", status: 404, code: null, msg: "<html><body>Not Found</body></html>" },
      check: (sim) => {
        sent(sim, "POST", "/fapi/v1/marginType", 1)
        unchanged(sim)
      }
    },
    {
      name: "RateLimited from the WAF: an HTML 403 is a limit, not a key problem",
      arrange: (sim) => sim.faults.add({ kind: "raw", status: 403, endpoint: "/fapi/v1/symbolConfig", body: WAF_PAGE }),
      act: ({ client }) => client.getMarginTypes(),
      expected: { _tag: "RateLimited", source: "firewall", status: 403, code: null, retryAfterSeconds: null, endpoint: "GET /fapi/v1/symbolConfig" },
      check: (sim, e) => {
        assert.include((e as { msg: string }).msg, "WAF (web application firewall) limit was violated")
        sent(sim, "GET", "/fapi/v1/symbolConfig", 1)
      }
    },
    {
      name: "RateLimited (429, -1003): another process on the same IP used the weight",
      config: { weightLimit: 3 },
      arrange: (sim) => spendElsewhere(sim, 3),
      act: ({ client }) => client.getMultiAssetsMode(),
      expected: { _tag: "RateLimited", source: "exchange", code: -1003, status: 429, endpoint: "GET /fapi/v1/time" },
      check: (_sim, e) => assert.isNumber((e as { retryAfterSeconds: unknown }).retryAfterSeconds),
      over: ["socket"]
    },
    {
      name: "IpBanned (418): a ban caused elsewhere on the same IP",
      config: { weightLimit: 1, banAfter: 0 },
      arrange: (sim) => spendElsewhere(sim, 3),
      act: ({ client }) => client.getMultiAssetsMode(),
      expected: { _tag: "IpBanned", code: -1003, status: 418 },
      check: (sim, e) => {
        assert.isAbove((e as { until: number }).until, 0)
        sent(sim, "GET", "/fapi/v1/accountConfig", 0)
      },
      over: ["socket"]
    },
    {
      name: "UnknownSymbol (-1121) names the symbol",
      act: ({ client }) => client.setMarginType("NOPEUSDT" as any, "ISOLATED"),
      expected: { _tag: "UnknownSymbol", code: -1121, status: 400, symbol: "NOPEUSDT" },
      check: unchanged,
      over: ["socket"]
    },
    {
      name: "InvalidParameter (-1130) for a recvWindow above the exchange's cap",
      config: { recvWindowCap: 10_000 },
      options: { recvWindow: 20_000 },
      act: ({ client }) => client.getMultiAssetsMode(),
      expected: { _tag: "InvalidParameter", reason: "invalid", code: -1130, status: 400, param: "recvWindow" },
      over: ["socket"]
    },
    {
      name: "NoChangeNeeded (-4046) from BinanceHttp (MarginClient turns it into unchanged)",
      act: ({ http }) => http.call(Catalog.setMarginType, { symbol: BTC, marginType: "CROSSED" }),
      expected: { _tag: "NoChangeNeeded", setting: "margin-type", code: -4046, status: 400, msg: messageOf(-4046) },
      check: (sim) => {
        sent(sim, "POST", "/fapi/v1/marginType", 1)
        unchanged(sim)
      }
    }
  ]

  const run = (c: Case, over: Over) =>
    Effect.gen(function*() {
      const seed = seedWith(c.seed ?? {}, c.config ?? {})
      const key = c.key ?? "HMAC"
      const options = c.options ?? {}
      const { layer, sim } = over === "in-process"
        ? yield* Effect.map(makeSim(seed), (sim) => ({
          sim,
          layer: stack(SimulatorHttpClient.layerWith(sim, { clientIp: IP }), "http://simulator.test", key, options)
        }))
        : yield* Effect.map(Server.scoped({ seed, adminToken: "admin-token" }), (server) => ({
          sim: server.sim,
          layer: stack(FetchHttpClient.layer, server.url, key, options)
        }))
      c.arrange?.(sim)
      const e = yield* Effect.flip(
        Effect.flatMap(Effect.all({ client: MarginClient, http: BinanceHttp }), c.act).pipe(Effect.provide(layer))
      )
      assert.deepInclude(e, c.expected)
      c.check?.(sim, e)
    })

  for (const c of cases) {
    for (const over of c.over ?? (["in-process", "socket"] as const)) {
      it.scopedLive(`${c.name} [${over}]`, () => run(c, over))
    }
  }
})
