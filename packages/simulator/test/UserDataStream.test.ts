import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import type * as Simulator from "../src/Simulator.js"
import type { CloseReason } from "../src/UserDataStream.js"
import { API_KEYS, control, creds, makeSim, READ_ONLY_KEY, seedWith, send, setMarginType, setMultiAssets, signed } from "./support/Client.js"

const MIN = 60_000

const listenKey = (sim: Simulator.SimulatorShape, method: "POST" | "PUT" | "DELETE", apiKey = API_KEYS.HMAC) =>
  send(sim, { method, path: "/fapi/v1/listenKey", headers: { "X-MBX-APIKEY": apiKey } })

/** Subscribes to a key and records what arrives. */
const record = (sim: Simulator.SimulatorShape, key: string) =>
  Effect.gen(function*() {
    const events: Array<any> = []
    const closed: Array<CloseReason> = []
    yield* sim.subscribe(key, { event: (text) => events.push(JSON.parse(text)), close: (r) => closed.push(r) })
    return { events, closed }
  }).pipe(Effect.orDie)

const setLeverage = (sim: Simulator.SimulatorShape, symbol: string, leverage: number) =>
  Effect.flatMap(creds("RSA"), (c) =>
    signed(sim, c, { method: "POST", path: "/fapi/v1/leverage", params: [["symbol", symbol], ["leverage", String(leverage)]] }))

describe("listenKey REST", () => {
  it.effect("POST answers the account's active key and extends it; PUT extends; DELETE closes; -1125 after expiry", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const first = yield* listenKey(sim, "POST")
      assert.strictEqual(first.status, 200)
      assert.match(first.json.listenKey, /^[A-Za-z0-9]{64}$/)
      assert.strictEqual(first.headers["x-mbx-used-weight-1m"], "1")
      yield* TestClock.adjust(50 * MIN)
      // another key of the same account gets the same listenKey, now valid for 60 more minutes
      assert.strictEqual((yield* listenKey(sim, "POST", READ_ONLY_KEY)).json.listenKey, first.json.listenKey)
      yield* TestClock.adjust(50 * MIN)
      assert.deepStrictEqual((yield* listenKey(sim, "PUT", API_KEYS.ED25519)).json, { listenKey: first.json.listenKey })
      yield* TestClock.adjust(59 * MIN)
      assert.strictEqual((yield* listenKey(sim, "PUT")).status, 200)
      yield* TestClock.adjust(61 * MIN)
      const expired = yield* listenKey(sim, "PUT")
      assert.strictEqual(expired.status, 400)
      assert.deepStrictEqual(expired.json, { code: -1125, msg: "This listenKey does not exist." })
      const second = yield* listenKey(sim, "POST")
      assert.notStrictEqual(second.json.listenKey, first.json.listenKey)
      assert.deepStrictEqual((yield* listenKey(sim, "DELETE")).json, {})
      assert.strictEqual((yield* listenKey(sim, "PUT")).json.code, -1125)
      assert.strictEqual((yield* listenKey(sim, "POST", "unknownKey")).json.code, -2015)
      assert.strictEqual(sim.requestCount("/fapi/v1/listenKey"), 9)
    }))

  it.effect("setLeverage stores the leverage and refuses more than the symbol's maximum with -4028", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const set = yield* setLeverage(sim, "BTCUSDT", 25)
      assert.deepStrictEqual(Object.keys(set.json), ["symbol", "leverage", "maxNotionalValue"])
      assert.strictEqual(set.json.leverage, 25)
      const config = yield* signed(sim, yield* creds("HMAC"), { method: "GET", path: "/fapi/v1/symbolConfig", params: [["symbol", "BTCUSDT"]] })
      assert.strictEqual(config.json[0].leverage, 25)
      const over = yield* setLeverage(sim, "BNBUSDT", 76)
      assert.strictEqual(over.status, 400)
      assert.deepStrictEqual(over.json, { code: -4028, msg: "Leverage 76 is not valid" })
      assert.strictEqual((yield* setLeverage(sim, "BTCUSDT", 126)).json.code, -1130)
      assert.strictEqual(sim.account("main")!.symbols.get("BTCUSDT")!.leverage, 25)
      assert.isUndefined(sim.account("main")!.symbols.get("BNBUSDT"))
    }))
})

describe("user-data events", () => {
  it.effect("each accepted REST change sends Binance's event shape; rejections, no-ops and position mode send none", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const key = (yield* listenKey(sim, "POST")).json.listenKey
      const { events } = yield* record(sim, key)
      yield* TestClock.adjust(1234)
      const rsa = yield* creds("RSA")
      assert.strictEqual((yield* setMultiAssets(sim, rsa, true)).json.code, 200)
      assert.deepStrictEqual(events, [{ e: "ACCOUNT_CONFIG_UPDATE", E: 1234, T: 1234, ai: { j: true } }])
      events.length = 0
      assert.strictEqual((yield* setMultiAssets(sim, rsa, true)).json.code, -4171)
      assert.strictEqual((yield* setMarginType(sim, rsa, "BTCUSDT", "ISOLATED")).json.code, -4168)
      assert.strictEqual((yield* setLeverage(sim, "BTCUSDT", 20)).status, 200)
      yield* control(sim, "PUT", "/_sim/accounts/main/settings", { dualSidePosition: true })
      assert.deepStrictEqual(events, [])
      yield* setMultiAssets(sim, rsa, false)
      yield* setLeverage(sim, "ETHUSDT", 7)
      yield* setMarginType(sim, rsa, "BTCUSDT", "ISOLATED")
      assert.deepStrictEqual(events.slice(1), [
        { e: "ACCOUNT_CONFIG_UPDATE", E: 1234, T: 1234, ac: { s: "ETHUSDT", l: 7 } },
        {
          e: "ACCOUNT_UPDATE",
          E: 1234,
          T: 1234,
          a: {
            m: "MARGIN_TYPE_CHANGE",
            B: [],
            P: ["BOTH", "LONG", "SHORT"].map((ps) => ({ s: "BTCUSDT", pa: "0", ep: "0", bep: "0", cr: "0", up: "0", mt: "isolated", iw: "0", ps }))
          }
        }
      ])
    }))

  it.effect("a change through the control API (Binance's app) sends the same events; a flat symbol's can be turned off", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({ positions: [{ symbol: "ETHUSDT", positionAmt: 2, entryPrice: 90, markPrice: 100 }] }))
      const { events } = yield* record(sim, (yield* listenKey(sim, "POST")).json.listenKey)
      yield* control(sim, "PUT", "/_sim/config", { marginTypeEventWhenFlat: false })
      const answer = yield* control(sim, "PUT", "/_sim/accounts/main/settings", {
        leverage: { BTCUSDT: 50 },
        marginTypes: { BTCUSDT: "ISOLATED", ETHUSDT: "ISOLATED" }
      })
      assert.strictEqual(answer.status, 200)
      assert.deepStrictEqual(events.map((e) => e.ac ?? e.a.P), [
        { s: "BTCUSDT", l: 50 },
        [{ s: "ETHUSDT", pa: "2", ep: "90", bep: "90", cr: "0", up: "20", mt: "isolated", iw: "0", ps: "BOTH" }]
      ])
    }))

  it.effect("in process: userDataEvents streams the texts, held back by the delay fault, and ends on expiry", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const key = (yield* listenKey(sim, "POST")).json.listenKey
      assert.strictEqual((yield* control(sim, "PUT", "/_sim/stream/delay", { ms: 5000 })).json.delayMs, 5000)
      const fiber = yield* Effect.fork(Stream.runCollect(sim.userDataEvents(key)))
      yield* Effect.yieldNow()
      yield* setMultiAssets(sim, yield* creds("HMAC"), true)
      yield* TestClock.adjust(4999)
      assert.strictEqual(sim.config.listenKeyTtlMs, 60 * MIN)
      assert.strictEqual((yield* control(sim, "POST", "/_sim/stream/expire", { account: "main" })).json.expired, 1)
      assert.isUndefined(yield* Fiber.poll(fiber).pipe(Effect.map((o) => o._tag === "Some" ? o : undefined)))
      yield* TestClock.adjust(1)
      const texts = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      assert.deepStrictEqual(texts, [
        "{\"e\":\"ACCOUNT_CONFIG_UPDATE\",\"E\":0,\"T\":0,\"ai\":{\"j\":true}}",
        `{"e":"listenKeyExpired","E":"4999","listenKey":"${key}"}`
      ])
      const unknown = yield* Effect.flip(Stream.runDrain(sim.userDataEvents(key)))
      assert.strictEqual(unknown._tag, "UnknownListenKey")
    }))

  it.effect("faults: drop ends the subscribers' streams (the key stays valid); 404 for an unknown account; a bad delay names the field", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const key = (yield* listenKey(sim, "POST")).json.listenKey
      const a = yield* record(sim, key)
      const b = yield* record(sim, key)
      assert.strictEqual((yield* control(sim, "GET", "/_sim/stream")).json.keys[0].connections, 2)
      assert.strictEqual((yield* control(sim, "POST", "/_sim/stream/drop", { account: "nobody" })).status, 404)
      assert.deepStrictEqual((yield* control(sim, "POST", "/_sim/stream/drop")).json, { dropped: 2 })
      assert.deepStrictEqual([a.closed, b.closed], [["dropped"], ["dropped"]])
      assert.strictEqual((yield* listenKey(sim, "PUT")).status, 200)
      const bad = yield* control(sim, "PUT", "/_sim/stream/delay", { ms: -1 })
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(bad.json.field, "ms")
      const c = yield* record(sim, key)
      yield* listenKey(sim, "DELETE")
      assert.deepStrictEqual(c.closed, ["closed"])
      assert.deepStrictEqual(c.events, [])
    }))
})
