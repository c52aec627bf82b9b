import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as BinanceConfig from "../src/BinanceConfig.js"
import { BinanceHttp } from "../src/BinanceHttp.js"
import * as Signer from "../src/Signer.js"
import type { UserDataEvent } from "../src/UserDataEvent.js"
import * as UserDataStream from "../src/UserDataStream.js"
import * as WeightBudget from "../src/WeightBudget.js"
import { fakeServer, until } from "./support/FakeWebSocket.js"
import { type Answer, API_KEY, error, scripted, SECRET, symbolConfig, time } from "./support/ScriptedBinance.js"

/** A scripted exchange: listenKey calls, accountConfig and symbolConfig, with state a test changes. */
const exchange = () => {
  const state = { key: 1, multiAssets: false, post: undefined as Answer | undefined, put: undefined as Answer | undefined }
  const { layer, seen } = scripted((req) => {
    if (req.path === "/fapi/v1/time") return time(0)
    if (req.path === "/fapi/v1/listenKey") {
      if (req.method === "POST") return state.post ?? { body: { listenKey: `key-${state.key}` } }
      if (req.method === "PUT") return state.put ?? { body: { listenKey: `key-${state.key}` } }
      return { body: {} }
    }
    if (req.path === "/fapi/v1/accountConfig") {
      return { body: { dualSidePosition: false, multiAssetsMargin: state.multiAssets, feeTier: 0 } }
    }
    return symbolConfig([["BTCUSDT", "CROSSED"]])
  })
  const calls = (method: string) => seen.filter((r) => r.path === "/fapi/v1/listenKey" && r.method === method).length
  return { state, seen, calls, layer }
}

const setup = (options: UserDataStream.Options = {}) => {
  const ex = exchange()
  const ws = fakeServer()
  const layer = UserDataStream.UserDataStream.Default({ reconnect: Schedule.spaced("1 second"), ...options }).pipe(
    Layer.provideMerge(BinanceHttp.Default),
    Layer.provideMerge(Layer.mergeAll(
      BinanceConfig.layer({ baseUrl: "http://127.0.0.1:1", apiKey: Redacted.make(API_KEY) }),
      Signer.layer(Signer.hmac(Redacted.make(SECRET))),
      WeightBudget.layerMemory(),
      ex.layer,
      ws.layer
    )),
    Layer.orDie
  )
  return { ex, ws, layer }
}

/** Consumes the stream into a queue. */
const consume = Effect.gen(function*() {
  const stream = yield* UserDataStream.UserDataStream
  const out = yield* Queue.unbounded<UserDataEvent>()
  const fiber = yield* stream.events.pipe(Stream.runForEach((e) => Queue.offer(out, e)), Effect.fork)
  const next = <T extends UserDataEvent["_tag"]>(tag: T) =>
    Effect.map(Queue.take(out), (e) => {
      assert.strictEqual(e._tag, tag, `expected ${tag}, got ${JSON.stringify(e)}`)
      return e as Extract<UserDataEvent, { _tag: T }>
    })
  return { out, fiber, next }
})

/** Waits until a sleep of `ms` from now is pending on the TestClock (the fiber has reached it). */
const sleeping = (ms: number) =>
  until(
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      return Chunk.some(yield* TestClock.sleeps(), (t) => t - now === ms)
    }),
    `a sleep of ${ms} ms`
  )

const config = (e: object) => ({ e: "ACCOUNT_CONFIG_UPDATE", E: 1700000000100, T: 1700000000099, ...e })

describe("UserDataStream", () => {
  it.effect("connects with a new key, re-reads the settings, passes changes on, ignores other events", () => {
    const { ex, layer, ws } = setup()
    return Effect.gen(function*() {
      const { next } = yield* consume
      yield* next("Connected")
      const resynced = yield* next("Resynced")
      assert.deepStrictEqual(resynced.settings, {
        multiAssets: false,
        dualSidePosition: false,
        symbols: [{ symbol: "BTCUSDT" as never, marginType: "CROSSED", leverage: 20 }]
      })
      assert.strictEqual(ws.connections[0]!.url, "ws://127.0.0.1:1/private/ws?listenKey=key-1")
      assert.strictEqual(ex.calls("POST"), 1)
      const conn = ws.connections[0]!
      conn.push({ e: "ORDER_TRADE_UPDATE", E: 1, T: 1, o: { s: "BTCUSDT" } })
      conn.push("not json")
      conn.push(config({ ai: { j: true } }))
      conn.push({ e: "ACCOUNT_UPDATE", E: 2, T: 2, a: { m: "ORDER", B: [], P: [{ s: "BTCUSDT", mt: "isolated", ps: "BOTH" }] } })
      conn.push({ e: "ACCOUNT_UPDATE", E: 3, T: 3, a: { m: "MARGIN_TYPE_CHANGE", B: [], P: [{ s: "ETHUSDT", mt: "isolated", ps: "BOTH" }] } })
      conn.push(config({ ac: { s: "BTCUSDT", l: 25 } }))
      const multi = yield* next("MultiAssetsChanged")
      assert.deepStrictEqual([multi.multiAssets, multi.eventTime, multi.transactionTime], [true, 1700000000100, 1700000000099])
      const margin = yield* next("MarginTypeChanged")
      assert.deepStrictEqual([margin.symbol, margin.marginType, margin.eventTime], ["ETHUSDT", "ISOLATED", 3])
      const leverage = yield* next("LeverageChanged")
      assert.deepStrictEqual([leverage.symbol, leverage.leverage], ["BTCUSDT", 25])
    }).pipe(Effect.provide(layer))
  })

  it.effect("extends the key every 40 minutes and closes it when the consumer stops", () => {
    const { ex, layer, ws } = setup()
    return Effect.gen(function*() {
      const { fiber, next } = yield* consume
      yield* next("Connected")
      yield* next("Resynced")
      yield* sleeping(40 * 60_000)
      yield* TestClock.adjust("39 minutes")
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 20)))
      assert.strictEqual(ex.calls("PUT"), 0)
      yield* TestClock.adjust("1 minute")
      yield* until(() => ex.calls("PUT") === 1, "the first keep-alive")
      yield* sleeping(40 * 60_000)
      yield* TestClock.adjust("40 minutes")
      yield* until(() => ex.calls("PUT") === 2, "the second keep-alive")
      assert.strictEqual(ex.calls("POST"), 1)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(ex.calls("DELETE"), 1)
      assert.isTrue(ws.connections[0]!.closedByClient)
    }).pipe(Effect.provide(layer))
  })

  it.effect("listenKeyExpired: Disconnected, a new key, Connected and the settings as they are now", () => {
    const { ex, layer, ws } = setup()
    return Effect.gen(function*() {
      const { next } = yield* consume
      yield* next("Connected")
      yield* next("Resynced")
      ex.state.key = 2
      ex.state.multiAssets = true // changed while the stream was down
      // Binance sends the event, then closes the connection normally: the expiry is the reason.
      ws.connections[0]!.push({ e: "listenKeyExpired", E: "5", listenKey: "key-1" })
      ws.connections[0]!.drop(1000)
      const down = yield* next("Disconnected")
      assert.include(down.reason, "listen-key-expired")
      yield* sleeping(1000)
      yield* TestClock.adjust("1 second")
      yield* next("Connected")
      assert.isTrue((yield* next("Resynced")).settings.multiAssets)
      assert.strictEqual(ws.connections[1]!.url, "ws://127.0.0.1:1/private/ws?listenKey=key-2")
      assert.isTrue(ws.connections[0]!.closedByClient)
      assert.strictEqual(ex.calls("POST"), 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("-1125 to the keep-alive: the stream reconnects with a new key", () => {
    const { ex, layer, ws } = setup()
    return Effect.gen(function*() {
      const { next } = yield* consume
      yield* next("Connected")
      yield* next("Resynced")
      ex.state.put = error(400, -1125, "This listenKey does not exist.")
      ex.state.key = 2
      yield* sleeping(40 * 60_000)
      yield* TestClock.adjust("40 minutes")
      assert.include((yield* next("Disconnected")).reason, "listenKey")
      yield* sleeping(1000)
      yield* TestClock.adjust("1 second")
      yield* next("Connected")
      yield* next("Resynced")
      assert.strictEqual(ws.connections[1]!.url, "ws://127.0.0.1:1/private/ws?listenKey=key-2")
    }).pipe(Effect.provide(layer))
  })

  it.effect("-2015 (key rejected) ends the stream with InvalidApiKey, without retrying or showing the key", () => {
    const { ex, layer, ws } = setup()
    ex.state.post = error(401, -2015, "Invalid API-key, IP, or permissions for action.")
    return Effect.gen(function*() {
      const { fiber, out } = yield* consume
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.strictEqual(failure?._tag, "InvalidApiKey")
        assert.notInclude(JSON.stringify(failure) + String(failure), API_KEY)
      }
      assert.strictEqual(yield* Queue.size(out), 0)
      assert.strictEqual(ex.calls("POST"), 1)
      assert.strictEqual(ws.connections.length, 0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("reconnects on the back-off schedule, telling Disconnected once", () => {
    const { layer, ws } = setup({ reconnect: Schedule.exponential("1 second") })
    return Effect.gen(function*() {
      const { next, out } = yield* consume
      yield* next("Connected")
      yield* next("Resynced")
      ws.refuse(2)
      ws.connections[0]!.drop()
      assert.include((yield* next("Disconnected")).reason, "closed")
      for (const [delay, attempts] of [[1000, 2], [2000, 3], [4000, 4]] as const) {
        yield* sleeping(delay)
        yield* TestClock.adjust(delay)
        yield* until(() => ws.connections.length === attempts, `connection attempt ${attempts}`)
      }
      yield* next("Connected")
      yield* next("Resynced")
      assert.strictEqual(yield* Queue.size(out), 0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("rollover: a new connection before the old one closes, an event seen on both passed on once", () => {
    const { layer, ws } = setup({ rolloverAfter: "1 hour" })
    return Effect.gen(function*() {
      const { next, out } = yield* consume
      yield* next("Connected")
      yield* next("Resynced")
      ws.hold(1)
      yield* sleeping(60 * 60_000)
      yield* TestClock.adjust("1 hour")
      yield* until(() => ws.connections.length === 2, "the second connection")
      const [old, fresh] = [ws.connections[0]!, ws.connections[1]!]
      assert.strictEqual(fresh.url, old.url)
      assert.isFalse(old.closedByClient)
      const both = config({ ai: { j: true } })
      old.push(both)
      fresh.push(both)
      fresh.accept()
      fresh.push(config({ ac: { s: "BTCUSDT", l: 7 } }))
      yield* next("MultiAssetsChanged")
      assert.strictEqual((yield* next("LeverageChanged")).leverage, 7)
      yield* until(() => old.closedByClient, "the old connection closed")
      assert.strictEqual(yield* Queue.size(out), 0)
    }).pipe(Effect.provide(layer))
  })
})

describe("UserDataStream.streamUrl", () => {
  it("production, testnet, demo and the simulator", () => {
    assert.strictEqual(UserDataStream.streamUrl("https://fapi.binance.com", {})("k"), "wss://fstream.binance.com/private/ws?listenKey=k")
    assert.strictEqual(UserDataStream.streamUrl("https://testnet.binancefuture.com", {})("k"), "wss://fstream.binancefuture.com/ws/k")
    assert.strictEqual(UserDataStream.streamUrl("https://demo-fapi.binance.com", {})("k"), "wss://demo-fstream.binance.com/ws/k")
    assert.strictEqual(UserDataStream.streamUrl("http://127.0.0.1:8080", {})("k"), "ws://127.0.0.1:8080/private/ws?listenKey=k")
    assert.strictEqual(
      UserDataStream.streamUrl("http://127.0.0.1:8080", { websocketUrl: "ws://h:1/", path: "legacy" })("k"),
      "ws://h:1/ws/k"
    )
  })
})
