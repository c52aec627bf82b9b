/**
 * The user-data stream over WebSocket (the `ws` package) on the HTTP server's port: a bridge between
 * sockets and the engine's listenKey subscribers. Paths: `/private/ws?listenKey=KEY` and the legacy
 * `/ws/KEY` (each event as is), and the combined form `/private/stream?listenKey=KEY` (each event
 * wrapped as `{"stream":KEY,"data":event}`, as combined streams are); an unknown or expired key is
 * refused with HTTP 400 and Binance's -1125 body. Each connection is pinged every `streamPingIntervalMs` and closed when a ping stays unanswered for
 * `streamPongTimeoutMs`, or when it reaches `streamMaxConnectionMs` (all from the simulator's config,
 * read when the connection opens). The event-delay fault holds each event back, in order.
 * Node-only, like `Server`.
 */
import { messageOf } from "@marginctl/core/BinanceCodes"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as http from "node:http"
import type { Duplex } from "node:stream"
import { WebSocket, WebSocketServer } from "ws"
import type { SimulatorShape } from "./Simulator.js"
import { closeText, type CloseReason, framing, inOrder, type StreamTarget, streamTarget } from "./UserDataStream.js"

export interface StreamBridge {
  /** Stops the key-expiry timer and closes every stream connection. */
  readonly close: () => void
}

const refuse = (socket: Duplex, status: number, reason: string, body: string) => {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`
  )
}

/** One connection's side: sends events in order (each after its delay), pings, and ends. */
const connection = (sim: SimulatorShape, target: StreamTarget) => {
  let ws: WebSocket | undefined
  const frame = framing(target)
  const send = (text: string) => {
    if (ws?.readyState === WebSocket.OPEN) ws.send(frame(text))
  }
  const later = inOrder()
  return {
    subscriber: {
      event: (text: string, delayMs: number) => later(delayMs, () => send(text)),
      close: (reason: CloseReason) => {
        if (reason === "dropped") ws?.terminate()
        else later(0, () => ws?.close(1000, closeText[reason]))
      }
    },
    open: (socket: WebSocket) => {
      ws = socket
      const { streamMaxConnectionMs, streamPingIntervalMs, streamPongTimeoutMs } = sim.config
      let pongTimer: ReturnType<typeof setTimeout> | undefined
      const pinger = setInterval(() => {
        socket.ping()
        pongTimer ??= setTimeout(() => socket.terminate(), streamPongTimeoutMs)
      }, streamPingIntervalMs)
      const lifetime = setTimeout(() => socket.close(1000, "connection lifetime reached"), streamMaxConnectionMs)
      socket.on("pong", () => {
        clearTimeout(pongTimer)
        pongTimer = undefined
      })
      socket.once("close", () => {
        clearInterval(pinger)
        clearTimeout(pongTimer)
        clearTimeout(lifetime)
      })
    }
  }
}

/**
 * Serves the user-data stream on `server`'s `upgrade` requests; keys whose time is up are expired
 * every `keyExpiryCheckMs` (so that their connections hear `listenKeyExpired` without a request).
 */
export const attach = (server: http.Server, sim: SimulatorShape, keyExpiryCheckMs = 250): StreamBridge => {
  const wss = new WebSocketServer({ noServer: true })
  const sockets = new Set<WebSocket>()
  server.on("upgrade", (req: http.IncomingMessage, socket, head) => {
    const target = streamTarget(req.url ?? "/")
    if (target === undefined) {
      refuse(socket, 404, "Not Found", JSON.stringify({ code: -1099, msg: messageOf(-1099) }))
      return
    }
    const conn = connection(sim, target)
    const subscribed = Effect.runSync(Effect.either(sim.subscribe(target.listenKey, conn.subscriber)))
    if (Either.isLeft(subscribed)) {
      refuse(socket, 400, "Bad Request", JSON.stringify({ code: -1125, msg: messageOf(-1125) }))
      return
    }
    const unsubscribe = subscribed.right
    let upgraded = false
    socket.once("close", () => {
      if (!upgraded) unsubscribe()
    })
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true
      sockets.add(ws)
      ws.once("close", () => {
        sockets.delete(ws)
        unsubscribe()
      })
      conn.open(ws)
    })
  })
  const sweep = setInterval(() => Effect.runSync(sim.expireDueKeys), keyExpiryCheckMs)
  sweep.unref()
  return {
    close: () => {
      clearInterval(sweep)
      for (const ws of sockets) ws.terminate()
      wss.close()
    }
  }
}
