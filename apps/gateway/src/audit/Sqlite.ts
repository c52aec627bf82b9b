/**
 * The audit log and the jobs in SQLite (better-sqlite3, WAL, synchronous=FULL so a row written before
 * an upstream call, or a job's event, survives a crash of the process).
 */
import Database from "better-sqlite3"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as path from "node:path"
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

export const make = (file: string, instance: string) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true })
        const db = new Database(file)
        db.pragma("journal_mode = WAL")
        db.pragma("synchronous = FULL")
        db.pragma("busy_timeout = 5000")
        for (const sql of createTable("INTEGER PRIMARY KEY AUTOINCREMENT")) db.exec(sql)
        return db
      },
      catch: (e) => new Error(`audit log ${file}: ${(e as Error).message}`)
    }),
    (db) => Effect.sync(() => db.close())
  ).pipe(Effect.map((db): AuditStoreShape => {
    const insert = db.prepare(
      `INSERT INTO audit (time_ms, token, account, action, request, state_before, outcome, job_id, instance)
       VALUES (?, ?, ?, ?, ?, ?, 'started', ?, ?)`
    )
    const finish = db.prepare(
      "UPDATE audit SET finished_ms = ?, state_after = ?, outcome = ?, code = ?, message = ? WHERE id = ?"
    )
    const interrupt = db.prepare(
      "UPDATE audit SET outcome = 'interrupted', finished_ms = ?, message = ? WHERE outcome = 'started' AND instance = ?"
    )
    const saveJob = db.prepare(upsertJob(() => "?"))
    const insertEvent = db.prepare("INSERT INTO job_events (job_id, seq, time_ms, event) VALUES (?, ?, ?, ?)")
    const selectJob = db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`)
    const selectEvents = db.prepare("SELECT seq, time_ms, event FROM job_events WHERE job_id = ? ORDER BY seq")
    const interruptJobsStmt = db.prepare(interruptJobs(() => "?"))
    return {
      kind: "sqlite",
      started: (e) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() =>
            Number(insert.run(now, e.token, e.account, e.action, json(e.request), json(e.before), e.jobId, instance).lastInsertRowid)
          )),
      finished: (id, r) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() => {
            finish.run(now, json(r.after), r.outcome, r.code, r.message, id)
          })),
      query: (filter) =>
        Effect.sync(() => {
          const { params, sql } = whereClause(filter, () => "?")
          const rows = db.prepare(`SELECT ${COLUMNS} FROM audit ${sql} ORDER BY id DESC LIMIT ?`)
            .all(...params, filter.limit + 1) as Array<RawRow>
          return page(rows, filter.limit)
        }),
      markInterrupted: Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => interrupt.run(now, INTERRUPTED_MESSAGE, instance).changes)),
      saveJob: (job) =>
        Effect.sync(() => {
          saveJob.run(...jobParams(job, instance))
        }),
      jobEvent: (jobId, e) =>
        Effect.sync(() => {
          insertEvent.run(jobId, e.seq, e.time, json(e.event))
        }),
      getJob: (id) =>
        Effect.sync(() => {
          const row = selectJob.get(id) as RawJob | undefined
          return row === undefined ? undefined : toJob(row, selectEvents.all(id) as Array<RawJobEvent>)
        }),
      markJobsInterrupted: Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => interruptJobsStmt.run(now, instance).changes))
    }
  }))

export const layerSqlite = (file: string, instance: string): Layer.Layer<AuditStore, Error> =>
  Layer.scoped(AuditStore, make(file, instance))
