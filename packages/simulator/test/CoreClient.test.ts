/**
 * The core's MarginClient against the simulator, in-process and over a real socket: idempotent
 * setters, the planner end to end, and every tagged error the settings endpoints can produce.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as BinanceConfig from "@marginctl/core/BinanceConfig"
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
import * as Server from "../src/Server.js"
import type { SimulatorShape } from "../src/Simulator.js"
import * as SimulatorHttpClient from "../src/SimulatorHttpClient.js"
import { API_KEYS, ED25519_PRIVATE, HMAC_SECRET, makeSim, READ_ONLY_KEY, RSA_PRIVATE, seedWith } from "./support/Client.js"

const BTC = "BTCUSDT" as any
const ETH = "ETHUSDT" as any

type Key = "HMAC" | "RSA" | "ED25519" | "READ_ONLY" | "WRONG_SECRET" | "UNKNOWN"

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
