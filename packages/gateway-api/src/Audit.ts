/**
 * The audit log: every change attempt (single writes and job steps), written before the upstream
 * call (`started`) and after it (its outcome), and every change made elsewhere that the gateway saw. Rows that a previous process left `started` are
 * marked `interrupted` at start-up. Filters and cursor paging, newest first.
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import * as Schema from "effect/Schema"
import { AccountName } from "./Accounts.js"
import { Authentication } from "./Auth.js"
import { Forbidden, InvalidRequest, StoreUnavailable } from "./Errors.js"
import { ChangeOrigin } from "./Events.js"

export const AuditOutcome = Schema.Literal(
  "started",
  "changed",
  "unchanged",
  "blocked",
  "rejected",
  "failed",
  "unknown",
  "interrupted"
).annotations({ identifier: "AuditOutcome" })
export type AuditOutcome = typeof AuditOutcome.Type

export const AuditAction = Schema.Literal("set-multi-assets", "set-margin-type", "set-leverage", "set-position-mode").annotations({ identifier: "AuditAction" })
export type AuditAction = typeof AuditAction.Type

export const AuditRow = Schema.Struct({
  id: Schema.Number,
  /** When the attempt started (ISO 8601). */
  time: Schema.String,
  /** When its outcome was recorded, or null. */
  finishedAt: Schema.NullOr(Schema.String),
  /** Name of the token (never the token). */
  token: Schema.String,
  account: Schema.String,
  action: AuditAction,
  /** What was asked, e.g. {"symbol":"BTCUSDT","marginType":"ISOLATED"}. */
  request: Schema.Unknown,
  before: Schema.Unknown,
  after: Schema.Unknown,
  outcome: AuditOutcome,
  /** Binance's error code when it answered with one. */
  code: Schema.NullOr(Schema.Number),
  message: Schema.NullOr(Schema.String),
  jobId: Schema.NullOr(Schema.String),
  /** The gateway instance that made the attempt (or, for a change made elsewhere, that saw it). */
  instance: Schema.String,
  /**
   * `gateway`: an attempt through this gateway; `external`: a change made elsewhere (Binance's app,
   * another bot), seen on the user-data stream, recorded `changed` with token `(external)`.
   */
  origin: ChangeOrigin
}).annotations({ identifier: "AuditRow" })
export type AuditRow = typeof AuditRow.Type

export const MAX_LIMIT = 500

export const AuditQuery = Schema.Struct({
  account: Schema.optional(AccountName),
  token: Schema.optional(Schema.String.pipe(Schema.maxLength(128))),
  outcome: Schema.optional(AuditOutcome),
  origin: Schema.optional(ChangeOrigin),
  /** Inclusive lower bound (ISO 8601 date or date-time). */
  from: Schema.optional(Schema.Date),
  /** Exclusive upper bound (ISO 8601 date or date-time). */
  to: Schema.optional(Schema.Date),
  /** 1 to 500, default 100. */
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, MAX_LIMIT))),
  /** `nextCursor` of the previous page. */
  cursor: Schema.optional(Schema.String.pipe(Schema.pattern(/^[0-9]{1,15}$/)))
}).annotations({ identifier: "AuditQuery" })
export type AuditQuery = typeof AuditQuery.Type

export const AuditPage = Schema.Struct({
  rows: Schema.Array(AuditRow),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: Schema.NullOr(Schema.String)
}).annotations({ identifier: "AuditPage" })
export type AuditPage = typeof AuditPage.Type

export class AuditGroup extends HttpApiGroup.make("audit")
  .add(
    HttpApiEndpoint.get("list", "/v1/audit")
      .setUrlParams(AuditQuery)
      .addSuccess(AuditPage)
      .annotate(OpenApi.Summary, "Audit log of change attempts, newest first (rows of the accounts the token may touch)")
  )
  .addError(InvalidRequest)
  .addError(Forbidden)
  .addError(StoreUnavailable)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Audit")
{}
