/**
 * An in-memory stand-in for the WebSocket server of the user-data stream, as a
 * `Socket.WebSocketConstructor` layer: each connection the client opens is recorded (its URL, whether
 * the client closed it) and the test sends it messages or drops it.
 */
import * as Socket from "@effect/platform/Socket"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

export class FakeConnection extends EventTarget {
  readyState = 1
  closedByClient = false
  constructor(readonly url: string) {
    super()
  }
  /** The server sends a text message. */
  push(message: unknown): void {
    const data = typeof message === "string" ? message : JSON.stringify(message)
    this.dispatchEvent(Object.assign(new Event("message"), { data }))
  }
  /** The server (or the network) ends the connection. */
  drop(code = 1006): void {
    this.readyState = 3
    this.dispatchEvent(Object.assign(new Event("close"), { code, reason: "" }))
  }
  /** A held connection opens. */
  accept(): void {
    this.readyState = 1
    this.dispatchEvent(new Event("open"))
  }
  close(): void {
    this.closedByClient = true
    this.readyState = 3
  }
  send(): void {}
}

export const fakeServer = () => {
  const connections: Array<FakeConnection> = []
  let refusing = 0
  let holding = 0
  const construct = (url: string): globalThis.WebSocket => {
    const conn = new FakeConnection(url)
    connections.push(conn)
    if (refusing > 0) {
      refusing--
      conn.readyState = 0
      queueMicrotask(() => conn.dispatchEvent(new Event("error")))
    }
    if (holding > 0) {
      holding--
      conn.readyState = 0
    }
    return conn as unknown as globalThis.WebSocket
  }
  return {
    connections,
    /** The next `n` connections fail to open. */
    refuse: (n: number) => {
      refusing = n
    },
    /** The next `n` connections wait for `accept()` before they open. */
    hold: (n: number) => {
      holding = n
    },
    /** The connections the client has not closed and the server has not dropped. */
    open: () => connections.filter((c) => c.readyState === 1),
    layer: Layer.succeed(Socket.WebSocketConstructor, construct)
  }
}

/** Waits (in real time, a few ms at a time) until `condition` holds; fails the test after 2 s. */
export const until = <E = never, R = never>(condition: (() => boolean) | Effect.Effect<boolean, E, R>, what: string): Effect.Effect<void, E, R> =>
  Effect.gen(function*() {
    for (let i = 0; i < 400; i++) {
      if (typeof condition === "function" ? condition() : yield* condition) return
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    }
    return yield* Effect.die(new Error(`timed out waiting for ${what}`))
  })
