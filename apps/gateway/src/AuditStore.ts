/**
 * The audit log of change attempts, behind a Tag with two implementations (SQLite by default,
 * PostgreSQL when configured). A row is written before the upstream call (`started`) and completed
 * after it; at start-up, rows a previous process of this instance left `started` become
 * `interrupted` (the row, its request and its before-state are kept).
 */
import type { AuditAction, AuditOutcome, AuditPage, AuditRow } from "@marginctl/gateway-api/Audit"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { GatewayConfig } from "./Config.js"

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

export interface AuditStoreShape {
  readonly kind: "sqlite" | "postgres"
  readonly started: (entry: AuditStart) => Effect.Effect<number>
  readonly finished: (id: number, result: AuditFinish) => Effect.Effect<void>
  readonly query: (filter: AuditFilter) => Effect.Effect<AuditPage>
  /** Marks this instance's rows left `started` as `interrupted`; returns how many. */
  readonly markInterrupted: Effect.Effect<number>
}

export class AuditStore extends Context.Tag("@marginctl/gateway/AuditStore")<AuditStore, AuditStoreShape>() {}

export const INTERRUPTED_MESSAGE =
  "the gateway stopped before the outcome of this call was recorded; re-read the account to know whether it executed"

/** Column list shared by both stores. */
export const COLUMNS =
  "id, time_ms, finished_ms, token, account, action, request, state_before, state_after, outcome, code, message, job_id, instance"

/** The table, in SQL both SQLite and PostgreSQL accept (`idType` differs). */
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
  "CREATE INDEX IF NOT EXISTS audit_outcome_instance ON audit (outcome, instance)"
]

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

const parse = (s: string | null): unknown => (s === null ? null : JSON.parse(s))

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

export const json = (v: unknown): string => JSON.stringify(v === undefined ? null : v)

export const page = (rows: ReadonlyArray<RawRow>, limit: number): AuditPage => {
  const shown = rows.slice(0, limit).map(toRow)
  return { rows: shown, nextCursor: rows.length > limit ? String(shown[shown.length - 1]!.id) : null }
}

/** SQLite under the data directory, or PostgreSQL when configured. */
export const layer: Layer.Layer<AuditStore, Error, GatewayConfig> = Layer.unwrapEffect(
  Effect.gen(function*() {
    const config = yield* GatewayConfig
    if (config.audit.store === "postgres") {
      const { layerPostgres } = yield* Effect.promise(() => import("./audit/Postgres.js"))
      return layerPostgres(config.audit.url, config.instance)
    }
    const { layerSqlite } = yield* Effect.promise(() => import("./audit/Sqlite.js"))
    return layerSqlite(`${config.dataDir}/audit.sqlite`, config.instance)
  })
)
