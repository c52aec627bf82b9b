import { assert, describe, it } from "@effect/vitest"
import * as Socket from "@effect/platform/Socket"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Simulator from "../src/Simulator.js"
import * as SimulatorWebSocket from "../src/SimulatorWebSocket.js"
import { API_KEYS, control, creds, makeSim, send, setMultiAssets } from "./support/Client.js"

const listenKey = (sim: Simulator.SimulatorShape, method: "POST" | "DELETE") =>
  send(sim, { method, path: "/fapi/v1/listenKey", headers: { "X-MBX-APIKEY": API_KEYS.HMAC } })

/** Lets the socket open (a microtask) and waits until the simulator counts `n` connections. */
const connections = (sim: Simulator.SimulatorShape, n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 100; i++) {
      const view = yield* control(sim, "GET", "/_sim/stream")
      if ((view.json.keys[0]?.connections ?? 0) === n) return true
      yield* Effect.promise(() => new Promise<void>((resolve) => queueMicrotask(resolve)))
    }
    return false
  })

describe("SimulatorWebSocket (Socket.WebSocketConstructor in process)", () => {
  it.scoped("Socket.makeWebSocket receives the events of both path forms and ends cleanly when the key is closed", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const key = (yield* listenKey(sim, "POST")).json.listenKey
      const received: Array<string> = []
      const fibers = []
      for (const path of [`/private/ws?listenKey=${key}`, `/private/stream?listenKey=${key}`]) {
        const socket = yield* Socket.makeWebSocket(`ws://simulator${path}`).pipe(Effect.provide(SimulatorWebSocket.layer(sim)))
        fibers.push(yield* Effect.fork(socket.runRaw((data) => void received.push(String(data)))))
      }
      assert.isTrue(yield* connections(sim, 2))
      yield* setMultiAssets(sim, yield* creds("HMAC"), true)
      const event = "{\"e\":\"ACCOUNT_CONFIG_UPDATE\",\"E\":0,\"T\":0,\"ai\":{\"j\":true}}"
      assert.deepStrictEqual(received, [event, `{"stream":"${key}","data":${event}}`])
      yield* listenKey(sim, "DELETE")
      for (const fiber of fibers) yield* Fiber.join(fiber)
    }))

  it.scoped("an unknown key fails the socket as a refused handshake; a dropped connection is an unclean close", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const refused = yield* Socket.makeWebSocket("ws://simulator/ws/nope").pipe(
        Effect.flatMap((socket) => Effect.flip(socket.runRaw(() => {}))),
        Effect.provide(SimulatorWebSocket.layer(sim))
      )
      assert.strictEqual(refused._tag, "SocketError")
      assert.strictEqual((refused as Socket.SocketGenericError).reason, "Open")
      const key = (yield* listenKey(sim, "POST")).json.listenKey
      const socket = yield* Socket.makeWebSocket(`ws://simulator/ws/${key}`).pipe(Effect.provide(SimulatorWebSocket.layer(sim)))
      const fiber = yield* Effect.fork(Effect.flip(socket.runRaw(() => {})))
      assert.isTrue(yield* connections(sim, 1))
      yield* control(sim, "POST", "/_sim/stream/drop", {})
      const dropped = yield* Fiber.join(fiber)
      assert.strictEqual((dropped as Socket.SocketCloseError).code, 1006)
    }))
})
