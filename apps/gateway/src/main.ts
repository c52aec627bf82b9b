/**
 * marginctl-gateway
 *
 *   marginctl-gateway [--config FILE]     serve the accounts of FILE (default: MARGINCTL_GATEWAY_CONFIG
 *                                         or ./marginctl-gateway.json)
 *   marginctl-gateway --demo              serve a demo account on the embedded simulator
 *   marginctl-gateway hash-token [TOKEN]  print the SHA-256 of TOKEN (or of stdin) for the config
 *   marginctl-gateway new-token           print a fresh random token and its hash
 */
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Config from "./Config.js"
import * as Demo from "./Demo.js"
import * as Gateway from "./Gateway.js"
import * as NodeServer from "./NodeServer.js"

const USAGE = `usage:
  marginctl-gateway [--config FILE]      serve the accounts of FILE (default: $MARGINCTL_GATEWAY_CONFIG or ./marginctl-gateway.json)
  marginctl-gateway --demo               serve a demo account on the embedded simulator (127.0.0.1:7357)
  marginctl-gateway hash-token [TOKEN]   print the SHA-256 of TOKEN (or of the first line of stdin) for the config
  marginctl-gateway new-token            print a fresh random token and its SHA-256`

const levels = { debug: LogLevel.Debug, info: LogLevel.Info, warning: LogLevel.Warning, error: LogLevel.Error } as const

const loggerLayer = (c: Config.GatewayConfigShape) =>
  Layer.mergeAll(
    c.logFormat === "json" ? Logger.json : c.logFormat === "pretty" ? Logger.pretty : Logger.logFmt,
    Logger.minimumLogLevel(levels[c.logLevel])
  )

const serve = (demo: boolean, configPath: string | undefined) =>
  Effect.scoped(Effect.gen(function*() {
    const d = demo ? yield* Demo.start() : undefined
    const config = d?.config ?? (yield* Config.load(configPath))
    const layer = Gateway.layer(
      NodeHttpClient.layerUndici,
      NodeServer.layer({ host: config.host, port: config.port })
    ).pipe(Layer.provide(Layer.succeed(Config.GatewayConfig, config)))
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

const readStdinLine = () =>
  Effect.promise(() =>
    new Promise<string>((resolve) => {
      let data = ""
      process.stdin.setEncoding("utf8")
      process.stdin.on("data", (c) => (data += c))
      process.stdin.on("end", () => resolve(data.split(/\r?\n/)[0] ?? ""))
    })
  )

const main = (argv: ReadonlyArray<string>): Effect.Effect<void, unknown> => {
  const [command, ...rest] = argv
  if (command === "hash-token") {
    return Effect.gen(function*() {
      const token = rest[0] ?? (yield* readStdinLine()).trim()
      if (token === "") return yield* Effect.fail(new Config.ConfigError({ field: "TOKEN", message: "give a token (argument or stdin)" }))
      yield* Effect.sync(() => process.stdout.write(`${Config.hashToken(token)}\n`))
    })
  }
  if (command === "new-token") {
    const token = Config.newToken()
    return Effect.sync(() => process.stdout.write(`token: ${token}\nsha256: ${Config.hashToken(token)}\n`))
  }
  let demo = false
  let configPath: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "--demo") demo = true
    else if (a === "--config") configPath = argv[++i]
    else if (a.startsWith("--config=")) configPath = a.slice("--config=".length)
    else if (a === "--help" || a === "-h") return Effect.sync(() => process.stdout.write(`${USAGE}\n`))
    else return Effect.fail(new Config.ConfigError({ field: a, message: `unknown argument\n${USAGE}` }))
  }
  if (configPath === "") return Effect.fail(new Config.ConfigError({ field: "--config", message: "needs a file" }))
  return serve(demo, configPath)
}

main(process.argv.slice(2)).pipe(
  Effect.catchAll((e) =>
    Effect.sync(() => {
      const text = e instanceof Config.ConfigError ? e.text : e instanceof Error ? e.message : String(e)
      process.stderr.write(`marginctl-gateway: ${text}\n`)
      process.exitCode = 1
    })
  ),
  NodeRuntime.runMain({ disablePrettyLogger: true, disableErrorReporting: false })
)
