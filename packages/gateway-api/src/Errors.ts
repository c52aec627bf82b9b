/**
 * The gateway's typed errors, each with its HTTP status. Servers fail handlers with them; clients
 * derived from the contract decode them back into the same classes (`Effect.catchTag("NotFound", …)`).
 * None of them ever carries a key, a secret, a token or a signed URL.
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as Schema from "effect/Schema"
import { StreamCheck } from "./StreamMode.js"

/** 400: an input the gateway refuses; `field` names it (`body.desired.marginTypes`, `symbols`, …). */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  field: Schema.String,
  message: Schema.String
}, HttpApiSchema.annotations({ status: 400, description: "An input is invalid; `field` names it" })) {}

/** 401: no bearer token, or one the gateway does not know. */
export class Unauthenticated extends Schema.TaggedError<Unauthenticated>()("Unauthenticated", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 401, description: "Missing or unknown bearer token" })) {}

/** 403: the token lacks the scope (`read`, `write`) or may not touch the account. */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  reason: Schema.Literal("scope", "account"),
  message: Schema.String
}, HttpApiSchema.annotations({ status: 403, description: "The token lacks the scope or the account" })) {}

/** 404: no such account, symbol or job. */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  resource: Schema.Literal("account", "symbol", "job"),
  name: Schema.String,
  message: Schema.String
}, HttpApiSchema.annotations({ status: 404, description: "Unknown account, symbol or job" })) {}

/** 409: the change or desired state breaks the account's policy (set in the gateway's configuration); `rule` names it. */
export class PolicyViolation extends Schema.TaggedError<PolicyViolation>()("PolicyViolation", {
  /** `maxLeverage`, `marginTypes`, `multiAssets` or `positionMode`: the rule of `accounts[].policy` that refuses it. */
  rule: Schema.String,
  message: Schema.String
}, HttpApiSchema.annotations({ status: 409, description: "Refused by the account's policy; `rule` names the rule" })) {}

/** 409: Binance refused the change because of the account's state; `fix` says what to do. */
export class BlockedByRule extends Schema.TaggedError<BlockedByRule>()("BlockedByRule", {
  /** Binance's error code (-4047, -4048, -4167, -4168, -4170, -4172, …). */
  code: Schema.NullOr(Schema.Number),
  /** open-orders, position, multi-assets, isolated-symbols, negative-balance, insufficient-margin, … */
  reason: Schema.String,
  symbol: Schema.optional(Schema.String),
  message: Schema.String,
  fix: Schema.String
}, HttpApiSchema.annotations({ status: 409, description: "Blocked by an exchange rule (reason and fix included)" })) {}

/**
 * 429: the upstream weight budget cannot take the call now (`budget`), Binance answered 429
 * (`exchange`), Binance's firewall answered 403 (`firewall`) or the IP is banned (`banned`). The response carries `Retry-After`.
 */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  source: Schema.Literal("budget", "exchange", "firewall", "banned"),
  retryAfterSeconds: Schema.NullOr(Schema.Number),
  message: Schema.String
}, HttpApiSchema.annotations({ status: 429, description: "Upstream weight budget exhausted; see Retry-After" })) {}

/** 413: the request body is larger than the gateway accepts. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", {
  limitBytes: Schema.Number,
  message: Schema.String
}, HttpApiSchema.annotations({ status: 413, description: "Request body too large" })) {}

/** 502: Binance (or the path to it) failed: transport, 5xx, authentication of the gateway's key, … */
export class UpstreamError extends Schema.TaggedError<UpstreamError>()("UpstreamError", {
  /** The core error tag (Transport, ServiceUnavailable, InvalidApiKey, …). */
  tag: Schema.String,
  code: Schema.NullOr(Schema.Number),
  message: Schema.String
}, HttpApiSchema.annotations({ status: 502, description: "Upstream error" })) {}

/** 504: a write whose answer was lost and whose effect a re-read could not establish. */
export class OutcomeUnknown extends Schema.TaggedError<OutcomeUnknown>()("OutcomeUnknown", {
  code: Schema.NullOr(Schema.Number),
  message: Schema.String
}, HttpApiSchema.annotations({ status: 504, description: "Outcome unknown: re-read the account before retrying" })) {}

/**
 * 503: the gateway's store (the audit log and the jobs: SQLite or PostgreSQL) did not answer, so the
 * request was not carried out (a change is never sent to Binance unless its audit row is written).
 * The response carries `Retry-After`; the store is retried on the next request.
 */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", {
  retryAfterSeconds: Schema.Number,
  message: Schema.String
}, HttpApiSchema.annotations({ status: 503, description: "The audit and job store is unavailable; see Retry-After" })) {}

/** How the store (audit log and jobs) answers, in /readyz. */
export const StoreCheck = Schema.Struct({
  kind: Schema.Literal("sqlite", "postgres"),
  ready: Schema.Boolean,
  detail: Schema.String
})

/** 503 from /readyz: an upstream is not reachable, its clock offset is not known yet, or the store does not answer. */
export class NotReady extends Schema.TaggedError<NotReady>()("NotReady", {
  message: Schema.String,
  accounts: Schema.Array(Schema.Struct({
    name: Schema.String,
    ready: Schema.Boolean,
    detail: Schema.String
  })),
  store: StoreCheck,
  streams: Schema.Array(StreamCheck)
}, HttpApiSchema.annotations({ status: 503, description: "Not ready" })) {}

/** The errors every account endpoint can answer with. */
export const AccountErrors = [InvalidRequest, Forbidden, NotFound, RateLimited, UpstreamError] as const
