/**
 * The audit log and the jobs in PostgreSQL (`pg` pool); same tables and queries as the SQLite store.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import pg from "pg"
import {
  AuditStore,
  type AuditStoreShape,
  COLUMNS,
  createTable,
  interruptJobs,
  INTERRUPTED_MESSAGE,
  JOB_COLUMNS,
  jobParams,
  json,
  page,
  type RawJob,
  type RawJobEvent,
  type RawRow,
  toJob,
  upsertJob,
  whereClause
} from "../AuditStore.js"

const hidePassword = (msg: string) => msg.replace(/postgres(ql)?:\/\/\S+/g, "<url>")

export const make = (url: Redacted.Redacted<string>, instance: string) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const pool = new pg.Pool({ connectionString: Redacted.value(url), max: 5 })
        pool.on("error", () => {/* a broken idle client is replaced on next use */})
        // Replicas may start together: CREATE … IF NOT EXISTS races in PostgreSQL, so migrate under a lock.
        const client = await pool.connect()
        try {
          await client.query("SELECT pg_advisory_lock(7271960)")
          for (const sql of createTable("BIGSERIAL PRIMARY KEY")) await client.query(sql)
        } finally {
          await client.query("SELECT pg_advisory_unlock(7271960)").catch(() => undefined)
          client.release()
        }
        return pool
      },
      catch: (e) => new Error(`audit log (PostgreSQL): ${hidePassword((e as Error).message)}`)
    }),
    (pool) => Effect.promise(() => pool.end().catch(() => undefined))
  ).pipe(Effect.map((pool): AuditStoreShape => {
    const q = <R extends pg.QueryResultRow>(sql: string, params: Array<unknown>) =>
      Effect.promise(() => pool.query<R>(sql, params))
    return {
      kind: "postgres",
      started: (e) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          q<{ id: string }>(
            `INSERT INTO audit (time_ms, token, account, action, request, state_before, outcome, job_id, instance)
             VALUES ($1, $2, $3, $4, $5, $6, 'started', $7, $8) RETURNING id`,
            [now, e.token, e.account, e.action, json(e.request), json(e.before), e.jobId, instance]
          ).pipe(Effect.map((r) => Number(r.rows[0]!.id)))),
      finished: (id, r) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          q(
            "UPDATE audit SET finished_ms = $1, state_after = $2, outcome = $3, code = $4, message = $5 WHERE id = $6",
            [now, json(r.after), r.outcome, r.code, r.message, id]
          ).pipe(Effect.asVoid)),
      query: (filter) => {
        const { params, sql } = whereClause(filter, (i) => `$${i}`)
        return q<RawRow>(`SELECT ${COLUMNS} FROM audit ${sql} ORDER BY id DESC LIMIT $${params.length + 1}`, [
          ...params,
          filter.limit + 1
        ]).pipe(Effect.map((r) => page(r.rows, filter.limit)))
      },
      markInterrupted: Effect.flatMap(Clock.currentTimeMillis, (now) =>
        q(
          "UPDATE audit SET outcome = 'interrupted', finished_ms = $1, message = $2 WHERE outcome = 'started' AND instance = $3",
          [now, INTERRUPTED_MESSAGE, instance]
        ).pipe(Effect.map((r) => r.rowCount ?? 0))),
      saveJob: (job) => q(upsertJob((i) => `$${i}`), jobParams(job, instance)).pipe(Effect.asVoid),
      jobEvent: (jobId, e) =>
        q("INSERT INTO job_events (job_id, seq, time_ms, event) VALUES ($1, $2, $3, $4)", [jobId, e.seq, e.time, json(e.event)])
          .pipe(Effect.asVoid),
      getJob: (id) =>
        Effect.all([
          q<RawJob>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [id]),
          q<RawJobEvent>("SELECT seq, time_ms, event FROM job_events WHERE job_id = $1 ORDER BY seq", [id])
        ], { concurrency: 2 }).pipe(Effect.map(([job, events]) => job.rows[0] === undefined ? undefined : toJob(job.rows[0], events.rows))),
      markJobsInterrupted: Effect.flatMap(Clock.currentTimeMillis, (now) =>
        q(interruptJobs((i) => `$${i}`), [now, instance]).pipe(Effect.map((r) => r.rowCount ?? 0)))
    }
  }))

export const layerPostgres = (url: Redacted.Redacted<string>, instance: string): Layer.Layer<AuditStore, Error> =>
  Layer.scoped(AuditStore, make(url, instance))
