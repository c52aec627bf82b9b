/**
 * The core's one-call `Client.layer` against the simulator: from plain options to a client that reads
 * and changes both settings, for each key type, with its own budget or a shared one.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Client from "@marginctl/core/Client"
import { MarginClient } from "@marginctl/core/MarginClient"
import * as WeightBudget from "@marginctl/core/WeightBudget"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { handle, Simulator } from "../src/Simulator.js"
import * as SimulatorHttpClient from "../src/SimulatorHttpClient.js"
import { API_KEYS, ED25519_PRIVATE, HMAC_SECRET, type KeyKind, makeSim, RSA_PRIVATE, seedWith } from "./support/Client.js"

const BTC = "BTCUSDT" as any

const optionsFor = (kind: KeyKind): Client.Options => ({
  target: "http://simulator.test",
  apiKey: API_KEYS[kind],
  ...(kind === "HMAC" ? { secret: Redacted.make(HMAC_SECRET) } : { privateKey: kind === "RSA" ? RSA_PRIVATE : ED25519_PRIVATE })
})

describe("Client.layer", () => {
  const roundTrip = Effect.gen(function*() {
    const client = yield* MarginClient
    assert.strictEqual(yield* client.getMultiAssetsMode(), false)
    assert.strictEqual((yield* client.setMarginType(BTC, "ISOLATED")).outcome, "changed")
    assert.strictEqual((yield* client.setMarginType(BTC, "ISOLATED")).outcome, "unchanged")
    assert.deepStrictEqual(yield* client.getMarginTypes([BTC]), [{ symbol: BTC, marginType: "ISOLATED" }])
    assert.strictEqual((yield* client.setMarginType(BTC, "CROSSED")).outcome, "changed")
    assert.strictEqual((yield* client.setMultiAssetsMode(true)).outcome, "changed")
    assert.strictEqual(yield* client.getMultiAssetsMode(), true)
    const budget = yield* WeightBudget.WeightBudget
    assert.isAbove((yield* budget.status).used, 0)
  })

  for (const kind of ["HMAC", "RSA", "ED25519"] as const) {
    it.effect(`reads and changes both settings with a ${kind} key`, () =>
      Effect.gen(function*() {
        const sim = yield* makeSim()
        yield* roundTrip.pipe(Effect.provide(Client.layer(optionsFor(kind)).pipe(Layer.provide(SimulatorHttpClient.layerWith(sim)))))
        // The exchange's own state, read apart from the client.
        assert.strictEqual(sim.account("main")?.multiAssetsMargin, true)
      }))
  }

  it.effect("shares one budget between clients with layerSharedBudget", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.makeMemory({ limit: 100 })
      const sim = yield* makeSim()
      const http = SimulatorHttpClient.layerWith(sim)
      const run = (kind: KeyKind) =>
        Effect.flatMap(MarginClient, (c) => c.getMultiAssetsMode()).pipe(
          Effect.provide(Client.layerSharedBudget(optionsFor(kind)).pipe(
            Layer.provide(Layer.mergeAll(http, Layer.succeed(WeightBudget.WeightBudget, budget)))
          ))
        )
      yield* run("HMAC")
      yield* run("ED25519")
      const status = yield* budget.status
      assert.strictEqual(status.limit, 100)
      assert.isAtLeast(status.used, 10) // two accountConfig reads (weight 5 each) on the one budget
    }))
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
      const direct = yield* handle({ method: "GET", path: "/fapi/v1/ping", query: "", body: "", headers: {}, clientIp: "1.2.3.4" })
      assert.strictEqual(direct.body, "{}")
    }).pipe(Effect.provide(Layer.provideMerge(SimulatorHttpClient.layer(), SimLive))))
})
