/**
 * `marginctl-gateway serve`: the gateway on Node's HTTP server with the configuration of a file (or,
 * with `--demo`, in front of an embedded simulator), until SIGINT/SIGTERM.
 */
import * as HttpServer from "@effect/platform/HttpServer"
import { NodeClient } from "@marginctl/core/node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Config from "./Config.js"
import * as Demo from "./Demo.js"
import * as Gateway from "./Gateway.js"
import * as NodeServer from "./NodeServer.js"

const levels = { debug: LogLevel.Debug, info: LogLevel.Info, warning: LogLevel.Warning, error: LogLevel.Error } as const

const loggerLayer = (c: Config.GatewayConfigShape) =>
  Layer.mergeAll(
    c.logFormat === "json" ? Logger.json : c.logFormat === "pretty" ? Logger.pretty : Logger.logFmt,
    Logger.minimumLogLevel(levels[c.logLevel])
  )

export interface ServeOptions {
  /** Serve a demo account on the embedded simulator instead of a config file. */
  readonly demo: boolean
  /** The config file; undefined: $MARGINCTL_GATEWAY_CONFIG or ./marginctl-gateway.json. */
  readonly configPath: string | undefined
}

export const serve = (options: ServeOptions) =>
  Effect.scoped(Effect.gen(function*() {
    const d = options.demo ? yield* Demo.start() : undefined
    const config = d?.config ?? (yield* Config.load(options.configPath))
    const layer = Gateway.layer(
      NodeClient.layer,
      NodeServer.layer({ host: config.host, port: config.port })
    ).pipe(Layer.provide(Layer.succeed(Config.GatewayConfig, config)))
    // Says where it listens (and the demo's commands) once the server is up; `Layer.launch` keeps it up.
    const announce = Layer.effectDiscard(Effect.gen(function*() {
      const address = (yield* HttpServer.HttpServer).address
      const url = address._tag === "TcpAddress" ? `http://${address.hostname}:${address.port}` : `unix:${address.path}`
      yield* Effect.logInfo(`listening on ${url} (${config.accounts.length} account(s), audit ${config.audit.store}, budget ${config.redisUrl ? "redis" : "memory"})`)
      if (d !== undefined) yield* Effect.sync(() => process.stdout.write(Demo.banner(d, url)))
    }))
    yield* Layer.launch(Layer.provide(announce, layer)).pipe(
      Effect.onInterrupt(() => Effect.logInfo("shutting down")),
      Effect.provide(loggerLayer(config))
    )
  }))
