import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as UserDataStream from "../src/UserDataStream.js"

describe("UserDataStream.RECONNECT_DEFAULT", () => {
  it.effect("jittered exponential back-off from 500 ms, doubling, capped at 30 s", () =>
    Effect.gen(function*() {
      const delays = yield* Schedule.run(Schedule.delays(UserDataStream.RECONNECT_DEFAULT), 0, Array.from({ length: 12 }, () => undefined))
      const millis = Chunk.toReadonlyArray(delays).map(Duration.toMillis)
      assert.strictEqual(millis.length, 12)
      millis.forEach((ms, n) => {
        const base = Math.min(500 * 2 ** n, 30_000)
        assert.isTrue(ms >= base * 0.8 && ms <= base * 1.2, `delay ${n}: ${ms} ms, expected ${base} ms ± 20 %`)
      })
    }))
})

describe("UserDataStream.streamUrl", () => {
  it.effect("production, testnet, demo and the simulator; a websocketUrl of your own", () =>
    Effect.gen(function*() {
      const url = (base: string, options: UserDataStream.Options = {}) => Effect.map(UserDataStream.streamUrl(base, options), (of) => of("k"))
      assert.strictEqual(yield* url("https://fapi.binance.com"), "wss://fstream.binance.com/private/ws?listenKey=k")
      assert.strictEqual(yield* url("https://testnet.binancefuture.com"), "wss://fstream.binancefuture.com/ws/k")
      assert.strictEqual(yield* url("https://demo-fapi.binance.com"), "wss://demo-fstream.binance.com/ws/k")
      assert.strictEqual(yield* url("http://127.0.0.1:8080"), "ws://127.0.0.1:8080/private/ws?listenKey=k")
      assert.strictEqual(yield* url("http://127.0.0.1:8080", { websocketUrl: "ws://h:1/", path: "legacy" }), "ws://h:1/ws/k")
      for (const websocketUrl of ["https://fstream.binance.com", "not a url", "wss://h/?a=1"]) {
        const error = yield* Effect.flip(url("https://fapi.binance.com", { websocketUrl }))
        assert.strictEqual(error.field, "websocketUrl")
        assert.strictEqual(error.received, JSON.stringify(websocketUrl))
      }
    }))
})
