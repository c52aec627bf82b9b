/**
 * The core's UserDataStream against the simulator's real server on 127.0.0.1 (REST and WebSocket on
 * one port, `ws` as the WebSocket): changes made with another key arrive; a dropped connection and an
 * expired key are recovered, each with the settings read again; the listenKey calls are weighed.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Socket from "@effect/platform/Socket"
import * as BinanceConfig from "@marginctl/core/BinanceConfig"
import { BinanceHttp } from "@marginctl/core/BinanceHttp"
import * as Catalog from "@marginctl/core/Catalog"
import * as Signer from "@marginctl/core/Signer"
import type { UserDataEvent } from "@marginctl/core/UserDataEvent"
import * as UserDataStream from "@marginctl/core/UserDataStream"
import * as WeightBudget from "@marginctl/core/WeightBudget"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import WebSocket from "ws"
import * as Server from "../src/Server.js"
import { API_KEYS, creds, HMAC_SECRET, seedWith } from "./support/Client.js"

const ADMIN = { Authorization: "Bearer admin-token", "Content-Type": "application/json" }

const rest = (server: Server.RunningServer, method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
  Effect.promise(() => fetch(`${server.url}${path}`, { method, ...init }).then(async (r) => ({ status: r.status, json: await r.json() })))

/** A signed POST with the account's Ed25519 key: a change made by another client than the stream's. */
const changeWithOtherKey = (server: Server.RunningServer, path: string, params: string) =>
  Effect.gen(function*() {
    const c = yield* creds("ED25519")
    const payload = `${params}&timestamp=${Date.now()}`
    const signature = encodeURIComponent(yield* Effect.orDie(c.signer.sign(payload)))
    const answer = yield* rest(server, "POST", path, {
      headers: { "X-MBX-APIKEY": c.apiKey, "Content-Type": "application/x-www-form-urlencoded" },
      body: `${payload}&signature=${signature}`
    })
    assert.strictEqual(answer.status, 200, JSON.stringify(answer.json))
  })

/** The stream with the account's HMAC key, over the platform's fetch client and `ws`. */
const streamLayer = (server: Server.RunningServer) =>
  UserDataStream.UserDataStream.Default({ reconnect: Schedule.spaced("20 millis") }).pipe(
    Layer.provideMerge(BinanceHttp.Default),
    Layer.provide(Layer.mergeAll(
      BinanceConfig.layer({ baseUrl: server.url, apiKey: Redacted.make(API_KEYS.HMAC) }),
      Signer.layer(Signer.hmac(Redacted.make(HMAC_SECRET))),
      WeightBudget.layerMemory(),
      FetchHttpClient.layer,
      Layer.succeed(Socket.WebSocketConstructor, (url: string) => new WebSocket(url) as unknown as globalThis.WebSocket)
    )),
    Layer.orDie
  )

describe("core UserDataStream against the simulator's server", () => {
  it.scopedLive("changes by another key arrive; a drop and an expired key are recovered with Resynced; the key calls are weighed", () =>
    Effect.gen(function*() {
      const server = yield* Server.scoped({ seed: seedWith(), adminToken: "admin-token", keyExpiryCheckMs: 20 })
      const count = (label: string) => Effect.map(rest(server, "GET", "/_sim/requests/count", { headers: ADMIN }), (r) => (r.json.byEndpoint[label] ?? 0) as number)
      const { fiber, next } = yield* Effect.gen(function*() {
        const stream = yield* UserDataStream.UserDataStream
        const out = yield* Queue.unbounded<UserDataEvent>()
        const fiber = yield* stream.events.pipe(Stream.runForEach((e) => Queue.offer(out, e)), Effect.fork)
        const next = <T extends UserDataEvent["_tag"]>(tag: T) =>
          Effect.map(Queue.take(out).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error(`no ${tag}`) })), (e) => {
            assert.strictEqual(e._tag, tag, `expected ${tag}, got ${JSON.stringify(e)}`)
            return e as Extract<UserDataEvent, { _tag: T }>
          })
        return { fiber, next }
      }).pipe(Effect.provide(streamLayer(server)))

      yield* next("Connected")
      const first = yield* next("Resynced")
      assert.isFalse(first.settings.multiAssetsMargin)
      assert.strictEqual(first.settings.symbols.find((s) => s.symbol === "BTCUSDT")?.marginType, "CROSSED")

      yield* changeWithOtherKey(server, "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=33")
      const leverage = yield* next("LeverageChanged")
      assert.deepStrictEqual([leverage.symbol, leverage.leverage], ["BTCUSDT", 33])
      yield* changeWithOtherKey(server, "/fapi/v1/marginType", "symbol=ETHUSDT&marginType=ISOLATED")
      const margin = yield* next("MarginTypeChanged")
      assert.deepStrictEqual([margin.symbol, margin.marginType], ["ETHUSDT", "ISOLATED"])

      // Dropped: a change made while the stream is down shows in the settings read after reconnecting
      // (the new key's answer is held back until the change is made).
      const fault = JSON.stringify({ kind: "latency", ms: 300, endpoint: "/fapi/v1/listenKey", method: "POST" })
      assert.strictEqual((yield* rest(server, "POST", "/_sim/faults", { headers: ADMIN, body: fault })).status, 201)
      assert.deepStrictEqual((yield* rest(server, "POST", "/_sim/stream/drop", { headers: ADMIN, body: JSON.stringify({ account: "main" }) })).json, { dropped: 1 })
      assert.include((yield* next("Disconnected")).reason, "closed")
      yield* rest(server, "PUT", "/_sim/accounts/main/settings", { headers: ADMIN, body: JSON.stringify({ multiAssetsMargin: true }) })
      yield* rest(server, "DELETE", "/_sim/faults", { headers: ADMIN })
      yield* next("Connected")
      assert.isTrue((yield* next("Resynced")).settings.multiAssetsMargin)

      // Expired: a new key, and the stream goes on.
      assert.deepStrictEqual((yield* rest(server, "POST", "/_sim/stream/expire", { headers: ADMIN })).json, { expired: 1 })
      assert.include((yield* next("Disconnected")).reason, "listen-key-expired")
      yield* next("Connected")
      yield* next("Resynced")
      yield* changeWithOtherKey(server, "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=12")
      assert.strictEqual((yield* next("LeverageChanged")).leverage, 12)
      assert.strictEqual(yield* count("POST /fapi/v1/listenKey"), 3)

      // The weight the simulator counted is the catalog's weight of the calls it received.
      const counted = (yield* rest(server, "GET", "/_sim/requests/count", { headers: ADMIN })).json.byEndpoint as Record<string, number>
      const expected = Object.entries(counted).reduce((sum, [label, n]) => {
        const [method, path] = label.split(" ")
        const endpoint = Catalog.find(method!, path!)
        return endpoint === undefined || endpoint.path === "/fapi/v1/leverage" || endpoint.path === "/fapi/v1/marginType"
          ? sum
          : sum + n * endpoint.weight({} as never)
      }, 0)
      const weight = (yield* rest(server, "GET", "/_sim/weight", { headers: ADMIN })).json
      assert.isAtLeast(expected, 3 * (1 + 10))
      assert.strictEqual(weight.ips["127.0.0.1"].used, expected + counted["POST /fapi/v1/leverage"]! + counted["POST /fapi/v1/marginType"]!)

      yield* Fiber.interrupt(fiber)
      assert.strictEqual(yield* count("DELETE /fapi/v1/listenKey"), 1)
    }))
})
