/**
 * The gateway and the simulator in one process: the simulator answers through its in-process
 * HttpClient, the gateway listens on 127.0.0.1 (random port), and tests call it through a client
 * derived from the contract.
 */
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import * as Simulator from "@marginctl/simulator/Simulator"
import * as SimulatorHttpClient from "@marginctl/simulator/SimulatorHttpClient"
import * as SimulatorWebSocket from "@marginctl/simulator/SimulatorWebSocket"
import * as Config from "../../src/Config.js"
import * as ConfigFile from "../../src/ConfigFile.js"
import * as Tokens from "../../src/Tokens.js"
import * as Gateway from "../../src/Gateway.js"
import * as NodeServer from "../../src/NodeServer.js"

export const ADMIN_TOKEN = "admin-token-0123456789"
export const READER_TOKEN = "reader-token-0123456789"
export const DEMO_ONLY_TOKEN = "demo-only-token-0123456789"
export const OTHER_TOKEN = "other-token-0123456789"

export const API_KEY = "GatewayTestKey0000000000000000000000000000000000000000000000000001"
export const API_SECRET = "GatewayTestSecret000000000000000000000000000000000000000000000001"
export const OTHER_KEY = "GatewayTestKey0000000000000000000000000000000000000000000000000002"
export const OTHER_SECRET = "GatewayTestSecret000000000000000000000000000000000000000000000002"

export const tokens = [
  { name: "admin", sha256: Tokens.hashToken(ADMIN_TOKEN), scopes: ["read", "write"] as const, accounts: ["*"] },
  { name: "reader", sha256: Tokens.hashToken(READER_TOKEN), scopes: ["read"] as const, accounts: ["*"] },
  { name: "demo-only", sha256: Tokens.hashToken(DEMO_ONLY_TOKEN), scopes: ["read", "write"] as const, accounts: ["demo"] },
  { name: "other", sha256: Tokens.hashToken(OTHER_TOKEN), scopes: ["read", "write"] as const, accounts: ["other"] }
]

export const seed = (extra: Record<string, unknown> = {}) => ({
  accounts: [
    { name: "demo", apiKey: API_KEY, secret: API_SECRET, balances: { USDT: 10000, USDC: 5000 }, ...extra },
    { name: "other", apiKey: OTHER_KEY, secret: OTHER_SECRET, balances: { USDT: 1000 } }
  ]
})

export const env = { GW_DEMO_KEY: API_KEY, GW_DEMO_SECRET: API_SECRET, GW_OTHER_KEY: OTHER_KEY, GW_OTHER_SECRET: OTHER_SECRET }

export const configFile = (dataDir: string, baseUrl = "http://sim.invalid", extra: Record<string, unknown> = {}) => ({
  dataDir,
  cacheTtlMs: 60_000,
  maxBudgetWaitMs: 2000,
  // Streams off unless a test turns them on (Streams.test.ts): the other tests count upstream calls.
  stream: { enabled: false },
  tokens,
  accounts: [
    { name: "demo", baseUrl, apiKeyEnv: "GW_DEMO_KEY", apiSecretEnv: "GW_DEMO_SECRET" },
    { name: "other", baseUrl, apiKeyEnv: "GW_OTHER_KEY", apiSecretEnv: "GW_OTHER_SECRET" }
  ],
  ...extra
})

export const tmpDir = (prefix = "mgw-") => fs.mkdtempSync(path.join(os.tmpdir(), prefix))

/** A node:http server on 127.0.0.1 with an HttpClient pointed at it (like NodeHttpServer.layerTest). */
export const TestServer = HttpServer.layerTestClient.pipe(
  Layer.provide(NodeHttpClient.layerWithoutAgent),
  Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true, maxSockets: 2000 })),
  Layer.provideMerge(NodeServer.layer({ port: 0, host: "127.0.0.1" }))
)

export interface HarnessOptions {
  readonly seed?: unknown
  readonly config?: Record<string, unknown>
  readonly dataDir?: string
  /** Collects every log line (at debug level) here. */
  readonly logs?: Array<string>
  readonly env?: Record<string, string>
  /** Runs against the simulator before the gateway starts (e.g. faults seen at start-up). */
  readonly prepare?: (sim: Simulator.SimulatorShape) => Promise<void>
  /** Wraps the gateway's upstream client (the simulator's), e.g. to hold a request until a test lets it go. */
  readonly upstream?: (client: HttpClient.HttpClient) => HttpClient.HttpClient
}

/** Builds simulator + gateway; returns a runtime whose HttpClient talks to the gateway. */
export const start = async (options: HarnessOptions = {}) => {
  const sim = await Effect.runPromise(Simulator.make({ seed: options.seed ?? seed(), adminToken: "sim-admin" }))
  if (options.prepare !== undefined) await options.prepare(sim)
  const dataDir = options.dataDir ?? tmpDir()
  const file = ConfigFile.decodeFile(configFile(dataDir, "http://sim.invalid", options.config))
  if (file._tag === "Left") throw new Error(file.left.text)
  const config = await Effect.runPromise(Config.resolve(file.right, { ...env, ...options.env }, dataDir))
  const logs = options.logs
  const logging = logs === undefined
    ? Logger.minimumLogLevel(LogLevel.Warning)
    : Layer.merge(
      Logger.replace(Logger.defaultLogger, Logger.map(Logger.logfmtLogger, (line) => logs.push(line))),
      Logger.minimumLogLevel(LogLevel.Debug)
    )
  const upstream = options.upstream === undefined
    ? SimulatorHttpClient.layerWith(sim)
    : Layer.succeed(HttpClient.HttpClient, options.upstream(SimulatorHttpClient.make(sim)))
  const layer = Gateway.layer(upstream, TestServer, SimulatorWebSocket.layer(sim)).pipe(
    Layer.provide(Layer.succeed(Config.GatewayConfig, config)),
    Layer.provide(logging)
  )
  const runtime = ManagedRuntime.make(layer)
  const address = await runtime.runPromise(Effect.map(HttpServer.HttpServer, (s) => s.address))
  const url = address._tag === "TcpAddress" ? `http://${address.hostname}:${address.port}` : ""
  const client = (token?: string) =>
    HttpApiClient.make(GatewayApi, {
      transformClient: token === undefined ? undefined : HttpClient.mapRequest(HttpClientRequest.bearerToken(token))
    })
  /** The simulator's control API, in process. */
  const control = async (method: string, p: string, body?: unknown) => {
    const r = await Effect.runPromise(sim.handle({
      method,
      path: p,
      query: "",
      body: body === undefined ? "" : JSON.stringify(body),
      headers: { authorization: "Bearer sim-admin", "content-type": "application/json" },
      clientIp: "127.0.0.1"
    }))
    if (r.status >= 300) throw new Error(`sim ${method} ${p}: ${r.status} ${r.body}`)
    return JSON.parse(r.body) as unknown
  }
  /** Raw HTTP to the gateway (status, headers and body as text). */
  const raw = async (p: string, init: RequestInit & { token?: string } = {}) => {
    const headers = new Headers(init.headers)
    if (init.token !== undefined) headers.set("authorization", `Bearer ${init.token}`)
    const res = await fetch(url + p, { ...init, headers })
    return { status: res.status, headers: res.headers, text: await res.text() }
  }
  return {
    sim,
    url,
    control,
    raw,
    config,
    dataDir,
    runtime,
    client,
    run: <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient>) => runtime.runPromise(effect),
    /** A metric's value from /metrics (sum over series when no labels are given). */
    metric: async (name: string) => {
      const text = (await (await fetch(`${url}/metrics`)).text()).split("\n")
      return text.filter((l) => l.startsWith(name + " ") || l.startsWith(name + "{"))
        .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(" ") + 1)), 0)
    },
    close: () => runtime.dispose()
  }
}

export type Harness = Awaited<ReturnType<typeof start>>

/** Waits until `f` gives a value (polling every 20 ms), or fails after `ms`. */
export const until = async <A>(f: () => Promise<A | undefined>, ms = 5000): Promise<A> => {
  const end = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
