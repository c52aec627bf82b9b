import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Exchange from "../src/Exchange.js"
import { Simulator } from "../src/Simulator.js"
import * as SimulatorHttpClient from "../src/SimulatorHttpClient.js"
import * as Wire from "../src/Wire.js"
import { seedWith } from "./support/Client.js"

describe("Wire", () => {
  it("parses query and body; the query wins; '+' is a space; UTF-8 is decoded", () => {
    const p = Wire.parse("symbol=%E5%B8%81%E5%AE%89%E4%BA%BA%E7%94%9FUSDT&a=x+y", "symbol=ETHUSDT&b=2&&")
    assert.strictEqual(p.values.get("symbol")!.value, "币安人生USDT")
    assert.strictEqual(p.values.get("symbol")!.source, "query")
    assert.strictEqual(p.values.get("a")!.value, "x y")
    assert.strictEqual(p.values.get("b")!.value, "2")
    assert.isFalse(p.duplicate)
    assert.isFalse(p.illegal)
    assert.strictEqual(p.bodyCount, 2)
  })

  it("flags duplicates within one source and malformed percent-encoding", () => {
    assert.isTrue(Wire.parse("a=1&a=2", undefined).duplicate)
    assert.isTrue(Wire.parse("", "a=1&a=1").duplicate)
    assert.isFalse(Wire.parse("a=1", "a=2").duplicate)
    assert.isTrue(Wire.parse("a=%E5%B8", undefined).illegal)
    assert.isTrue(Wire.parse("a=%zz", undefined).illegal)
    assert.isTrue(Wire.parse("%FF=1", undefined).illegal)
  })

  it("the signed payload is query ‖ body without the final signature", () => {
    const cases: ReadonlyArray<readonly [string, string, string | undefined]> = [
      ["a=1&timestamp=2&signature=abc", "", "a=1&timestamp=2"],
      ["signature=abc", "", ""],
      ["symbol=BTCUSDT", "marginType=ISOLATED&timestamp=1&signature=abc", "symbol=BTCUSDTmarginType=ISOLATED&timestamp=1"],
      ["", "a=1&signature=abc", "a=1"],
      ["a=1&signature=abc&", "", "a=1"],
      ["signature=abc&a=1", "", undefined],
      ["signature=abc", "a=1", undefined],
      ["a=1", "signature=abc&b=2", undefined],
      ["a=1", "", undefined]
    ]
    for (const [query, body, expected] of cases) {
      assert.strictEqual(Wire.signedPayload(query, body, Wire.parse(query, body)), expected, `${query} | ${body}`)
    }
  })

  it("form bodies: absent or form content types only", () => {
    assert.isTrue(Wire.isFormBody(undefined))
    assert.isTrue(Wire.isFormBody("application/x-www-form-urlencoded; charset=UTF-8"))
    assert.isFalse(Wire.isFormBody("application/json"))
  })

  it("splits a request target", () => {
    assert.deepStrictEqual(Exchange.splitTarget("/fapi/v1/time?x=1&y"), { path: "/fapi/v1/time", query: "x=1&y" })
    assert.deepStrictEqual(Exchange.splitTarget("/fapi/v1/time"), { path: "/fapi/v1/time", query: "" })
  })
})

describe("layers", () => {
  const SimLive = Simulator.Default({ seed: seedWith() })

  it.effect("Simulator.Default + SimulatorHttpClient.layer give an HttpClient answered by the simulator", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const response = yield* client.execute(HttpClientRequest.get("https://fapi.binance.com/fapi/v1/time"))
      assert.strictEqual(response.status, 200)
      assert.deepStrictEqual(yield* response.json, { serverTime: 0 })
      const sim = yield* Simulator
      assert.strictEqual(sim.requestCount("/fapi/v1/time"), 1)
      const direct = yield* Exchange.handle({ method: "GET", path: "/fapi/v1/ping", query: "", body: "", headers: {}, clientIp: "1.2.3.4" })
      assert.strictEqual(direct.body, "{}")
    }).pipe(Effect.provide(Layer.provideMerge(SimulatorHttpClient.layer(), SimLive))))
})
