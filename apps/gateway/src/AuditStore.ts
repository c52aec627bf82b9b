/**
 * The gateway's durable store, behind a Tag with two implementations (SQLite by default, PostgreSQL
 * when configured): the audit log of change attempts and the apply jobs.
 *
 * An audit row is written before the upstream call (`started`) and completed after it. A job row is
 * written when the job is created (`queued`, with its desired state and plan), updated when it
 * starts and when it ends (`done` with its summary, or `interrupted`), and each progress event
 * (step started, step finished with its outcome, done) is appended as it happens. At start-up, what a
 * previous process of this instance left unfinished becomes `interrupted`: audit rows left
 * `started` and jobs left `queued` or `running` (rows, requests, before-states and events are kept).
 */
import type { AuditAction, AuditOutcome, AuditPage, AuditRow } from "@marginctl/gateway-api/Audit"
import type { JobEvent, JobState } from "@marginctl/gateway-api/Jobs"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

export interface AuditStart {
  readonly token: string
  readonly account: string
  readonly action: AuditAction
  readonly request: unknown
  readonly before: unknown
  readonly jobId: string | null
}

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
  readonly fromMs?: number | undefined
  readonly toMs?: number | undefined
  /** Only rows of these accounts (the caller's); undefined = every account. */
  readonly accounts?: ReadonlyArray<string> | undefined
  readonly limit: number
  /** Rows with a smaller id than this (the previous page's last id). */
  readonly beforeId?: number | undefined
}

/** A job's row: what it was asked, its plan and where it stands (JSON values as the API shows them). */
export interface JobRow {
  readonly id: string
  readonly account: string
  /** Name of the token that started it. */
  readonly token: string
  readonly state: JobState
  readonly createdAt: number
  readonly startedAt: number | null
  readonly finishedAt: number | null
  readonly continueOnBlocked: boolean
  readonly concurrency: number
  readonly desired: unknown
  readonly plan: unknown
  readonly summary: unknown
}

/** A job as read back: its row, its events in order and the instance that ran it. */
export interface StoredJob extends JobRow {
  readonly events: ReadonlyArray<{ readonly seq: number; readonly time: number; readonly event: unknown }>
  readonly instance: string
}

export interface AuditStoreShape {
  readonly kind: "sqlite" | "postgres"
  readonly started: (entry: AuditStart) => Effect.Effect<number>
  readonly finished: (id: number, result: AuditFinish) => Effect.Effect<void>
  readonly query: (filter: AuditFilter) => Effect.Effect<AuditPage>
  /** Marks this instance's rows left `started` as `interrupted`; returns how many. */
  readonly markInterrupted: Effect.Effect<number>
  /** Writes a job's row (insert or update), recorded as run by this instance. */
  readonly saveJob: (job: JobRow) => Effect.Effect<void>
  /** Appends one progress event of a job. */
  readonly jobEvent: (jobId: string, event: JobEvent) => Effect.Effect<void>
  /** A job with its events; undefined when the store has none with this id. */
  readonly getJob: (id: string) => Effect.Effect<StoredJob | undefined>
  /** Marks this instance's jobs left `queued` or `running` as `interrupted`; returns how many. */
  readonly markJobsInterrupted: Effect.Effect<number>
}

export class AuditStore extends Context.Tag("@marginctl/gateway/AuditStore")<AuditStore, AuditStoreShape>() {}

export const INTERRUPTED_MESSAGE =
  "the gateway stopped before the outcome of this call was recorded; re-read the account to know whether it executed"

/** Column list shared by both stores. */
export const COLUMNS =
  "id, time_ms, finished_ms, token, account, action, request, state_before, state_after, outcome, code, message, job_id, instance"

const parse = (s: string | null): unknown => (s === null ? null : JSON.parse(s))

export const json = (v: unknown): string => JSON.stringify(v === undefined ? null : v)

/**
 * The schema, in SQL both SQLite and PostgreSQL accept (`idType` differs); every statement is
 * idempotent and run at each start (PostgreSQL: under an advisory lock).
 */
export const createTable = (idType: string) => [
  `CREATE TABLE IF NOT EXISTS audit (
    id ${idType},
    time_ms BIGINT NOT NULL,
    finished_ms BIGINT,
    token TEXT NOT NULL,
    account TEXT NOT NULL,
    action TEXT NOT NULL,
    request TEXT NOT NULL,
    state_before TEXT,
    state_after TEXT,
    outcome TEXT NOT NULL,
    code INTEGER,
    message TEXT,
    job_id TEXT,
    instance TEXT NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS audit_account_id ON audit (account, id)",
  "CREATE INDEX IF NOT EXISTS audit_time ON audit (time_ms)",
  "CREATE INDEX IF NOT EXISTS audit_outcome_instance ON audit (outcome, instance)",
  `CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    token TEXT NOT NULL,
    state TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    started_ms BIGINT,
    finished_ms BIGINT,
    continue_on_blocked INTEGER NOT NULL,
    concurrency INTEGER NOT NULL,
    desired TEXT NOT NULL,
    plan TEXT NOT NULL,
    summary TEXT,
    instance TEXT NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS jobs_state_instance ON jobs (state, instance)",
  `CREATE TABLE IF NOT EXISTS job_events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    time_ms BIGINT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
  )`
]

/** Column list of the jobs table, and the upsert both stores use (`p(i)`: the i-th placeholder). */
export const JOB_COLUMNS =
  "id, account, token, state, created_ms, started_ms, finished_ms, continue_on_blocked, concurrency, desired, plan, summary, instance"

export const upsertJob = (p: (i: number) => string) =>
  `INSERT INTO jobs (${JOB_COLUMNS})
   VALUES (${JOB_COLUMNS.split(", ").map((_, i) => p(i + 1)).join(", ")})
   ON CONFLICT (id) DO UPDATE SET state = excluded.state, started_ms = excluded.started_ms,
     finished_ms = excluded.finished_ms, summary = excluded.summary, instance = excluded.instance`

export const jobParams = (j: JobRow, instance: string): Array<unknown> => [
  j.id,
  j.account,
  j.token,
  j.state,
  j.createdAt,
  j.startedAt,
  j.finishedAt,
  j.continueOnBlocked ? 1 : 0,
  j.concurrency,
  json(j.desired),
  json(j.plan),
  j.summary === null || j.summary === undefined ? null : json(j.summary),
  instance
]

export const interruptJobs = (p: (i: number) => string) =>
  `UPDATE jobs SET state = 'interrupted', finished_ms = ${p(1)} WHERE state IN ('queued', 'running') AND instance = ${p(2)}`

export interface RawJob {
  readonly id: string
  readonly account: string
  readonly token: string
  readonly state: string
  readonly created_ms: number | string
  readonly started_ms: number | string | null
  readonly finished_ms: number | string | null
  readonly continue_on_blocked: number
  readonly concurrency: number
  readonly desired: string
  readonly plan: string
  readonly summary: string | null
  readonly instance: string
}

export interface RawJobEvent {
  readonly seq: number
  readonly time_ms: number | string
  readonly event: string
}

const ms = (v: number | string | null): number | null => (v === null ? null : Number(v))

export const toJob = (r: RawJob, events: ReadonlyArray<RawJobEvent>): StoredJob => ({
  id: r.id,
  account: r.account,
  token: r.token,
  state: r.state as JobState,
  createdAt: Number(r.created_ms),
  startedAt: ms(r.started_ms),
  finishedAt: ms(r.finished_ms),
  continueOnBlocked: Number(r.continue_on_blocked) === 1,
  concurrency: Number(r.concurrency),
  desired: parse(r.desired),
  plan: parse(r.plan),
  summary: parse(r.summary),
  events: events.map((e) => ({ seq: Number(e.seq), time: Number(e.time_ms), event: parse(e.event) })),
  instance: r.instance
})

/** WHERE clause and parameters for a filter; `p(i)` renders the i-th placeholder (1-based). */
export const whereClause = (f: AuditFilter, p: (i: number) => string): { sql: string; params: Array<unknown> } => {
  const parts: Array<string> = []
  const params: Array<unknown> = []
  const add = (sql: (ph: string) => string, value: unknown) => {
    params.push(value)
    parts.push(sql(p(params.length)))
  }
  if (f.account !== undefined) add((ph) => `account = ${ph}`, f.account)
  if (f.token !== undefined) add((ph) => `token = ${ph}`, f.token)
  if (f.outcome !== undefined) add((ph) => `outcome = ${ph}`, f.outcome)
  if (f.fromMs !== undefined) add((ph) => `time_ms >= ${ph}`, f.fromMs)
  if (f.toMs !== undefined) add((ph) => `time_ms < ${ph}`, f.toMs)
  if (f.beforeId !== undefined) add((ph) => `id < ${ph}`, f.beforeId)
  if (f.accounts !== undefined) {
    if (f.accounts.length === 0) parts.push("1 = 0")
    else {
      const phs = f.accounts.map((a) => {
        params.push(a)
        return p(params.length)
      })
      parts.push(`account IN (${phs.join(", ")})`)
    }
  }
  return { sql: parts.length === 0 ? "" : `WHERE ${parts.join(" AND ")}`, params }
}

export interface RawRow {
  readonly id: number | string
  readonly time_ms: number | string
  readonly finished_ms: number | string | null
  readonly token: string
  readonly account: string
  readonly action: string
  readonly request: string
  readonly state_before: string | null
  readonly state_after: string | null
  readonly outcome: string
  readonly code: number | null
  readonly message: string | null
  readonly job_id: string | null
  readonly instance: string
}

export const toRow = (r: RawRow): AuditRow => ({
  id: Number(r.id),
  time: new Date(Number(r.time_ms)).toISOString(),
  finishedAt: r.finished_ms === null ? null : new Date(Number(r.finished_ms)).toISOString(),
  token: r.token,
  account: r.account,
  action: r.action as AuditAction,
  request: parse(r.request),
  before: parse(r.state_before),
  after: parse(r.state_after),
  outcome: r.outcome as AuditOutcome,
  code: r.code,
  message: r.message,
  jobId: r.job_id,
  instance: r.instance
})

export const page = (rows: ReadonlyArray<RawRow>, limit: number): AuditPage => {
  const shown = rows.slice(0, limit).map(toRow)
  return { rows: shown, nextCursor: rows.length > limit ? String(shown[shown.length - 1]!.id) : null }
}
