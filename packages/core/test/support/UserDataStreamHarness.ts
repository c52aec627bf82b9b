/**
 * The user-data stream on a scripted exchange (listenKey calls, accountConfig, symbolConfig) and an
 * in-memory WebSocket server, with helpers to consume it and to move the TestClock at the right time.
 */
import { assert } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as BinanceConfig from "../../src/BinanceConfig.js"
import { BinanceHttp } from "../../src/BinanceHttp.js"
import * as Signer from "../../src/Signer.js"
import type { UserDataEvent } from "../../src/UserDataEvent.js"
import * as UserDataStream from "../../src/UserDataStream.js"
import * as WeightBudget from "../../src/WeightBudget.js"
import { fakeServer, until } from "./FakeWebSocket.js"
import { type Answer, API_KEY, scripted, SECRET, symbolConfig, time } from "./ScriptedBinance.js"

/** A scripted exchange: listenKey calls, accountConfig and symbolConfig, with state a test changes. */
export const exchange = () => {
  const state = {
    key: 1,
    multiAssets: false,
    post: undefined as Answer | undefined,
    put: undefined as Answer | undefined,
    /** Runs when accountConfig is read (the settings being read again). */
    onRead: () => {}
  }
  const { layer, seen } = scripted((req) => {
    if (req.path === "/fapi/v1/time") return time(0)
    if (req.path === "/fapi/v1/listenKey") {
      if (req.method === "POST") return state.post ?? { body: { listenKey: `key-${state.key}` } }
      if (req.method === "PUT") return state.put ?? { body: { listenKey: `key-${state.key}` } }
      return { body: {} }
    }
    if (req.path === "/fapi/v1/accountConfig") {
      state.onRead()
      return { body: { dualSidePosition: false, multiAssetsMargin: state.multiAssets, feeTier: 0 } }
    }
    return symbolConfig([["BTCUSDT", "CROSSED"]])
  })
  const calls = (method: string) => seen.filter((r) => r.path === "/fapi/v1/listenKey" && r.method === method).length
  return { state, seen, calls, layer }
}

export const setup = (options: UserDataStream.Options = {}) => {
  const ex = exchange()
  const ws = fakeServer()
  const deps = BinanceHttp.Default.pipe(
    Layer.provideMerge(Layer.mergeAll(
      BinanceConfig.layer({ baseUrl: "http://127.0.0.1:1", apiKey: Redacted.make(API_KEY) }),
      Signer.layer(Signer.hmac(Redacted.make(SECRET))),
      WeightBudget.layerMemory(),
      ex.layer,
      ws.layer
    )),
    Layer.orDie
  )
  const layer = UserDataStream.UserDataStream.Default({ reconnect: Schedule.spaced("1 second"), ...options }).pipe(
    Layer.provideMerge(deps),
    Layer.orDie
  )
  return { ex, ws, deps, layer }
}

/** Consumes the stream into a queue. */
export const consume = Effect.gen(function*() {
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
export const sleeping = (ms: number) =>
  until(
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      return Chunk.some(yield* TestClock.sleeps(), (t) => t - now === ms)
    }),
    `a sleep of ${ms} ms`
  )

export const config = (e: object) => ({ e: "ACCOUNT_CONFIG_UPDATE", E: 1700000000100, T: 1700000000099, ...e })
