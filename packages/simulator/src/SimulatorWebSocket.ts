/**
 * The user-data stream in process, as a WebSocket: `layer(sim)` provides `@effect/platform`'s
 * `Socket.WebSocketConstructor` with sockets answered by the simulator, so code built on
 * `Socket.makeWebSocket` runs against it without a server. Any URL whose path is a user-data
 * stream path (`/private/ws?listenKey=`, `/private/stream?listenKey=`, `/ws/KEY`) is served; an
 * unknown key or another path fails the way a refused handshake does (`error`, then `close` 1006).
 * Events, the delay fault, expiry, closing and dropping behave as over the server; there are no
 * ping frames and no lifetime limit. Platform-free (EventTarget and timers of the host).
 */
import * as Socket from "@effect/platform/Socket"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type { SimulatorShape } from "./Simulator.js"
import { closeText, framing, inOrder, streamTarget } from "./UserDataStream.js"

const CONNECTING = 0
const OPEN = 1
const CLOSED = 3

const event = (type: string, fields: Record<string, unknown> = {}): Event => Object.assign(new Event(type), fields)

class SimulatorSocket extends EventTarget {
  readonly url: string
  readyState = CONNECTING
  binaryType = "blob"
  readonly protocol = ""
  readonly extensions = ""
  readonly bufferedAmount = 0
  private unsubscribe: (() => void) | undefined

  constructor(sim: SimulatorShape, url: string) {
    super()
    this.url = url
    const parsed = new URL(url, "ws://simulator")
    const target = streamTarget(parsed.pathname + parsed.search)
    const later = inOrder()
    // Opens after the caller has added its listeners, as a real socket does.
    queueMicrotask(() => {
      if (this.readyState !== CONNECTING) return
      if (target === undefined) return this.refused()
      const frame = framing(target)
      const subscribed = Effect.runSync(Effect.either(sim.subscribe(target.listenKey, {
        event: (text, delayMs) => later(delayMs, () => this.deliver(frame(text))),
        close: (reason) => (reason === "dropped" ? this.end(1006, "") : later(0, () => this.end(1000, closeText[reason])))
      })))
      if (Either.isLeft(subscribed)) return this.refused()
      this.unsubscribe = subscribed.right
      this.readyState = OPEN
      this.dispatchEvent(event("open"))
    })
  }

  private refused() {
    this.dispatchEvent(event("error"))
    this.end(1006, "")
  }

  private deliver(text: string) {
    if (this.readyState === OPEN) this.dispatchEvent(event("message", { data: text }))
  }

  private end(code: number, reason: string) {
    if (this.readyState === CLOSED) return
    this.readyState = CLOSED
    this.unsubscribe?.()
    this.dispatchEvent(event("close", { code, reason, wasClean: code !== 1006 }))
  }

  /** Frames from the client are accepted and ignored (the user-data stream takes none). */
  send(_data: unknown) {}

  close(code = 1000, reason = "") {
    this.end(code, reason)
  }
}

/** A WebSocket constructor whose sockets are answered by `sim`. */
export const constructor = (sim: SimulatorShape) => (url: string): globalThis.WebSocket =>
  new SimulatorSocket(sim, url) as unknown as globalThis.WebSocket

/** `Socket.WebSocketConstructor` answered by `sim`. */
export const layer = (sim: SimulatorShape): Layer.Layer<Socket.WebSocketConstructor> =>
  Layer.succeed(Socket.WebSocketConstructor, constructor(sim))
