/**
 * The gateway's configuration: a JSON file (`ConfigFile`) plus environment overrides, resolved into
 * `GatewayConfig`. This is the only module that reads the process environment. Account keys come
 * from environment variables or files named in the file (`ConfigSources`), never from the file itself.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as os from "node:os"
import * as path from "node:path"
import type * as Signer from "@marginctl/core/Signer"
import type { Scope } from "@marginctl/gateway-api/Auth"
import type { ReconcileMode } from "@marginctl/gateway-api/Desired"
import type { Policy } from "./Policy.js"
import { ConfigError } from "./ConfigError.js"
import { type ConfigFile, decodeFile } from "./ConfigFile.js"
import { fromEnv, readText, resolveAccount } from "./ConfigSources.js"

export interface TokenConfig {
  readonly name: string
  readonly sha256: string
  readonly scopes: ReadonlyArray<Scope>
  readonly accounts: ReadonlyArray<string>
}

export interface AccountConfig {
  readonly name: string
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted<string>
  readonly credentials: Signer.Credentials
  readonly recvWindow: number | undefined
  /** Budget key: upstream origin and egress label. */
  readonly upstreamKey: string
  readonly websocketUrl: string | undefined
  readonly reconcile: ReconcileMode
  readonly policy: Policy
}

export interface GatewayConfigShape {
  readonly host: string
  readonly port: number
  readonly dataDir: string
  readonly logFormat: (typeof LOG_FORMATS)[number]
  readonly logLevel: (typeof LOG_LEVELS)[number]
  readonly bodyLimitBytes: number
  readonly cacheTtlMs: number
  readonly corsOrigins: ReadonlyArray<string>
  readonly redisUrl: Redacted.Redacted<string> | undefined
  readonly audit: { readonly store: "sqlite" } | { readonly store: "postgres"; readonly url: Redacted.Redacted<string> }
  readonly shutdownGraceMs: number
  readonly maxBudgetWaitMs: number
  readonly requestTimeoutMs: number
  readonly readinessCacheMs: number
  readonly instance: string
  readonly reconcileIntervalMs: number
  /** The fleet file's absolute path, if one is configured. */
  readonly fleetFile: string | undefined
  readonly stream: { readonly enabled: boolean; readonly positionModePollMs: number; readonly leaseMs: number }
  readonly tokens: ReadonlyArray<TokenConfig>
  readonly accounts: ReadonlyArray<AccountConfig>
}

export class GatewayConfig extends Context.Tag("@marginctl/gateway/GatewayConfig")<GatewayConfig, GatewayConfigShape>() {}

export type Env = Readonly<Record<string, string | undefined>>

/** The process environment (the one place it is read). */
export const processEnv = (): Env => process.env

const fail = (field: string, message: string) => Effect.fail(new ConfigError({ field, message }))

const int = (env: Env, name: string): Effect.Effect<number | undefined, ConfigError> => {
  const v = env[name]
  if (v === undefined || v === "") return Effect.succeed(undefined)
  return /^\d+$/.test(v) ? Effect.succeed(Number(v)) : fail(name, `must be a whole number; got ${JSON.stringify(v)}`)
}

const LOG_FORMATS = ["json", "pretty", "logfmt"] as const
const LOG_LEVELS = ["debug", "info", "warning", "error"] as const

const oneOf = <A extends string>(name: string, value: string, accepted: ReadonlyArray<A>): Effect.Effect<A, ConfigError> =>
  (accepted as ReadonlyArray<string>).includes(value) ? Effect.succeed(value as A) : fail(name, `must be one of ${accepted.join(", ")}`)

/** Builds the configuration from a decoded file, environment overrides and key sources. */
export const resolve = (file: ConfigFile, env: Env, baseDir: string): Effect.Effect<GatewayConfigShape, ConfigError> =>
  Effect.gen(function*() {
    const names = new Set<string>()
    for (const [i, a] of file.accounts.entries()) {
      if (names.has(a.name)) return yield* fail(`accounts[${i}].name`, `duplicate account ${a.name}`)
      names.add(a.name)
    }
    const tokenNames = new Set<string>()
    const hashes = new Set<string>()
    for (const [i, t] of file.tokens.entries()) {
      if (tokenNames.has(t.name)) return yield* fail(`tokens[${i}].name`, `duplicate token name ${t.name}`)
      if (hashes.has(t.sha256)) return yield* fail(`tokens[${i}].sha256`, "two tokens have the same hash")
      tokenNames.add(t.name)
      hashes.add(t.sha256)
      for (const a of t.accounts) {
        if (a !== "*" && !names.has(a)) return yield* fail(`tokens[${i}].accounts`, `unknown account ${a}`)
      }
    }
    const accounts = yield* Effect.forEach(file.accounts, (a, i) => resolveAccount(a, i, env, baseDir))
    const port = (yield* int(env, "MARGINCTL_GATEWAY_PORT")) ?? file.port ?? 7358
    if (port > 65535) return yield* fail("MARGINCTL_GATEWAY_PORT", "must be 0 to 65535")
    const production = env.NODE_ENV === "production" || env.MARGINCTL_GATEWAY_ENV === "production"
    const logFormat = yield* oneOf("MARGINCTL_GATEWAY_LOG_FORMAT", env.MARGINCTL_GATEWAY_LOG_FORMAT ?? file.logFormat ?? (production ? "json" : "logfmt"), LOG_FORMATS)
    const logLevel = yield* oneOf("MARGINCTL_GATEWAY_LOG_LEVEL", env.MARGINCTL_GATEWAY_LOG_LEVEL ?? file.logLevel ?? "info", LOG_LEVELS)
    const redis = env.MARGINCTL_GATEWAY_REDIS_URL || file.redisUrl
    const pgUrl = env.MARGINCTL_GATEWAY_POSTGRES_URL ||
      (file.audit?.store === "postgres"
        ? (file.audit.urlEnv !== undefined ? yield* fromEnv(env, file.audit.urlEnv, "audit.urlEnv") : file.audit.url)
        : undefined)
    if (file.audit?.store === "postgres" && !pgUrl) return yield* fail("audit", "postgres needs url or urlEnv")
    const host = env.MARGINCTL_GATEWAY_HOST || file.host || "127.0.0.1"
    return {
      host,
      port,
      dataDir: path.resolve(baseDir, env.MARGINCTL_GATEWAY_DATA_DIR || file.dataDir || ".marginctl/gateway"),
      logFormat,
      logLevel,
      bodyLimitBytes: file.bodyLimitBytes ?? 64 * 1024,
      cacheTtlMs: (yield* int(env, "MARGINCTL_GATEWAY_CACHE_TTL_MS")) ?? file.cacheTtlMs ?? 2000,
      corsOrigins: file.corsOrigins ?? [],
      redisUrl: redis ? Redacted.make(redis) : undefined,
      audit: pgUrl ? { store: "postgres", url: Redacted.make(pgUrl) } : { store: "sqlite" },
      shutdownGraceMs: file.shutdownGraceMs ?? 10_000,
      maxBudgetWaitMs: file.maxBudgetWaitMs ?? 10_000,
      requestTimeoutMs: file.requestTimeoutMs ?? 10_000,
      readinessCacheMs: file.readinessCacheMs ?? 5_000,
      instance: env.MARGINCTL_GATEWAY_INSTANCE || file.instance || `${os.hostname()}:${port}`,
      reconcileIntervalMs: file.reconcileIntervalMs ?? 300_000,
      fleetFile: file.fleetFile === undefined ? undefined : path.resolve(baseDir, file.fleetFile),
      stream: {
        enabled: file.stream?.enabled ?? true,
        positionModePollMs: file.stream?.positionModePollMs ?? 60_000,
        leaseMs: file.stream?.leaseMs ?? 15_000
      },
      tokens: file.tokens,
      accounts
    } satisfies GatewayConfigShape
  })

/** Reads the config file named by `--config`, MARGINCTL_GATEWAY_CONFIG or ./marginctl-gateway.json. */
export const load = (configPath: string | undefined, env: Env = processEnv()): Effect.Effect<GatewayConfigShape, ConfigError> =>
  Effect.gen(function*() {
    const file = configPath ?? env.MARGINCTL_GATEWAY_CONFIG ?? "marginctl-gateway.json"
    const text = yield* readText(file, "config", process.cwd())
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (e) {
      return yield* fail("config", `${file} is not valid JSON: ${(e as Error).message}`)
    }
    const decoded = yield* decodeFile(json)
    return yield* resolve(decoded, env, path.dirname(path.resolve(file)))
  })

/** Demo settings: a fixed token (MARGINCTL_GATEWAY_DEMO_TOKEN) and the simulator port (MARGINCTL_GATEWAY_DEMO_SIM_PORT, default 7357). */
export const demoSettings = (env: Env = processEnv()) => ({
  token: env.MARGINCTL_GATEWAY_DEMO_TOKEN || undefined,
  simPort: /^\d+$/.test(env.MARGINCTL_GATEWAY_DEMO_SIM_PORT ?? "") ? Number(env.MARGINCTL_GATEWAY_DEMO_SIM_PORT) : 7357
})
