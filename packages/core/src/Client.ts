/**
 * One call from a plain configuration to a working client: `Client.layer(options)` validates the
 * options, imports the signing key once and provides `MarginClient`, `BinanceHttp`, the `Signer` and
 * the `WeightBudget` it spends, given only an `HttpClient` (FetchHttpClient in a browser,
 * NodeHttpClient in Node, the simulator's in tests).
 *
 * A bad option fails the layer with `InvalidInput` naming the field and what is accepted; secrets may
 * be given as strings or `Redacted` and are kept `Redacted` from here to the signer.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as ConfigError from "effect/ConfigError"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as BinanceConfig from "./BinanceConfig.js"
import { BinanceHttp } from "./BinanceHttp.js"
import { BASE_URLS } from "./Domain.js"
import { InvalidInput, type SignerError } from "./Errors.js"
import { MarginClient } from "./MarginClient.js"
import type * as RetryPolicy from "./RetryPolicy.js"
import * as Signer from "./Signer.js"
import * as WeightBudget from "./WeightBudget.js"

/** A secret as given: a plain string or already `Redacted`. */
export type Secret = string | Redacted.Redacted<string>

export interface Options {
  /**
   * Where to call: `"prod"` (https://fapi.binance.com), `"testnet"`, `"demo"`, or a base URL such as
   * the simulator's `http://127.0.0.1:7357`. Required: nothing talks to production unless told to.
   */
  readonly target: string
  /** Sent as `X-MBX-APIKEY`. */
  readonly apiKey: Secret
  /** The HMAC secret of an HMAC key. Give this or `privateKey`, not both. */
  readonly secret?: Secret | undefined
  /** A PEM private key (RSA or Ed25519, PKCS#8 or PKCS#1; `ENCRYPTED PRIVATE KEY` with `passphrase`). */
  readonly privateKey?: Secret | undefined
  /** Decrypts an encrypted `privateKey`. */
  readonly passphrase?: Secret | undefined
  /** Milliseconds after `timestamp` during which Binance accepts a request (1–60000, default 5000). */
  readonly recvWindow?: number | undefined
  /** How long one HTTP call may take before it is abandoned (ms, default 10000). */
  readonly requestTimeoutMs?: number | undefined
  readonly budget?: BudgetOptions | undefined
  /**
   * A 429 from the exchange: `"fail"` (default) hands `RateLimited` to the caller; `"wait"` waits as
   * long as Binance asks and sends the call again, at most `rateLimitRetries` times (default 2).
   */
  readonly onRateLimited?: RetryPolicy.OnRateLimited | undefined
  readonly rateLimitRetries?: number | undefined
}

export interface BudgetOptions {
  /** Weight per minute until exchangeInfo says otherwise (default 2400). */
  readonly limit?: number | undefined
  /** The longest a call waits for room in the budget before failing with RateLimited (ms, default 65000). */
  readonly maxWaitMs?: number | undefined
}

/**
 * What the one-call layer provides: the client, its HTTP path and configuration (for the user-data
 * stream), its budget and its signer (for `keyType`).
 */
export type Services = MarginClient | BinanceHttp | BinanceConfig.BinanceConfig | WeightBudget.WeightBudget | Signer.Signer

const SecretSchema = Schema.Union(Schema.RedactedFromSelf(Schema.String), Schema.Redacted(Schema.String))
/** A whole number in a range: its schema and the words that say what it accepts, from the same bounds. */
const wholeNumber = (min: number, max: number, of = "") => ({
  schema: Schema.Int.pipe(Schema.between(min, max)),
  accepted: `a whole number ${of}from ${min} to ${max}`
})

const RANGES = {
  recvWindow: wholeNumber(1, BinanceConfig.RECV_WINDOW_MAX, "of milliseconds "),
  requestTimeoutMs: wholeNumber(1, 600_000, "of milliseconds "),
  rateLimitRetries: wholeNumber(0, 10),
  "budget.limit": wholeNumber(1, 1_000_000, "of weight per minute "),
  "budget.maxWaitMs": wholeNumber(0, 3_600_000, "of milliseconds ")
}

const OptionsSchema = Schema.Struct({
  target: Schema.String,
  apiKey: SecretSchema,
  secret: Schema.optional(SecretSchema),
  privateKey: Schema.optional(SecretSchema),
  passphrase: Schema.optional(SecretSchema),
  recvWindow: Schema.optional(RANGES.recvWindow.schema),
  requestTimeoutMs: Schema.optional(RANGES.requestTimeoutMs.schema),
  onRateLimited: Schema.optional(Schema.Literal("fail", "wait")),
  rateLimitRetries: Schema.optional(RANGES.rateLimitRetries.schema),
  budget: Schema.optional(Schema.Struct({
    limit: Schema.optional(RANGES["budget.limit"].schema),
    maxWaitMs: Schema.optional(RANGES["budget.maxWaitMs"].schema)
  }))
})

const ACCEPTED: Record<string, string> = {
  target: `"prod", "testnet", "demo" or an http(s) base URL`,
  apiKey: "a non-empty API key (string or Redacted)",
  secret: "the HMAC secret (string or Redacted)",
  privateKey: "a PEM private key (string or Redacted)",
  passphrase: "the passphrase of the encrypted private key (string or Redacted)",
  onRateLimited: `"fail" or "wait"`,
  ...Object.fromEntries(Object.entries(RANGES).map(([field, range]) => [field, range.accepted]))
}

const received = (value: unknown): string =>
  typeof value === "string" ? JSON.stringify(value) : value === undefined ? "nothing" : typeof value === "object" ? typeof value : String(value)

/** The first problem of a decode, as InvalidInput naming the option (never echoing a secret). */
const fromParseError = (input: unknown, error: ParseResult.ParseError): InvalidInput => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  const path = (issue?.path ?? []).map(String)
  const field = path.join(".")
  const secret = ["apiKey", "secret", "privateKey", "passphrase"].includes(field)
  let value: unknown = input
  for (const key of path) value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined
  return new InvalidInput({
    field: field === "" ? "options" : field,
    accepted: field === "" ? "an object with the options of Client.layer" : ACCEPTED[field] ?? issue?.message ?? "the options of Client.layer",
    ...(field === "" || secret ? {} : { received: received(value) })
  })
}

const baseUrlOf = (target: string): string =>
  target === "prod" || target === "testnet" || target === "demo" ? BASE_URLS[target] : target

/** Which credentials the options name; exactly one of `secret` and `privateKey`. */
const credentialsOf = (o: typeof OptionsSchema.Type): Effect.Effect<Signer.Credentials, InvalidInput> => {
  if (o.secret !== undefined && o.privateKey !== undefined) {
    return Effect.fail(new InvalidInput({ field: "secret", accepted: "either secret (HMAC) or privateKey (RSA, Ed25519), not both" }))
  }
  if (o.secret !== undefined) return Effect.succeed(Signer.hmac(o.secret))
  if (o.privateKey !== undefined) return Effect.succeed(Signer.privateKey(o.privateKey, o.passphrase))
  return Effect.fail(new InvalidInput({ field: "secret", accepted: "secret (the HMAC secret) or privateKey (a PEM private key)" }))
}

/** The `secret` or `privateKey` (and `passphrase`) options of credentials already in `Signer`'s form. */
export const credentialOptions = (credentials: Signer.Credentials): Pick<Options, "secret" | "privateKey" | "passphrase"> =>
  credentials._tag === "Hmac"
    ? { secret: credentials.secret }
    : { privateKey: credentials.pem, passphrase: credentials.passphrase }

/** A key that cannot be used, as InvalidInput naming the option it came from. */
const fromSignerError = (credentials: Signer.Credentials) => (e: SignerError): InvalidInput =>
  new InvalidInput({
    field: credentials._tag === "Hmac" ? "secret" : /passphrase/i.test(e.detail) ? "passphrase" : "privateKey",
    accepted: `a usable signing key (${e.detail})`
  })

/**
 * Validates the options and builds the configuration, signer and budget settings they name. Exposed
 * for callers that assemble the layers themselves; most use `layer`.
 */
export const make = (options: Options): Effect.Effect<
  { readonly config: BinanceConfig.BinanceConfigShape; readonly signer: Signer.SignerShape; readonly budget: BudgetOptions },
  InvalidInput
> =>
  Effect.gen(function*() {
    const o = yield* Schema.decodeUnknown(OptionsSchema)(options).pipe(Effect.mapError((e) => fromParseError(options, e)))
    const config = yield* BinanceConfig.make({
      baseUrl: baseUrlOf(o.target),
      apiKey: o.apiKey,
      recvWindow: o.recvWindow,
      requestTimeoutMs: o.requestTimeoutMs,
      maxBudgetWaitMs: o.budget?.maxWaitMs,
      retry: {
        ...(o.onRateLimited === undefined ? {} : { onRateLimited: o.onRateLimited }),
        ...(o.rateLimitRetries === undefined ? {} : { rateLimitRetries: o.rateLimitRetries })
      }
    }).pipe(Effect.mapError((e) => (e.field === "baseUrl" ? new InvalidInput({ ...e, field: "target", accepted: ACCEPTED.target! }) : e)))
    const credentials = yield* credentialsOf(o)
    const signer = yield* Effect.flatMap(Signer.SignerMaker, (maker) => maker.make(credentials)).pipe(
      Effect.mapError(fromSignerError(credentials))
    )
    return { config, signer, budget: o.budget ?? {} }
  })

const clientOf = (built: Effect.Effect.Success<ReturnType<typeof make>>) =>
  MarginClient.DefaultWithoutDependencies.pipe(
    Layer.provideMerge(BinanceHttp.Default),
    Layer.provideMerge(Layer.succeed(BinanceConfig.BinanceConfig, built.config)),
    Layer.provideMerge(Layer.succeed(Signer.Signer, built.signer))
  )

/**
 * The client with a weight budget that callers share: several clients on one IP (one Binance
 * budget per IP) use one `WeightBudget`, in memory or shared between processes.
 */
export const layerSharedBudget = (
  options: Options
): Layer.Layer<
  MarginClient | BinanceHttp | BinanceConfig.BinanceConfig | Signer.Signer,
  InvalidInput,
  HttpClient.HttpClient | WeightBudget.WeightBudget
> =>
  Layer.unwrapEffect(Effect.map(make(options), clientOf))

/** The client with its own in-memory weight budget: `MarginClient`, `BinanceHttp` and `WeightBudget`. */
export const layer = (options: Options): Layer.Layer<Services, InvalidInput, HttpClient.HttpClient> =>
  Layer.unwrapEffect(
    Effect.map(make(options), (built) =>
      clientOf(built).pipe(Layer.provideMerge(WeightBudget.layerMemory({ limit: built.budget.limit ?? WeightBudget.DEFAULT_LIMIT }))))
  )

/** `layer` with options read through Effect's `Config` (environment variables, a ConfigProvider). */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<Services, InvalidInput | ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
