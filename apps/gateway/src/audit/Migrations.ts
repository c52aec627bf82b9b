/**
 * The store's schema, as migrations run by @effect/sql's Migrator at each start (recorded in the
 * `effect_sql_migrations` table). The first one is the schema the gateway created before it used
 * the Migrator (every statement `IF NOT EXISTS`), so an existing database is adopted as it is.
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

const initial = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const id = sql.onDialectOrElse({
    pg: () => sql.literal("BIGSERIAL PRIMARY KEY"),
    orElse: () => sql.literal("INTEGER PRIMARY KEY AUTOINCREMENT")
  })
  yield* sql`CREATE TABLE IF NOT EXISTS audit (
    id ${id},
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
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS audit_account_id ON audit (account, id)`
  yield* sql`CREATE INDEX IF NOT EXISTS audit_time ON audit (time_ms)`
  yield* sql`CREATE INDEX IF NOT EXISTS audit_outcome_instance ON audit (outcome, instance)`
  yield* sql`CREATE TABLE IF NOT EXISTS jobs (
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
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS jobs_state_instance ON jobs (state, instance)`
  yield* sql`CREATE TABLE IF NOT EXISTS job_events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    time_ms BIGINT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
  )`
})

/** Changes made elsewhere, seen on the user-data stream, are audited too: `origin` tells them apart. */
const origin = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql`ALTER TABLE audit ADD COLUMN origin TEXT NOT NULL DEFAULT 'gateway'`.pipe(
    Effect.zipRight(sql`CREATE INDEX IF NOT EXISTS audit_own_changes ON audit (account, action, time_ms)`)
  ))

/** Each account's desired state (configuration as code), set through the API or a fleet file. */
const desired = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql`CREATE TABLE IF NOT EXISTS desired_states (
    account TEXT PRIMARY KEY,
    desired TEXT NOT NULL,
    set_by TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
  )`)

const migrator = Migrator.make({})

/**
 * Runs the migrations not yet recorded. Replicas may start together: the Migrator serialises them on
 * a lock of its table, but two of them can both create that table on a fresh PostgreSQL database, and
 * the loser's CREATE fails; the run is then retried (it finds the table).
 */
export const run: Effect.Effect<void, Migrator.MigrationError | SqlError, SqlClient.SqlClient> = migrator({
  loader: Migrator.fromRecord({ "0001_initial": initial, "0002_origin": origin, "0003_desired": desired })
}).pipe(
  Effect.retry({ times: 3, schedule: Schedule.spaced("200 millis") }),
  Effect.asVoid
)
