/**
 * The gateway's config file: its JSON schema (every field, its range and its message) and the
 * decoding that names the first bad field. Unknown fields are errors, so that a typo is reported.
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { AccountName } from "@marginctl/gateway-api/Accounts"
import { Scope } from "@marginctl/gateway-api/Auth"
import { ReconcileMode } from "@marginctl/gateway-api/Desired"
import { Policy } from "./Policy.js"
import { ConfigError } from "./ConfigError.js"

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
  egressIp: Schema.optional(Schema.String.pipe(Schema.maxLength(64))),
  /** What to do when the account drifts from its desired state: off (default), alert, auto (apply the plan). */
  reconcile: Schema.optional(ReconcileMode),
  /** Rules every change and desired state of the account must keep, whoever sends them. */
  policy: Schema.optional(Policy),
  /** The user-data stream's WebSocket base (default: derived from baseUrl, e.g. wss://fstream.binance.com). */
  websocketUrl: Schema.optional(Schema.String.pipe(Schema.pattern(/^wss?:\/\/[^/?#]+$/, { message: () => "must be ws://host[:port] or wss://host[:port], without a path" })))
})

/** Each account's user-data stream, which keeps the cache current and records changes made elsewhere. */
export const StreamEntry = Schema.Struct({
  /** Default true; false: reads expire after cacheTtlMs, changes made elsewhere are not seen until then. */
  enabled: Schema.optional(Schema.Boolean),
  /** How often position mode (which has no event) is read through accountConfig (weight 5). Default 60000. */
  positionModePollMs: Schema.optional(Int(1000, 3_600_000)),
  /** How long a replica's hold on an account's stream lasts without renewal (Redis lease). Default 15000. */
  leaseMs: Schema.optional(Int(1000, 600_000))
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
  stream: Schema.optional(StreamEntry),
  /** With reconcile `auto`: the least time between two automatic applies of one account. Default 300000. */
  reconcileIntervalMs: Schema.optional(Int(1000, 86_400_000)),
  /** A fleet file (YAML or JSON): the desired state of the accounts it names, stored at every start. */
  fleetFile: Schema.optional(FilePath),
  tokens: Schema.Array(TokenEntry),
  accounts: Schema.Array(AccountEntry)
})
export type ConfigFile = typeof ConfigFile.Type

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
