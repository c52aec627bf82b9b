/**
 * The store's rows as Schemas: each one decodes a row of the database (snake_case columns, JSON kept
 * as text, flags as 0/1) into what the gateway uses, and encodes it back for an insert. The same
 * Schemas serve SQLite and PostgreSQL (PostgreSQL's BIGINT columns are read as numbers: see
 * `audit/Database.ts`).
 */
import * as Planner from "@marginctl/core/Planner"
import { AuditAction, AuditOutcome } from "@marginctl/gateway-api/Audit"
import { ChangeOrigin } from "@marginctl/gateway-api/Events"
import { JobState } from "@marginctl/gateway-api/Jobs"
import * as Schema from "effect/Schema"

/** `field` of the decoded value, stored in `column`. */
const column = <S extends Schema.Schema.All>(schema: S, name: string) => Schema.propertySignature(schema).pipe(Schema.fromKey(name))

/** Epoch milliseconds shown as ISO 8601, as the API shows them. */
const IsoFromMs = Schema.transform(Schema.Number, Schema.String, {
  strict: true,
  decode: (ms) => new Date(ms).toISOString(),
  encode: (iso) => Date.parse(iso)
})

/** A JSON value kept as text; SQL NULL is JSON null. */
const JsonText = Schema.NullOr(Schema.parseJson())

/** SQLite has no boolean: 1 or 0 (PostgreSQL keeps the same INTEGER column). */
const Flag = Schema.transform(Schema.Number, Schema.Boolean, {
  strict: true,
  decode: (n) => n === 1,
  encode: (b) => (b ? 1 : 0)
})

/** Who asked what of which account, and the state before: the columns written with a new audit row. */
const asked = {
  token: Schema.String,
  account: Schema.String,
  action: AuditAction,
  request: JsonText,
  before: column(JsonText, "state_before"),
  jobId: column(Schema.NullOr(Schema.String), "job_id"),
  instance: Schema.String,
  origin: ChangeOrigin
}

/** How it ended: the columns written when the upstream call has answered. */
const ended = {
  outcome: AuditOutcome,
  after: column(JsonText, "state_after"),
  code: Schema.NullOr(Schema.Number),
  message: Schema.NullOr(Schema.String)
}

/** A new audit row: written `started`, before the upstream call. */
export const NewAuditRow = Schema.Struct({ timeMs: column(Schema.Number, "time_ms"), ...asked, outcome: Schema.Literal("started") })

/** A change made elsewhere, written finished at once. */
export const ExternalAuditRow = Schema.Struct({
  timeMs: column(Schema.Number, "time_ms"),
  finishedMs: column(Schema.Number, "finished_ms"),
  ...asked,
  ...ended
})

/** The completion of an audit row: its outcome, the state after and Binance's code. */
export const FinishedAuditRow = Schema.Struct({ id: Schema.Number, finishedMs: column(Schema.Number, "finished_ms"), ...ended })

/** An audit row as the API shows it. */
export const AuditRecord = Schema.Struct({
  id: Schema.Number,
  time: column(IsoFromMs, "time_ms"),
  finishedAt: column(Schema.NullOr(IsoFromMs), "finished_ms"),
  ...asked,
  ...ended
})

/** A job's row: what it was asked, its plan and where it stands. */
export const JobRecordRow = Schema.Struct({
  id: Schema.String,
  account: Schema.String,
  /** Name of the token that started it. */
  token: Schema.String,
  state: JobState,
  createdAt: column(Schema.Number, "created_ms"),
  startedAt: column(Schema.NullOr(Schema.Number), "started_ms"),
  finishedAt: column(Schema.NullOr(Schema.Number), "finished_ms"),
  continueOnBlocked: column(Flag, "continue_on_blocked"),
  concurrency: Schema.Number,
  desired: Schema.parseJson(Planner.DesiredState),
  plan: Schema.parseJson(Planner.Plan),
  summary: Schema.NullOr(Schema.parseJson(Planner.ApplySummary)),
  /** The gateway instance that ran it. */
  instance: Schema.String
})
export type JobRecordRow = typeof JobRecordRow.Type

/** One progress event of a job. */
export const JobEventRow = Schema.Struct({
  jobId: column(Schema.String, "job_id"),
  seq: Schema.Number,
  time: column(Schema.Number, "time_ms"),
  event: Schema.parseJson(Planner.ProgressEvent)
})

/** The id of a new audit row (`RETURNING id`, the same in both databases). */
export const InsertedId = Schema.Struct({ id: Schema.Number })
