/**
 * The node:http server of the Effect app (an `HttpServer`). Every request first meets the hot path
 * (`HotPath`: fresh cached reads answered from the contract, auth and cache before the Effect
 * runtime); the rest go to the app. Hand-made rather than `NodeHttpServer.layer` for the hot path and
 * for the shutdown: new requests get 503 once the app is gone, idle connections are closed, and open
 * ones get `drainMs` before they are cut (`NodeHttpServer` waits for every connection to end).
 */
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { HotPath } from "./HotPath.js"

export const layer = (options: { readonly host: string; readonly port: number; readonly drainMs?: number }) =>
  Layer.scoped(
    HttpServer.HttpServer,
    Effect.gen(function*() {
      const hot = yield* HotPath
      let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
      const server = createServer({ keepAliveTimeout: 65_000, noDelay: true }, (req, res) => {
        if (hot(req, res)) return
        if (handler !== undefined) return handler(req, res)
        res.writeHead(503, { "content-type": "application/json", connection: "close" })
          .end(JSON.stringify({ _tag: "ShuttingDown", message: "the gateway is shutting down" }))
      })
      yield* Effect.acquireRelease(
        Effect.async<void, Error>((resume) => {
          const onError = (e: Error) => resume(Effect.fail(e))
          server.once("error", onError)
          server.listen(options.port, options.host, () => {
            server.off("error", onError)
            resume(Effect.void)
          })
        }),
        () =>
          Effect.async<void>((resume) => {
            const timer = setTimeout(() => server.closeAllConnections(), options.drainMs ?? 2000)
            server.close(() => {
              clearTimeout(timer)
              resume(Effect.void)
            })
            server.closeIdleConnections()
          })
      )
      const address = server.address() as AddressInfo
      return HttpServer.make({
        address: { _tag: "TcpAddress", hostname: address.address, port: address.port },
        serve: (app, middleware) =>
          Effect.gen(function*() {
            handler = yield* NodeHttpServer.makeHandler(app, middleware!)
            yield* Effect.addFinalizer(() =>
              Effect.sync(() => {
                handler = undefined
              })
            )
          })
      })
    })
  ).pipe(Layer.provideMerge(NodeHttpServer.layerContext))
