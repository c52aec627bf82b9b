import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as UserDataStream from "../src/UserDataStream.js"
import { until } from "./support/FakeWebSocket.js"
import { API_KEY, error } from "./support/ScriptedBinance.js"
import { config, consume, setup, sleeping } from "./support/UserDataStreamHarness.js"

describe("UserDataStream", () => {
  it.effect("connects with a new key, re-reads the settings, passes changes on, ignores other events", () => {
    const { ex, layer, ws } = setup()
    return Effect.gen(function*() {
      const { next } = yield* consume
      yield* next("Connected")
      const resynced = yield* next("Resynced")
      assert.deepStrictEqual(resynced.settings, {
        multiAssetsMargin: false,
        dualSidePosition: false,
        symbols: [{ symbol: "BTCUSDT" as never, marginType: "CROSSED", leverage: 20 }],
        readWeight: 10
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

  it.effect("a change received while the settings are read again comes after Resynced", () => {
    const { ex, layer, ws } = setup()
    ex.state.onRead = () => ws.connections[0]?.push(config({ ai: { j: true } }))
    return Effect.gen(function*() {
      const { next } = yield* consume
      yield* next("Connected")
      yield* next("Resynced")
      assert.isTrue((yield* next("MultiAssetsChanged")).multiAssets)
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
      assert.isTrue((yield* next("Resynced")).settings.multiAssetsMargin)
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
      // The connection had lasted 40 minutes: reconnected at once.
      yield* next("Connected")
      yield* next("Resynced")
      assert.strictEqual(ws.connections[1]!.url, "ws://127.0.0.1:1/private/ws?listenKey=key-2")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a keep-alive refused for a passing reason (429) is sent again a minute later; the stream stays up", () => {
    const { ex, layer } = setup()
    return Effect.gen(function*() {
      const { next, out } = yield* consume
      yield* next("Connected")
      yield* next("Resynced")
      ex.state.put = error(429, -1003, "Too many requests; current limit is 2400 request weight per 1 MINUTE.", { "retry-after": "30" })
      yield* sleeping(40 * 60_000)
      yield* TestClock.adjust("40 minutes")
      yield* until(() => ex.calls("PUT") === 1, "the refused keep-alive")
      ex.state.put = undefined
      yield* sleeping(60_000)
      yield* TestClock.adjust("1 minute")
      yield* until(() => ex.calls("PUT") === 2, "the keep-alive sent again")
      yield* sleeping(40 * 60_000)
      assert.strictEqual(yield* Queue.size(out), 0)
      assert.strictEqual(ex.calls("POST"), 1)
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

  it.effect("reconnects on the back-off schedule, telling Disconnected once; a connection that lasted a minute starts it over", () => {
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
      // Lost again at once: the row goes on (8 s).
      ws.connections[3]!.drop()
      yield* next("Disconnected")
      yield* sleeping(8000)
      yield* TestClock.adjust(8000)
      yield* next("Connected")
      yield* next("Resynced")
      // Lost after a minute: reconnected at once, and the next failure waits the schedule's first delay.
      yield* TestClock.adjust("2 minutes")
      ws.refuse(1)
      ws.connections[4]!.drop()
      yield* next("Disconnected")
      yield* until(() => ws.connections.length === 6, "the immediate reconnection")
      yield* sleeping(1000)
      yield* TestClock.adjust(1000)
      yield* next("Connected")
      yield* next("Resynced")
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

describe("UserDataStream options", () => {
  it.effect("a bad option fails the layer with InvalidInput naming the field and what is accepted", () =>
    Effect.gen(function*() {
      for (const [options, field] of [
        [{ keepAliveEvery: "2 hours" }, "keepAliveEvery"],
        [{ rolloverAfter: "25 hours" }, "rolloverAfter"],
        [{ websocketUrl: "https://fstream.binance.com" }, "websocketUrl"],
        [{ websocketUrl: "not a url" }, "websocketUrl"]
      ] as const) {
        const error = yield* Layer.build(UserDataStream.UserDataStream.Default(options).pipe(Layer.provide(setup().deps))).pipe(
          Effect.scoped,
          Effect.flip
        )
        assert.strictEqual(error._tag, "InvalidInput")
        assert.strictEqual(error.field, field)
        assert.match(error.accepted, /duration from|ws:\/\/ or wss:\/\//)
      }
    }))
})
