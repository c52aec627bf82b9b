/**
 * The core's Node entry point (`@marginctl/core/node`) against the simulator over a real socket:
 * `Client.layer` over `NodeClient.layer` reads and changes both settings with each key type (signed by
 * node:crypto, verified by the simulator), a request that outlives `requestTimeoutMs` is abandoned
 * with the core's timeout error, and interrupting a call aborts its request.
 */
import * as Client from "@marginctl/core/Client"
import { MarginClient } from "@marginctl/core/MarginClient"
import { NodeClient } from "@marginctl/core/node"
import * as Signer from "@marginctl/core/Signer"
import * as TimedHttpClient from "@marginctl/core/TimedHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Server from "../src/Server.js"
import { API_KEYS, ED25519_PRIVATE, HMAC_SECRET, type KeyKind, RSA_PRIVATE, seedWith } from "./support/Client.js"

const BTC = "BTCUSDT" as any

const optionsFor = (url: string, kind: KeyKind, extra: Partial<Client.Options> = {}): Client.Options => ({
  target: url,
  apiKey: API_KEYS[kind],
  ...(kind === "HMAC" ? { secret: Redacted.make(HMAC_SECRET) } : { privateKey: kind === "RSA" ? RSA_PRIVATE : ED25519_PRIVATE }),
  ...extra
})

describe("NodeClient.layer", () => {
  for (const kind of ["HMAC", "RSA", "ED25519"] as const) {
    it.scopedLive(`reads and changes both settings with a ${kind} key over undici`, () =>
      Effect.gen(function*() {
        const server = yield* Server.scoped({ seed: seedWith() })
        yield* Effect.gen(function*() {
          const client = yield* MarginClient
          assert.strictEqual(yield* client.getMultiAssetsMode(), false)
          assert.strictEqual((yield* client.setMarginType(BTC, "ISOLATED")).outcome, "changed")
          assert.strictEqual((yield* client.setMarginType(BTC, "ISOLATED")).outcome, "unchanged")
          assert.deepStrictEqual(yield* client.getMarginTypes([BTC]), [{ symbol: BTC, marginType: "ISOLATED" }])
          assert.strictEqual((yield* client.setMarginType(BTC, "CROSSED")).outcome, "changed")
          assert.strictEqual((yield* client.setMultiAssetsMode(true)).outcome, "changed")
          assert.strictEqual((yield* Signer.Signer).keyType, kind)
        }).pipe(Effect.provide(Client.layer(optionsFor(server.url, kind)).pipe(Layer.provide(NodeClient.layer))))
        // The exchange's own state, read apart from the client.
        assert.strictEqual(server.sim.account("main")?.multiAssetsMargin, true)
      }))
  }

  it.scopedLive("abandons a read that outlives requestTimeoutMs with the core's timeout error", () =>
    Effect.gen(function*() {
      const server = yield* Server.scoped({ seed: seedWith() })
      server.sim.faults.add({ kind: "latency", ms: 1500, endpoint: "/fapi/v1/accountConfig", count: 4 })
      const started = Date.now()
      const e = yield* Effect.flip(Effect.flatMap(MarginClient, (c) => c.getMultiAssetsMode()).pipe(
        // Transport errors of a read are retried 200/400/800 ms apart: four tries in all.
        Effect.provide(Client.layer(optionsFor(server.url, "HMAC", { requestTimeoutMs: 200 })).pipe(Layer.provide(NodeClient.layer)))
      ))
      assert.strictEqual(e._tag, "Transport")
      assert.include(e.message, "no answer within 200 ms")
      assert.isBelow(Date.now() - started, 1500 + 4 * 200)
    }))

  it.scopedLive("a TimedHttpClient request fails with RequestTimedOut; an interrupted one is aborted", () =>
    Effect.gen(function*() {
      const server = yield* Server.scoped({ seed: seedWith() })
      server.sim.faults.add({ kind: "latency", ms: 1000, endpoint: "/fapi/v1/time" })
      const timed = (yield* TimedHttpClient.TimedHttpClient).withTimeout(100)
      const failure = yield* Effect.flip(timed.execute(HttpClientRequest.get(`${server.url}/fapi/v1/time`)))
      assert.strictEqual(failure._tag, "RequestError")
      assert.isTrue(TimedHttpClient.isTimedOut(failure.cause))

      const plain = yield* HttpClient.HttpClient
      const fiber = yield* Effect.fork(plain.execute(HttpClientRequest.get(`${server.url}/fapi/v1/time`)))
      yield* Effect.sleep("50 millis")
      yield* Fiber.interrupt(fiber)
      server.sim.faults.clear()
      const answer = yield* plain.execute(HttpClientRequest.get(`${server.url}/fapi/v1/time`))
      assert.strictEqual(answer.status, 200)
      assert.isNumber(((yield* answer.json) as { serverTime: number }).serverTime)
      // The timed-out and the interrupted request reached the exchange too: three of weight 1.
      assert.strictEqual(answer.headers["x-mbx-used-weight-1m"], "3")
    }).pipe(Effect.provide(NodeClient.layer)))
})
