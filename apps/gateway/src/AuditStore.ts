/**
 * The gateway's durable store over @effect/sql's `SqlClient` (SQLite or PostgreSQL, see
 * `audit/Database.ts`): the audit log of change attempts and the apply jobs.
 *
 * An audit row is written before the upstream call (`started`) and completed after it. A job row is
 * written when the job is created (`queued`, with its desired state and plan), updated when it
 * starts and when it ends (`done` with its summary, or `interrupted`), and each progress event
 * (step started, step finished with its outcome, done) is appended as it happens. At start-up, what a
 * previous process of this instance left unfinished becomes `interrupted`: audit rows left
 * `started` and jobs left `queued` or `running` (rows, requests, before-states and events are kept).
 *
 * A database that fails answers `StoreUnavailable` (503 with Retry-After); rows are decoded by
 * Schema, and a row the gateway cannot decode (it wrote it) is a defect.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as SqlSchema from "@effect/sql/SqlSchema"
import type { AuditAction, AuditOutcome, AuditPage } from "@marginctl/gateway-api/Audit"
import type { ChangeOrigin } from "@marginctl/gateway-api/Events"
import type { StoreUnavailable } from "@marginctl/gateway-api/Errors"
import type { JobEvent } from "@marginctl/gateway-api/Jobs"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { guarded } from "./audit/Unavailable.js"
import { AuditRecord, ExternalAuditRow, FinishedAuditRow, InsertedId, JobEventRow, JobRecordRow, NewAuditRow } from "./audit/Rows.js"

/** A change attempt through the gateway as it starts (the store adds the time and the instance). */
export type AuditStart = Omit<typeof NewAuditRow.Type, "timeMs" | "outcome" | "instance" | "origin">

/** A change made elsewhere, seen on the user-data stream at `timeMs` (Binance's time of the change). */
export interface ExternalChange {
  readonly account: string
  readonly action: AuditAction
  readonly request: unknown
  readonly before: unknown
  readonly timeMs: number
  readonly message: string
}

/** The token name of the rows of changes made elsewhere (not a valid token name, so never a caller's). */
export const EXTERNAL_TOKEN = "(external)"

export interface AuditFinish {
  readonly outcome: Exclude<AuditOutcome, "started">
  readonly after: unknown
  readonly code: number | null
  readonly message: string | null
}

export interface AuditFilter {
  readonly account?: string | undefined
  readonly token?: string | undefined
  readonly outcome?: AuditOutcome | undefined
  readonly origin?: ChangeOrigin | undefined
  readonly fromMs?: number | undefined
  readonly toMs?: number | undefined
  /** Only rows of these accounts (the caller's); undefined = every account. */
  readonly accounts?: ReadonlyArray<string> | undefined
  readonly limit: number
  /** Rows with a smaller id than this (the previous page's last id). */
  readonly beforeId?: number | undefined
}

/** A job's row as the gateway writes it (the store adds the instance). */
export type JobRow = Omit<JobRecordRow, "instance">

/** A job as read back: its row, its events in order and the instance that ran it. */
export interface StoredJob extends JobRecordRow {
  readonly events: ReadonlyArray<JobEvent>
}

export interface AuditStoreShape {
  readonly kind: "sqlite" | "postgres"
  /** Answers when the database does (for /readyz). */
  readonly ping: Effect.Effect<void, StoreUnavailable>
  readonly started: (entry: AuditStart) => Effect.Effect<number, StoreUnavailable>
  readonly finished: (id: number, result: AuditFinish) => Effect.Effect<void, StoreUnavailable>
  /** Records a change made elsewhere (outcome `changed`, origin `external`). */
  readonly external: (change: ExternalChange) => Effect.Effect<void, StoreUnavailable>
  /** Whether this gateway attempted exactly this change on the account since `sinceMs` (any instance of a shared store). */
  readonly attemptedSince: (account: string, action: AuditAction, request: unknown, sinceMs: number) => Effect.Effect<boolean, StoreUnavailable>
  readonly query: (filter: AuditFilter) => Effect.Effect<AuditPage, StoreUnavailable>
  /** Marks this instance's rows left `started` as `interrupted`; returns how many. */
  readonly markInterrupted: Effect.Effect<number, StoreUnavailable>
  /** Writes a job's row (insert or update), recorded as run by this instance. */
  readonly saveJob: (job: JobRow) => Effect.Effect<void, StoreUnavailable>
  /** Appends one progress event of a job. */
  readonly jobEvent: (jobId: string, event: JobEvent) => Effect.Effect<void, StoreUnavailable>
  /** A job with its events; undefined when the store has none with this id. */
  readonly getJob: (id: string) => Effect.Effect<StoredJob | undefined, StoreUnavailable>
  /** Marks this instance's jobs left `queued` or `running` as `interrupted`; returns how many. */
  readonly markJobsInterrupted: Effect.Effect<number, StoreUnavailable>
}

export class AuditStore extends Context.Tag("@marginctl/gateway/AuditStore")<AuditStore, AuditStoreShape>() {}

export const INTERRUPTED_MESSAGE =
  "the gateway stopped before the outcome of this call was recorded; re-read the account to know whether it executed"

export const make = (instance: string): Effect.Effect<AuditStoreShape, never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const kind = sql.onDialectOrElse({ pg: () => "postgres" as const, orElse: () => "sqlite" as const })

    const guard = guarded(kind)

    const insertStarted = SqlSchema.single({
      Request: NewAuditRow,
      Result: InsertedId,
      execute: (row) => sql`INSERT INTO audit ${sql.insert(row)} RETURNING id`
    })
    const decodeAudit = Schema.decodeUnknown(Schema.Array(AuditRecord))
    const selectAudit = (filter: AuditFilter) => {
      const where = [
        filter.account === undefined ? [] : [sql`account = ${filter.account}`],
        filter.token === undefined ? [] : [sql`token = ${filter.token}`],
        filter.outcome === undefined ? [] : [sql`outcome = ${filter.outcome}`],
        filter.origin === undefined ? [] : [sql`origin = ${filter.origin}`],
        filter.fromMs === undefined ? [] : [sql`time_ms >= ${filter.fromMs}`],
        filter.toMs === undefined ? [] : [sql`time_ms < ${filter.toMs}`],
        filter.beforeId === undefined ? [] : [sql`id < ${filter.beforeId}`],
        filter.accounts === undefined ? [] : [filter.accounts.length === 0 ? sql`1 = 0` : sql.in("account", filter.accounts)]
      ].flat()
      return Effect.flatMap(
        sql`SELECT * FROM audit WHERE ${sql.and(where)} ORDER BY id DESC LIMIT ${filter.limit + 1}`,
        decodeAudit
      )
    }
    const insertExternal = SqlSchema.void({
      Request: ExternalAuditRow,
      execute: (row) => sql`INSERT INTO audit ${sql.insert(row)}`
    })
    const encodeRequest = Schema.encodeSync(Schema.parseJson())
    const updateFinished = SqlSchema.void({
      Request: FinishedAuditRow,
      execute: ({ id, ...row }) => sql`UPDATE audit SET ${sql.update(row)} WHERE id = ${id}`
    })
    const encodeJob = Schema.encode(JobRecordRow)
    const selectJob = SqlSchema.findOne({
      Request: Schema.String,
      Result: JobRecordRow,
      execute: (id) => sql`SELECT * FROM jobs WHERE id = ${id}`
    })
    const selectEvents = SqlSchema.findAll({
      Request: Schema.String,
      Result: JobEventRow,
      execute: (id) => sql`SELECT * FROM job_events WHERE job_id = ${id} ORDER BY seq`
    })
    const insertEvent = SqlSchema.void({
      Request: JobEventRow,
      execute: (row) => sql`INSERT INTO job_events ${sql.insert(row)}`
    })
    const touched = (statement: Effect.Effect<ReadonlyArray<unknown>, SqlError>) =>
      guard(Effect.map(statement, (rows) => rows.length))

    return {
      kind,
      ping: guard(sql`SELECT 1`),
      started: (e) =>
        Effect.flatMap(Clock.currentTimeMillis, (timeMs) =>
          guard(insertStarted({ ...e, request: e.request ?? null, before: e.before ?? null, timeMs, outcome: "started", instance, origin: "gateway" }).pipe(Effect.catchTag("NoSuchElementException", Effect.die)))).pipe(Effect.map((row) => row.id)),
      finished: (id, r) =>
        Effect.flatMap(Clock.currentTimeMillis, (finishedMs) =>
          guard(updateFinished({ id, finishedMs, outcome: r.outcome, after: r.after ?? null, code: r.code, message: r.message }))),
      external: (c) =>
        Effect.flatMap(Clock.currentTimeMillis, (finishedMs) =>
          guard(insertExternal({
            timeMs: c.timeMs,
            finishedMs,
            token: EXTERNAL_TOKEN,
            account: c.account,
            action: c.action,
            request: c.request,
            before: c.before ?? null,
            after: c.request,
            outcome: "changed",
            code: null,
            message: c.message,
            jobId: null,
            instance,
            origin: "external"
          }))),
      attemptedSince: (account, action, request, sinceMs) =>
        guard(sql`SELECT id FROM audit WHERE account = ${account} AND action = ${action} AND time_ms >= ${sinceMs}
                  AND origin = 'gateway' AND request = ${encodeRequest(request)} LIMIT 1`).pipe(Effect.map((rows) => rows.length > 0)),
      query: (filter) =>
        Effect.map(guard(selectAudit(filter)), (rows): AuditPage => {
          const shown = rows.slice(0, filter.limit)
          return { rows: shown, nextCursor: rows.length > filter.limit ? String(shown[shown.length - 1]!.id) : null }
        }),
      markInterrupted: Effect.flatMap(Clock.currentTimeMillis, (now) =>
        touched(
          sql`UPDATE audit SET outcome = 'interrupted', finished_ms = ${now}, message = ${INTERRUPTED_MESSAGE}
              WHERE outcome = 'started' AND instance = ${instance} RETURNING id`
        )),
      saveJob: (job) =>
        guard(Effect.flatMap(encodeJob({ ...job, instance }), (row) =>
          sql`INSERT INTO jobs ${sql.insert(row)}
              ON CONFLICT (id) DO UPDATE SET state = excluded.state, started_ms = excluded.started_ms,
                finished_ms = excluded.finished_ms, summary = excluded.summary, instance = excluded.instance`)).pipe(
            Effect.asVoid
          ),
      jobEvent: (jobId, e) => guard(insertEvent({ jobId, seq: e.seq, time: e.time, event: e.event })),
      getJob: (id) =>
        guard(Effect.all([selectJob(id), selectEvents(id)], { concurrency: 2 })).pipe(
          Effect.map(([job, events]) =>
            Option.match(job, {
              onNone: () => undefined,
              onSome: (row): StoredJob => ({ ...row, events: events.map(({ event, seq, time }) => ({ seq, time, event })) })
            })
          )
        ),
      markJobsInterrupted: Effect.flatMap(Clock.currentTimeMillis, (now) =>
        touched(
          sql`UPDATE jobs SET state = 'interrupted', finished_ms = ${now}
              WHERE state IN ('queued', 'running') AND instance = ${instance} RETURNING id`
        ))
    } satisfies AuditStoreShape
  })

/** The store of this instance over the `SqlClient` in context. */
export const layer = (instance: string): Layer.Layer<AuditStore, never, SqlClient.SqlClient> =>
  Layer.effect(AuditStore, make(instance))
