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
