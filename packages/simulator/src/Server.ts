/**
 * The simulator over HTTP (node:http): binds 127.0.0.1 by default, keeps connections alive, hands
 * every request to the engine and destroys the socket for a dropped-connection fault. The user-data
 * stream's WebSockets share the port (`StreamServer`).
 * Node-only: import it as `@marginctl/simulator/Server` (it is not in the platform-free barrel).
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as crypto from "node:crypto"
import * as fs from "node:fs/promises"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { splitTarget } from "./RequestParams.js"
import type { SimRequest } from "./Simulator.js"
import { InputError } from "./Seed.js"
import * as Simulator from "./Simulator.js"
import * as StreamServer from "./StreamServer.js"

export interface ServerOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number | undefined
  /** Default 127.0.0.1. */
  readonly host?: string | undefined
  /** Seed as JSON value. */
  readonly seed?: unknown
  /** Seed file (JSON); `publicKeyFile` entries are read relative to it. */
  readonly seedFile?: string | undefined
  readonly adminToken?: string | undefined
  /** Largest accepted request body in bytes. Default 1 MiB. */
  readonly maxBodyBytes?: number | undefined
  /** How often listenKeys whose time is up are expired (their connections hear `listenKeyExpired`), ms. Default 250. */
  readonly keyExpiryCheckMs?: number | undefined
}

export interface RunningServer {
  /** `http://host:port` */
  readonly url: string
  readonly host: string
  readonly port: number
  readonly adminToken: string
  readonly demo: Simulator.DemoCredentials | undefined
  readonly sim: Simulator.SimulatorShape
  readonly close: () => Promise<void>
}

const clientIp = (socketAddress: string | undefined): string => {
  const a = socketAddress ?? "unknown"
  return a.startsWith("::ffff:") ? a.slice(7) : a
}

const readFileFrom = (dir: string) => (file: string) =>
  Effect.tryPromise({
    try: () => fs.readFile(path.resolve(dir, file), "utf8"),
    catch: (e) => new InputError({ field: "publicKeyFile", message: `cannot read ${file}: ${(e as Error).message}` })
  })

const loadSeed = async (options: ServerOptions): Promise<{ seed: unknown; dir: string }> => {
  if (options.seedFile === undefined) return { seed: options.seed, dir: process.cwd() }
  const text = await fs.readFile(options.seedFile, "utf8")
  try {
    return { seed: JSON.parse(text), dir: path.dirname(path.resolve(options.seedFile)) }
  } catch (e) {
    throw new Error(`seed file ${options.seedFile} is not valid JSON: ${(e as Error).message}`)
  }
}

const HEX64 = /^[0-9a-fA-F]{64}$/

/** HMAC-SHA256 on node:crypto: no WebCrypto promise per request. */
export const nodeHmacVerifier = (secret: string) => {
  const key = crypto.createSecretKey(Buffer.from(secret, "utf8"))
  return (payload: string, signature: string): boolean => {
    if (!HEX64.test(signature)) return false
    const expected = crypto.createHmac("sha256", key).update(payload, "utf8").digest()
    return crypto.timingSafeEqual(expected, Buffer.from(signature, "hex"))
  }
}

const headersOf = (req: http.IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v
  }
  return out
}

const TOO_LARGE = JSON.stringify({ code: -1000, msg: "Request body too large." })
const FAILED = JSON.stringify({ code: -1000, msg: "An unknown error occured while processing the request." })

/** Starts the simulator server; resolves once it listens. */
export const startServer = async (options: ServerOptions = {}): Promise<RunningServer> => {
  const { seed, dir } = await loadSeed(options)
  const sim = await Effect.runPromise(
    Simulator.make({ seed, adminToken: options.adminToken, readFile: readFileFrom(dir), hmacVerifier: nodeHmacVerifier }).pipe(
      Effect.mapError((e) => new Error(`invalid seed: ${e.field}: ${e.message}`))
    )
  )
  const maxBody = options.maxBodyBytes ?? 1024 * 1024

  /**
   * Headers of an answer the server gives without the engine (413, 500): an exchange answer carries
   * `X-MBX-USED-WEIGHT-1M` like every other (the IP's weight so far; this request is not counted), a
   * control answer carries none.
   */
  const ownHeaders = (target: string, ip: string, extra: Record<string, string>): Record<string, string> => {
    const { path: p } = splitTarget(target)
    const control = p === "/_sim" || p.startsWith("/_sim/")
    return control
      ? { "Content-Type": "application/json", ...extra }
      : { "Content-Type": "application/json", "X-MBX-USED-WEIGHT-1M": String(sim.usedWeight(ip)), ...extra }
  }

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let tooLarge = false
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBody) tooLarge = true
      else chunks.push(chunk)
    })
    req.on("end", () => {
      const ip = clientIp(req.socket.remoteAddress)
      if (tooLarge) {
        res.writeHead(413, ownHeaders(req.url ?? "/", ip, { Connection: "close" })).end(TOO_LARGE)
        return
      }
      const { path: p, query } = splitTarget(req.url ?? "/")
      const simRequest: SimRequest = {
        method: req.method ?? "GET",
        path: p,
        query,
        body: chunks.length === 0 ? "" : Buffer.concat(chunks).toString("utf8"),
        headers: headersOf(req),
        clientIp: ip
      }
      Effect.runPromise(sim.handle(simRequest)).then(
        (answer) => {
          if (answer.dropConnection === true) {
            req.socket.destroy()
            return
          }
          res.writeHead(answer.status, { ...answer.headers, "Content-Length": Buffer.byteLength(answer.body) }).end(answer.body)
        },
        () => {
          res.writeHead(500, ownHeaders(req.url ?? "/", ip, {})).end(FAILED)
        }
      )
    })
  })
  server.keepAliveTimeout = 65_000
  const streams = StreamServer.attach(server, sim, options.keyExpiryCheckMs)

  const host = options.host ?? "127.0.0.1"
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const urlHost = host.includes(":") ? `[${host}]` : host
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    adminToken: sim.adminToken,
    demo: sim.demo,
    sim,
    close: () =>
      new Promise<void>((resolve) => {
        streams.close()
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

/** The server as a scoped resource: closed when the scope closes. */
export const scoped = (options: ServerOptions = {}): Effect.Effect<RunningServer, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({ try: () => startServer(options), catch: (e) => (e instanceof Error ? e : new Error(String(e))) }),
    (server) => Effect.promise(() => server.close())
  )
