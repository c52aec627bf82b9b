/**
 * Typed errors. Every error that Binance (or the path to it) can produce maps to one of these
 * `Schema.TaggedError` classes, which keep Binance's `code` and `msg` and the HTTP `status`, and name
 * the endpoint by method and path only: never a query string, a signature, a key or a secret.
 */
import * as Schema from "effect/Schema"
import { codeInfo, type CodeInfo, reasonOf, SERVICE_503 } from "./BinanceCodes.js"

const Upstream = {
  /** HTTP status of the answer (0 when no answer arrived). */
  status: Schema.Number,
  /** Binance's error code, or null when the answer carried none. */
  code: Schema.NullOr(Schema.Number),
  /** Binance's message (or a description of what happened when there was no answer). */
  msg: Schema.String,
  /** `METHOD /path` of the call, without its query string. */
  endpoint: Schema.optionalWith(Schema.String, { default: () => "" })
}

const at = (e: { readonly endpoint: string }) => (e.endpoint ? ` (${e.endpoint})` : "")

// ---------------------------------------------------------------------------------------------
// Exchange rules

export const MarginTypeBlockedReason = Schema.Literal("open-orders", "position", "multi-assets")
export type MarginTypeBlockedReason = typeof MarginTypeBlockedReason.Type

/** A margin-type change refused by a rule: -4047 open orders, -4048 position, -4168 Multi-Assets on. */
export class MarginTypeBlocked extends Schema.TaggedError<MarginTypeBlocked>()("MarginTypeBlocked", {
  ...Upstream,
  reason: MarginTypeBlockedReason,
  symbol: Schema.optional(Schema.String)
}) {
  get message() {
    return `${this.symbol ?? "symbol"}: ${this.msg}${at(this)}`
  }
}

export const MultiAssetsBlockedReason = Schema.Literal(
  "isolated-symbols",
  "open-orders",
  "negative-balance",
  "insufficient-margin",
  "credits-lock"
)
export type MultiAssetsBlockedReason = typeof MultiAssetsBlockedReason.Type

/** A Multi-Assets switch refused by a rule: -4167, -4170, -4172, -4169. */
export class MultiAssetsBlocked extends Schema.TaggedError<MultiAssetsBlocked>()("MultiAssetsBlocked", {
  ...Upstream,
  reason: MultiAssetsBlockedReason
}) {
  get message() {
    return `${this.msg}${at(this)}`
  }
}

/** A position-mode change refused: -4067 open orders, -4068 position, -4531 UM/CM sync. */
export class PositionModeBlocked extends Schema.TaggedError<PositionModeBlocked>()("PositionModeBlocked", {
  ...Upstream,
  reason: Schema.Literal("open-orders", "position", "sync-required")
}) {
  get message() {
    return `${this.msg}${at(this)}`
  }
}

/** The setting already has the requested value: -4046, -4171, -4059, -4052. Setters turn it into `Unchanged`. */
export class NoChangeNeeded extends Schema.TaggedError<NoChangeNeeded>()("NoChangeNeeded", {
  ...Upstream,
  setting: Schema.Literal("margin-type", "multi-assets", "position-side", "auto-add-margin")
}) {
  get message() {
    return `${this.msg}${at(this)}`
  }
}

/** The account's state refuses the call: margin, liquidation, inactive account, isolated-margin rules. */
export class AccountRejected extends Schema.TaggedError<AccountRejected>()("AccountRejected", {
  ...Upstream,
  reason: Schema.Literal("insufficient-margin", "liquidation", "inactive", "balance", "leverage")
}) {
  get message() {
    return `${this.msg}${at(this)}`
  }
}

/** An order-related rejection (not sent by the settings endpoints, kept so every code has a home). */
export class OrderRejected extends Schema.TaggedError<OrderRejected>()("OrderRejected", Upstream) {
  get message() {
    return `${this.msg}${at(this)}`
  }
}

// ---------------------------------------------------------------------------------------------
// Request problems

export const InvalidParameterReason = Schema.Literal(
  "missing",
  "invalid",
  "too-many",
  "duplicate",
  "unknown",
  "empty",
  "not-required",
  "illegal-chars",
  "unread",
  "bad-combination",
  "bad-asset",
  "bad-account",
  "bad-precision",
  "bad-time-range",
  "listen-key",
  "leverage"
)

/** Binance refused a parameter (-1100 … -1130 except -1121). */
export class InvalidParameter extends Schema.TaggedError<InvalidParameter>()("InvalidParameter", {
  ...Upstream,
  reason: InvalidParameterReason,
  param: Schema.optional(Schema.String)
}) {
  get message() {
    return `${this.msg}${at(this)}`
  }
}

/** -1121 Invalid symbol, -1122 invalid symbol status. */
export class UnknownSymbol extends Schema.TaggedError<UnknownSymbol>()("UnknownSymbol", {
  ...Upstream,
  symbol: Schema.optional(Schema.String)
}) {
  get message() {
    return `${this.symbol ? `${this.symbol}: ` : ""}${this.msg}${at(this)}`
  }
}

// ---------------------------------------------------------------------------------------------
// Authentication and time

/** -1022: the signature does not match (wrong secret or key, or the signed bytes differ from those sent). */
export class InvalidSignature extends Schema.TaggedError<InvalidSignature>()("InvalidSignature", Upstream) {
  get message() {
    return `${this.msg}${at(this)}`
  }
}

/** -2014 malformed key, -2015 unknown key / IP / permission, -1002, -1011, -1099, -1004, -1005. */
export class InvalidApiKey extends Schema.TaggedError<InvalidApiKey>()("InvalidApiKey", {
  ...Upstream,
  reason: Schema.Literal("format", "rejected", "unauthorized", "ip-not-allowed")
}) {
  get message() {
    return `${this.msg}${at(this)}`
  }
}

/** -1021: the timestamp was 1000 ms ahead of the server or older than recvWindow; -5028 at the matching engine. */
export class TimestampOutsideWindow extends Schema.TaggedError<TimestampOutsideWindow>()("TimestampOutsideWindow", {
  ...Upstream,
  reason: Schema.Literal("ahead", "behind", "matching-engine")
}) {
  get message() {
    return `${this.msg}${at(this)}`
  }
}

// ---------------------------------------------------------------------------------------------
// Limits

/**
 * 429 / -1003 / -1015 from Binance (`source: "exchange"`), a 403 from its WAF (web application
 * firewall: "the WAF limit was violated", reference §1.3; `source: "firewall"`, never waited out), or
 * the local weight budget refusing to wait that long (`source: "budget"`). `retryAfterSeconds` from the
 * `Retry-After` header when sent.
 */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  ...Upstream,
  source: Schema.Literal("exchange", "firewall", "budget"),
  retryAfterSeconds: Schema.NullOr(Schema.Number)
}) {
  get message() {
    const wait = this.retryAfterSeconds === null ? "" : `; retry after ${this.retryAfterSeconds} s`
    return `${this.msg}${wait}${at(this)}`
  }
}

/** 418: the IP is banned until `until` (epoch ms, when known). Nothing is sent until then. */
export class IpBanned extends Schema.TaggedError<IpBanned>()("IpBanned", {
  ...Upstream,
  until: Schema.NullOr(Schema.Number),
  retryAfterSeconds: Schema.NullOr(Schema.Number)
}) {
  get message() {
    const until = this.until === null ? "" : `; banned until ${new Date(this.until).toISOString()}`
    return `${this.msg}${until}${at(this)}`
  }
}

// ---------------------------------------------------------------------------------------------
// Outcome and transport

/**
 * The call may or may not have executed: 503 "Unknown error…", -1006, -1007, or a write whose answer
 * never arrived (timeout, dropped connection). Re-read the state before doing anything else.
 */
export class ExecutionUnknown extends Schema.TaggedError<ExecutionUnknown>()("ExecutionUnknown", Upstream) {
  get message() {
    return `execution status unknown: ${this.msg}${at(this)}`
  }
}

/** The call did not execute: 503 "Service Unavailable.", "Internal error…", -1008 throttled, other 5xx. */
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()("ServiceUnavailable", {
  ...Upstream,
  reason: Schema.Literal("unavailable", "internal", "throttled", "server-error", "shutting-down", "unsupported")
}) {
  get message() {
    return `${this.msg}${at(this)}`
  }
}

/** No answer to a read: connection refused or dropped, or timed out. */
export class Transport extends Schema.TaggedError<Transport>()("Transport", {
  ...Upstream,
  reason: Schema.Literal("connection", "timeout")
}) {
  get message() {
    return `${this.msg}${at(this)}`
  }
}

/** An answer that is not what the endpoint documents (not JSON, wrong shape, unknown status). */
export class UnexpectedResponse extends Schema.TaggedError<UnexpectedResponse>()("UnexpectedResponse", Upstream) {
  get message() {
    return `unexpected response (HTTP ${this.status}): ${this.msg}${at(this)}`
  }
}

/** Any other Binance error code, kept as data. */
export class BinanceRejected extends Schema.TaggedError<BinanceRejected>()("BinanceRejected", Upstream) {
  get message() {
    return `${this.code === null ? "" : `${this.code} `}${this.msg}${at(this)}`
  }
}

// ---------------------------------------------------------------------------------------------
// Local errors (before anything is sent)

/** Bad input from a person or a caller: names the field and what is accepted. */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  field: Schema.String,
  accepted: Schema.String,
  received: Schema.optional(Schema.String)
}) {
  get message() {
    const got = this.received === undefined ? "" : `; got ${this.received}`
    return `invalid ${this.field}: expected ${this.accepted}${got}`
  }
}

/** A desired state that cannot exist on Binance (e.g. Multi-Assets on with an ISOLATED symbol). */
export class DesiredStateRejected extends Schema.TaggedError<DesiredStateRejected>()("DesiredStateRejected", {
  reason: Schema.String,
  symbols: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] })
}) {
  get message() {
    return this.reason
  }
}

/**
 * Signing failed: the key could not be imported or used. Never carries key material or a passphrase.
 * "unsupported-key" also covers an encrypted key given without its passphrase and encryption schemes
 * other than PBES2 (PBKDF2 + AES-CBC); "wrong-passphrase": the passphrase does not decrypt the key.
 */
export class SignerError extends Schema.TaggedError<SignerError>()("SignerError", {
  reason: Schema.Literal("unsupported-key", "invalid-key", "wrong-passphrase", "sign-failed"),
  detail: Schema.String
}) {
  get message() {
    return `signing key problem (${this.reason}): ${this.detail}`
  }
}

/** Every error a call to Binance can end with. */
export type BinanceError =
  | MarginTypeBlocked
  | MultiAssetsBlocked
  | PositionModeBlocked
  | NoChangeNeeded
  | AccountRejected
  | OrderRejected
  | InvalidParameter
  | UnknownSymbol
  | InvalidSignature
  | InvalidApiKey
  | TimestampOutsideWindow
  | RateLimited
  | IpBanned
  | ExecutionUnknown
  | ServiceUnavailable
  | Transport
  | UnexpectedResponse
  | BinanceRejected
  | SignerError

export const BinanceError = Schema.Union(
  MarginTypeBlocked,
  MultiAssetsBlocked,
  PositionModeBlocked,
  NoChangeNeeded,
  AccountRejected,
  OrderRejected,
  InvalidParameter,
  UnknownSymbol,
  InvalidSignature,
  InvalidApiKey,
  TimestampOutsideWindow,
  RateLimited,
  IpBanned,
  ExecutionUnknown,
  ServiceUnavailable,
  Transport,
  UnexpectedResponse,
  BinanceRejected,
  SignerError
)

/** Whether a value is one of the core's errors (not a look-alike with the same tag from another schema). */
export const isBinanceError: (u: unknown) => u is BinanceError = Schema.is(BinanceError)

/** Rule rejections: the exchange understood the call and refused it because of the account's state. */
export type RuleRejection = MarginTypeBlocked | MultiAssetsBlocked | PositionModeBlocked | AccountRejected

export const isRuleRejection = (e: { readonly _tag: string }): e is RuleRejection =>
  e._tag === "MarginTypeBlocked" || e._tag === "MultiAssetsBlocked" || e._tag === "PositionModeBlocked" ||
  e._tag === "AccountRejected"

// ---------------------------------------------------------------------------------------------
// Classification

export interface UpstreamAnswer {
  readonly status: number
  readonly code: number | null
  readonly msg: string
  readonly endpoint: string
  /** Seconds from a `Retry-After` header. */
  readonly retryAfterSeconds?: number | null
  /** Current time (ms), to turn a ban's Retry-After into an end time. */
  readonly now?: number
  /** The call may change state (TRADE): an unknown outcome then matters. */
  readonly isWrite?: boolean
  readonly symbol?: string | undefined
}

const paramIn = (msg: string): string | undefined => /parameter '([^']+)'|Param '([^']+)'/.exec(msg)?.slice(1).find(Boolean)

const BAN_UNTIL = /banned until (\d{10,})/

const WAF = "The WAF (web application firewall) limit was violated (HTTP 403)"

/** A 403's message names the firewall; the answer's own text (often an HTML page) follows, shortened. */
const wafMessage = (msg: string): string => {
  const text = msg.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim()
  return text === "" || text === "HTTP 403" ? `${WAF}.` : `${WAF}: ${text.slice(0, 120)}`
}

/**
 * Maps an error answer (HTTP status, Binance code and message) to its tagged error. For a read, an
 * "execution unknown" answer is just a failed read.
 */
export const fromAnswer = (a: UpstreamAnswer): BinanceError => {
  const error = classify(a)
  return error._tag === "ExecutionUnknown" && a.isWrite === false
    ? new ServiceUnavailable({ status: error.status, code: error.code, msg: error.msg, endpoint: error.endpoint, reason: "server-error" })
    : error
}

/** The typed error of a code's row in the table (`BinanceCodes`), with the reason its message carries. */
const fromRow = (
  info: CodeInfo,
  a: UpstreamAnswer,
  base: { readonly status: number; readonly code: number | null; readonly msg: string; readonly endpoint: string }
): BinanceError => {
  const reason = reasonOf(info, a.msg) as never
  switch (info.tag) {
    case "MarginTypeBlocked":
      return new MarginTypeBlocked({ ...base, reason, symbol: a.symbol })
    case "MultiAssetsBlocked":
      return new MultiAssetsBlocked({ ...base, reason })
    case "PositionModeBlocked":
      return new PositionModeBlocked({ ...base, reason })
    case "NoChangeNeeded":
      return new NoChangeNeeded({ ...base, setting: reason })
    case "AccountRejected":
      return new AccountRejected({ ...base, reason })
    case "OrderRejected":
      return new OrderRejected(base)
    case "InvalidParameter":
      return new InvalidParameter({ ...base, reason, param: paramIn(a.msg) })
    case "UnknownSymbol":
      return new UnknownSymbol({ ...base, symbol: a.symbol })
    case "InvalidSignature":
      return new InvalidSignature(base)
    case "InvalidApiKey":
      return new InvalidApiKey({ ...base, reason })
    case "TimestampOutsideWindow":
      return new TimestampOutsideWindow({ ...base, reason })
    case "RateLimited":
      return new RateLimited({ ...base, source: reason, retryAfterSeconds: a.retryAfterSeconds ?? null })
    case "IpBanned":
      return new IpBanned({ ...base, until: null, retryAfterSeconds: a.retryAfterSeconds ?? null })
    case "ExecutionUnknown":
      return new ExecutionUnknown(base)
    case "ServiceUnavailable":
      return new ServiceUnavailable({ ...base, reason })
    case "Transport":
      return new Transport({ ...base, reason })
    case "UnexpectedResponse":
      return new UnexpectedResponse(base)
    case "BinanceRejected":
      return new BinanceRejected(base)
  }
}

const classify = (a: UpstreamAnswer): BinanceError => {
  const base = { status: a.status, code: a.code, msg: a.msg, endpoint: a.endpoint }
  const retryAfter = a.retryAfterSeconds ?? null
  if (a.status === 418) {
    const fromMsg = BAN_UNTIL.exec(a.msg)
    const until = fromMsg
      ? Number(fromMsg[1])
      : retryAfter !== null && a.now !== undefined
      ? a.now + retryAfter * 1000
      : null
    return new IpBanned({ ...base, until, retryAfterSeconds: retryAfter })
  }
  if (a.status === 429) return new RateLimited({ ...base, source: "exchange", retryAfterSeconds: retryAfter })
  // The four documented 503s are told apart by their message, whatever code comes with it.
  if (a.status === 503) {
    if (a.msg === SERVICE_503.unknown || a.msg.startsWith("Unknown error")) return new ExecutionUnknown(base)
    if (a.msg === SERVICE_503.unavailable) return new ServiceUnavailable({ ...base, reason: "unavailable" })
    if (a.msg === SERVICE_503.internal) return new ServiceUnavailable({ ...base, reason: "internal" })
    if (a.msg === SERVICE_503.throttled) return new ServiceUnavailable({ ...base, reason: "throttled" })
  }
  const info = a.code === null ? undefined : codeInfo(a.code)
  if (info !== undefined) return fromRow(info, a, base)
  if (a.status === 503) {
    // An undocumented 503: for a write, the outcome is not known.
    return a.isWrite ? new ExecutionUnknown(base) : new ServiceUnavailable({ ...base, reason: "unavailable" })
  }
  if (a.status === 408 || a.status === 504) {
    return a.isWrite ? new ExecutionUnknown(base) : new ServiceUnavailable({ ...base, reason: "server-error" })
  }
  // Binance: a 5XX "is NOT a failure; the execution status is UNKNOWN" — for a write that matters.
  if (a.status >= 500) {
    return a.isWrite ? new ExecutionUnknown(base) : new ServiceUnavailable({ ...base, reason: "server-error" })
  }
  if (a.status === 401) return new InvalidApiKey({ ...base, reason: "unauthorized" })
  // Reference §1.3: a 403 means the WAF (web application firewall) limit was violated. Key and
  // IP-whitelist refusals carry their own codes (-2015, -1011…), mapped above.
  if (a.status === 403) return new RateLimited({ ...base, msg: wafMessage(a.msg), source: "firewall", retryAfterSeconds: retryAfter })
  if (a.code === null) return new UnexpectedResponse(base)
  return new BinanceRejected(base)
}
