/**
 * The gateway's configuration: a JSON file plus environment overrides. This is the only module that
 * reads environment variables. Account keys come from environment variables or files named in the
 * file (never from the file itself) and are wrapped in `Redacted` at once.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Signer from "@marginctl/core/Signer"
import { AccountName } from "@marginctl/gateway-api/Accounts"
import { Scope } from "@marginctl/gateway-api/Auth"

export class ConfigError extends Data.TaggedError("ConfigError")<{ readonly field: string; readonly message: string }> {
  get text() {
    return `configuration: ${this.field}: ${this.message}`
  }
}

const Int = (min: number, max: number) => Schema.Int.pipe(Schema.between(min, max))
const EnvName = Schema.String.pipe(Schema.pattern(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: () => "must be an environment variable name" }))
const FilePath = Schema.NonEmptyString

export const TokenEntry = Schema.Struct({
  name: Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_.@-]{1,64}$/, { message: () => "must be 1-64 characters of A-Z a-z 0-9 _ . @ -" })),
  /** SHA-256 of the token, lower-case hex (`marginctl-gateway hash-token`). */
  sha256: Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/, { message: () => "must be 64 lower-case hex digits (marginctl-gateway hash-token)" })),
  scopes: Schema.Array(Scope).pipe(Schema.minItems(1)),
  /** Account names, or ["*"] for every account. */
  accounts: Schema.Array(Schema.String).pipe(Schema.minItems(1))
})

export const AccountEntry = Schema.Struct({
  name: AccountName,
  baseUrl: Schema.String,
  apiKeyEnv: Schema.optional(EnvName),
  apiKeyFile: Schema.optional(FilePath),
  apiSecretEnv: Schema.optional(EnvName),
  apiSecretFile: Schema.optional(FilePath),
  privateKeyFile: Schema.optional(FilePath),
  privateKeyPassphraseEnv: Schema.optional(EnvName),
  recvWindow: Schema.optional(Int(1, 60_000)),
  /** Label of the IP this account's requests leave from: accounts with the same upstream and label share one budget. */
  egressIp: Schema.optional(Schema.String.pipe(Schema.maxLength(64)))
})

export const AuditEntry = Schema.Union(
  Schema.Struct({ store: Schema.Literal("sqlite") }),
  Schema.Struct({ store: Schema.Literal("postgres"), urlEnv: Schema.optional(EnvName), url: Schema.optional(Schema.String) })
)

export const ConfigFile = Schema.Struct({
  host: Schema.optional(Schema.NonEmptyString),
  port: Schema.optional(Int(0, 65535)),
  dataDir: Schema.optional(FilePath),
  logFormat: Schema.optional(Schema.Literal("json", "pretty", "logfmt")),
  logLevel: Schema.optional(Schema.Literal("debug", "info", "warning", "error")),
  bodyLimitBytes: Schema.optional(Int(1024, 16 * 1024 * 1024)),
  cacheTtlMs: Schema.optional(Int(0, 3_600_000)),
  corsOrigins: Schema.optional(Schema.Array(Schema.String.pipe(
    Schema.pattern(/^(chrome|moz)-extension:\/\/[A-Za-z0-9-]{1,64}$/, { message: () => "must be chrome-extension://<id> or moz-extension://<id>" })
  ))),
  redisUrl: Schema.optional(Schema.String.pipe(Schema.pattern(/^rediss?:\/\//, { message: () => "must start with redis:// or rediss://" }))),
  audit: Schema.optional(AuditEntry),
  shutdownGraceMs: Schema.optional(Int(0, 600_000)),
  maxBudgetWaitMs: Schema.optional(Int(0, 120_000)),
  requestTimeoutMs: Schema.optional(Int(100, 120_000)),
  readinessCacheMs: Schema.optional(Int(0, 600_000)),
  instance: Schema.optional(Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_.:@-]{1,128}$/))),
  tokens: Schema.Array(TokenEntry),
  accounts: Schema.Array(AccountEntry)
})
export type ConfigFile = typeof ConfigFile.Type

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
}

export interface GatewayConfigShape {
  readonly host: string
  readonly port: number
  readonly dataDir: string
  readonly logFormat: "json" | "pretty" | "logfmt"
  readonly logLevel: "debug" | "info" | "warning" | "error"
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
  readonly tokens: ReadonlyArray<TokenConfig>
  readonly accounts: ReadonlyArray<AccountConfig>
}

export class GatewayConfig extends Context.Tag("@marginctl/gateway/GatewayConfig")<GatewayConfig, GatewayConfigShape>() {}

export type Env = Readonly<Record<string, string | undefined>>

/** The process environment (the one place it is read). */
export const processEnv = (): Env => process.env

const fail = (field: string, message: string) => Effect.fail(new ConfigError({ field, message }))

const fieldOf = (p: ReadonlyArray<PropertyKey>): string =>
  p.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc === "" ? String(k) : `${acc}.${String(k)}`), "")

/** Decodes the file's JSON; the error names the first bad field. Unknown fields are errors (typos). */
export const decodeFile = (input: unknown): Either.Either<ConfigFile, ConfigError> =>
  Either.mapLeft(
    Schema.decodeUnknownEither(ConfigFile, { onExcessProperty: "error", errors: "first" })(input),
    (e) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(e)[0]
      return new ConfigError({ field: issue ? fieldOf(issue.path) || "(file)" : "(file)", message: issue?.message ?? e.message })
    }
  )

const readText = (file: string, field: string, baseDir: string) =>
  Effect.try({
    try: () => fs.readFileSync(path.resolve(baseDir, file), "utf8"),
    catch: (e) => new ConfigError({ field, message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}` })
  })

const fromEnv = (env: Env, name: string, field: string) => {
  const v = env[name]
  return v === undefined || v.trim() === "" ? fail(field, `environment variable ${name} is not set`) : Effect.succeed(v.trim())
}

const secretOf = (
  env: Env,
  baseDir: string,
  prefix: string,
  envName: string | undefined,
  file: string | undefined,
  what: string
): Effect.Effect<string | undefined, ConfigError> => {
  if (envName !== undefined && file !== undefined) return fail(`${prefix}`, `give ${what}Env or ${what}File, not both`)
  if (envName !== undefined) return fromEnv(env, envName, `${prefix}.${what}Env`)
  if (file !== undefined) return Effect.map(readText(file, `${prefix}.${what}File`, baseDir), (t) => t.trim())
  return Effect.succeed(undefined)
}

const upstreamKeyOf = (baseUrl: string, egress: string | undefined) => `${new URL(baseUrl).origin}|${egress ?? "default"}`

const resolveAccount = (a: ConfigFile["accounts"][number], i: number, env: Env, baseDir: string) =>
  Effect.gen(function*() {
    const at = `accounts[${i}]`
    let url: URL
    try {
      url = new URL(a.baseUrl)
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error()
    } catch {
      return yield* fail(`${at}.baseUrl`, "must be an http:// or https:// URL, e.g. https://fapi.binance.com")
    }
    const apiKey = yield* secretOf(env, baseDir, at, a.apiKeyEnv, a.apiKeyFile, "apiKey")
    if (apiKey === undefined) return yield* fail(at, "needs apiKeyEnv or apiKeyFile")
    const secret = yield* secretOf(env, baseDir, at, a.apiSecretEnv, a.apiSecretFile, "apiSecret")
    let credentials: Signer.Credentials
    if (secret !== undefined) {
      if (a.privateKeyFile !== undefined) return yield* fail(at, "give an API secret or a private key file, not both")
      credentials = Signer.hmac(Redacted.make(secret))
    } else if (a.privateKeyFile !== undefined) {
      const pem = yield* readText(a.privateKeyFile, `${at}.privateKeyFile`, baseDir)
      const passphrase = a.privateKeyPassphraseEnv === undefined
        ? undefined
        : yield* fromEnv(env, a.privateKeyPassphraseEnv, `${at}.privateKeyPassphraseEnv`)
      credentials = Signer.privateKey(Redacted.make(yield* decryptPem(pem, passphrase, `${at}.privateKeyFile`)))
    } else {
      return yield* fail(at, "needs apiSecretEnv, apiSecretFile or privateKeyFile")
    }
    return {
      name: a.name,
      baseUrl: url.origin + url.pathname.replace(/\/+$/, ""),
      apiKey: Redacted.make(apiKey),
      credentials,
      recvWindow: a.recvWindow,
      upstreamKey: upstreamKeyOf(a.baseUrl, a.egressIp)
    } satisfies AccountConfig
  })

/** An encrypted PEM is decrypted here (node:crypto) into PKCS#8, which the core signer imports. */
const decryptPem = (pem: string, passphrase: string | undefined, field: string) =>
  passphrase === undefined && !pem.includes("ENCRYPTED")
    ? Effect.succeed(pem)
    : Effect.try({
      try: () =>
        crypto.createPrivateKey({ key: pem, format: "pem", passphrase: passphrase ?? "" })
          .export({ type: "pkcs8", format: "pem" }).toString(),
      catch: () => new ConfigError({ field, message: "the private key could not be decrypted (wrong or missing passphrase?)" })
    })

const int = (env: Env, name: string): Effect.Effect<number | undefined, ConfigError> => {
  const v = env[name]
  if (v === undefined || v === "") return Effect.succeed(undefined)
  return /^\d+$/.test(v) ? Effect.succeed(Number(v)) : fail(name, `must be a whole number; got ${JSON.stringify(v)}`)
}

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
    const logFormat = env.MARGINCTL_GATEWAY_LOG_FORMAT ?? file.logFormat ?? (production ? "json" : "logfmt")
    if (logFormat !== "json" && logFormat !== "pretty" && logFormat !== "logfmt") {
      return yield* fail("MARGINCTL_GATEWAY_LOG_FORMAT", "must be json, pretty or logfmt")
    }
    const logLevel = env.MARGINCTL_GATEWAY_LOG_LEVEL ?? file.logLevel ?? "info"
    if (logLevel !== "debug" && logLevel !== "info" && logLevel !== "warning" && logLevel !== "error") {
      return yield* fail("MARGINCTL_GATEWAY_LOG_LEVEL", "must be debug, info, warning or error")
    }
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
