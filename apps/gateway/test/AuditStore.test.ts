/**
 * The AuditStore contract (audit rows and jobs), run against both databases: SQLite (a file) and
 * PostgreSQL (a throw-away cluster on 127.0.0.1, when the Debian packages are installed); then what a
 * database that goes away does to the store: a typed 503 error, and the same store answering again
 * once the database is back.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as path from "node:path"
import { SqlClient as SqlClientTag } from "@effect/sql/SqlClient"
import type { SqlClient } from "@effect/sql/SqlClient"
import Database from "better-sqlite3"
import type * as Planner from "@marginctl/core/Planner"
import { StoreUnavailable } from "@marginctl/gateway-api/Errors"
import { layerPostgres, layerSqlite } from "../src/audit/Database.js"
import { RETRY_AFTER_SECONDS } from "../src/audit/Unavailable.js"
import * as Store from "../src/AuditStore.js"
import { AuditStore, type AuditStoreShape, type JobRow } from "../src/AuditStore.js"
import { hasPostgres, startPostgres } from "./support/servers.js"
import { tmpDir } from "./support/harness.js"

type Database = Layer.Layer<SqlClient, unknown>

const use = <A>(database: Database, instance: string, f: (store: AuditStoreShape) => Effect.Effect<A, StoreUnavailable>) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(Layer.build(Store.layer(instance).pipe(Layer.provide(database))), (ctx) => f(Context.get(ctx, AuditStore)))))

const PLAN: Planner.Plan = {
  steps: [{ _tag: "SetMultiAssets", index: 1, title: "turn Multi-Assets Mode on", weight: 1, blockers: [], dependsOn: [], value: true, reason: "requested" }],
  readWeight: 5,
  applyWeight: 1,
  blocked: false,
  unchanged: [],
  multiAssetsUnchanged: false,
  multiAssets: { before: false, after: true }
}

const contract = (name: string, database: () => Database) =>
  describe(name, () => {
    const use_ = <A>(instance: string, f: (store: AuditStoreShape) => Effect.Effect<A, StoreUnavailable>) => use(database(), instance, f)

    it("records started then finished, with JSON state and Binance codes", async () => {
      const row = await use_("a", (s) =>
        Effect.gen(function*() {
          const id = yield* s.started({ token: "t1", account: "acc1", action: "set-margin-type", request: { symbol: "BTCUSDT", marginType: "ISOLATED" }, before: { symbol: "BTCUSDT", marginType: "CROSSED" }, jobId: "job_x" })
          const started = (yield* s.query({ limit: 10, account: "acc1" })).rows[0]!
          expect(started).toMatchObject({ id, outcome: "started", finishedAt: null, after: null, jobId: "job_x", instance: "a" })
          yield* s.finished(id, { outcome: "blocked", after: { symbol: "BTCUSDT", marginType: "CROSSED" }, code: -4047, message: "open orders" })
          return (yield* s.query({ limit: 10, account: "acc1" })).rows[0]!
        }))
      expect(row).toMatchObject({
        token: "t1",
        action: "set-margin-type",
        outcome: "blocked",
        code: -4047,
        message: "open orders",
        request: { symbol: "BTCUSDT", marginType: "ISOLATED" },
        before: { symbol: "BTCUSDT", marginType: "CROSSED" },
        after: { symbol: "BTCUSDT", marginType: "CROSSED" }
      })
      expect(Date.parse(row.time)).toBeGreaterThan(0)
      expect(row.finishedAt).not.toBeNull()
    })

    it("filters and pages newest first", async () => {
      await use_("b", (s) =>
        Effect.gen(function*() {
          const ids: Array<number> = []
          for (let i = 0; i < 7; i++) {
            const id = yield* s.started({ token: i % 2 === 0 ? "even" : "odd", account: `pg${i % 3}`, action: "set-multi-assets", request: { multiAssetsMargin: true }, before: null, jobId: null })
            if (i < 5) yield* s.finished(id, { outcome: i === 0 ? "failed" : "changed", after: { multiAssetsMargin: true }, code: null, message: null })
            ids.push(id)
          }
          const mine = { accounts: ["pg0", "pg1", "pg2"] }
          const first = yield* s.query({ ...mine, limit: 3 })
          expect(first.rows.map((r) => r.id)).toEqual([ids[6], ids[5], ids[4]])
          const second = yield* s.query({ ...mine, limit: 3, beforeId: Number(first.nextCursor) })
          expect(second.rows.map((r) => r.id)).toEqual([ids[3], ids[2], ids[1]])
          const last = yield* s.query({ ...mine, limit: 3, beforeId: Number(second.nextCursor) })
          expect(last.rows.map((r) => r.id)).toEqual([ids[0]])
          expect(last.nextCursor).toBeNull()
          expect((yield* s.query({ ...mine, limit: 50, token: "odd" })).rows.length).toBe(3)
          expect((yield* s.query({ ...mine, limit: 50, outcome: "started" })).rows.map((r) => r.id)).toEqual([ids[6], ids[5]])
          expect((yield* s.query({ ...mine, limit: 50, outcome: "failed" })).rows.map((r) => r.id)).toEqual([ids[0]])
          expect((yield* s.query({ limit: 50, accounts: ["pg1"] })).rows.every((r) => r.account === "pg1")).toBe(true)
          expect((yield* s.query({ limit: 50, accounts: [] })).rows).toEqual([])
          const future = Date.now() + 60_000
          expect((yield* s.query({ ...mine, limit: 50, fromMs: future })).rows).toEqual([])
          expect((yield* s.query({ ...mine, limit: 50, toMs: future })).rows.length).toBe(7)
        }))
    })

    it("records a change made elsewhere as external, and knows the gateway's own recent attempts", async () => {
      await use_("e", (s) =>
        Effect.gen(function*() {
          const request = { symbol: "ETHUSDT", marginType: "ISOLATED" }
          const since = Date.now() - 1000
          expect(yield* s.attemptedSince("ext1", "set-margin-type", request, since)).toBe(false)
          yield* s.started({ token: "t", account: "ext1", action: "set-margin-type", request, before: null, jobId: null })
          expect(yield* s.attemptedSince("ext1", "set-margin-type", request, since)).toBe(true)
          expect(yield* s.attemptedSince("ext1", "set-margin-type", { ...request, marginType: "CROSSED" }, since)).toBe(false)
          expect(yield* s.attemptedSince("ext1", "set-margin-type", request, Date.now() + 60_000)).toBe(false)
          yield* s.external({ account: "ext1", action: "set-leverage", request: { symbol: "ETHUSDT", leverage: 9 }, before: { symbol: "ETHUSDT", leverage: 20 }, timeMs: 1_700_000_000_000, message: "seen" })
          // An external row is not the gateway's own attempt.
          expect(yield* s.attemptedSince("ext1", "set-leverage", { symbol: "ETHUSDT", leverage: 9 }, 0)).toBe(false)
          const external = (yield* s.query({ limit: 10, account: "ext1", origin: "external" })).rows
          expect(external).toEqual([expect.objectContaining({
            token: "(external)", action: "set-leverage", outcome: "changed", origin: "external", instance: "e",
            time: "2023-11-14T22:13:20.000Z", request: { symbol: "ETHUSDT", leverage: 9 }, after: { symbol: "ETHUSDT", leverage: 9 }
          })])
          expect((yield* s.query({ limit: 10, account: "ext1", origin: "gateway" })).rows.map((r) => r.action)).toEqual(["set-margin-type"])
        }))
    })

    it("marks this instance's rows left started as interrupted, keeping them", async () => {
      const [mine, theirs] = await use_("crashed", (s) =>
        Effect.gen(function*() {
          const a = yield* s.started({ token: "t", account: "crash", action: "set-margin-type", request: { symbol: "ETHUSDT", marginType: "ISOLATED" }, before: { symbol: "ETHUSDT", marginType: "CROSSED" }, jobId: "job_c" })
          return [a, 0] as const
        }))
      void theirs
      const other = await use_("elsewhere", (s) =>
        s.started({ token: "t", account: "crash", action: "set-multi-assets", request: {}, before: null, jobId: null }))
      // The crashed instance restarts: only its own row is marked.
      const rows = await use_("crashed", (s) => Effect.zipRight(s.markInterrupted, s.query({ limit: 10, account: "crash" })))
      const marked = rows.rows.find((r) => r.id === mine)!
      expect(marked).toMatchObject({ outcome: "interrupted", request: { symbol: "ETHUSDT", marginType: "ISOLATED" }, before: { symbol: "ETHUSDT", marginType: "CROSSED" }, jobId: "job_c" })
      expect(marked.message).toContain("re-read")
      expect(rows.rows.find((r) => r.id === other)!.outcome).toBe("started")
    })

    const jobRow = (id: string, state: JobRow["state"]): JobRow => ({
      id,
      account: "acc1",
      token: "t1",
      state,
      createdAt: 1_700_000_000_000,
      startedAt: null,
      finishedAt: null,
      continueOnBlocked: true,
      concurrency: 3,
      desired: { multiAssets: true },
      plan: PLAN,
      summary: null
    })

    it("records a job, its progress events and its end; reads it back", async () => {
      const [running, done, missing] = await use_("jobs", (s) =>
        Effect.gen(function*() {
          const id = `job_${name.replace(/\W/g, "")}Roundtrip`
          yield* s.saveJob(jobRow(id, "queued"))
          yield* s.saveJob({ ...jobRow(id, "running"), startedAt: 1_700_000_000_100 })
          yield* s.jobEvent(id, { seq: 1, time: 1_700_000_000_200, event: { _tag: "StepStarted", index: 1 } })
          yield* s.jobEvent(id, { seq: 2, time: 1_700_000_000_300, event: { _tag: "StepFinished", index: 1, outcome: "changed" } })
          const running = yield* s.getJob(id)
          const summary = { changed: 1, unchanged: 0, blocked: 0, failed: 0, skipped: 0, complete: true }
          yield* s.jobEvent(id, { seq: 3, time: 1_700_000_000_400, event: { _tag: "Done", summary } })
          yield* s.saveJob({ ...jobRow(id, "done"), startedAt: 1_700_000_000_100, finishedAt: 1_700_000_000_400, summary })
          return [running, yield* s.getJob(id), yield* s.getJob("job_nothere")] as const
        }))
      expect(running).toMatchObject({
        account: "acc1",
        token: "t1",
        state: "running",
        createdAt: 1_700_000_000_000,
        startedAt: 1_700_000_000_100,
        finishedAt: null,
        continueOnBlocked: true,
        concurrency: 3,
        desired: { multiAssets: true },
        plan: PLAN,
        summary: null,
        instance: "jobs",
        events: [
          { seq: 1, time: 1_700_000_000_200, event: { _tag: "StepStarted", index: 1 } },
          { seq: 2, time: 1_700_000_000_300, event: { _tag: "StepFinished", index: 1, outcome: "changed" } }
        ]
      })
      expect(done).toMatchObject({ state: "done", finishedAt: 1_700_000_000_400, summary: { changed: 1, complete: true } })
      expect(done!.events.map((e) => e.seq)).toEqual([1, 2, 3])
      expect(missing).toBeUndefined()
    })

    it("marks this instance's jobs left queued or running as interrupted, keeping their events", async () => {
      const prefix = `job_${name.replace(/\W/g, "")}`
      await use_("crashedjobs", (s) =>
        Effect.gen(function*() {
          yield* s.saveJob(jobRow(`${prefix}Queued`, "queued"))
          yield* s.saveJob({ ...jobRow(`${prefix}Running`, "running"), startedAt: 1_700_000_000_100 })
          yield* s.jobEvent(`${prefix}Running`, { seq: 1, time: 1_700_000_000_200, event: { _tag: "StepStarted", index: 1 } })
          yield* s.saveJob({ ...jobRow(`${prefix}Done`, "done"), finishedAt: 1_700_000_000_300 })
        }))
      await use_("otherjobs", (s) => s.saveJob(jobRow(`${prefix}Theirs`, "running")))
      const [marked, again, jobs] = await use_("crashedjobs", (s) =>
        Effect.gen(function*() {
          const marked = yield* s.markJobsInterrupted
          const again = yield* s.markJobsInterrupted
          const jobs = yield* Effect.all(["Queued", "Running", "Done", "Theirs"].map((n) => s.getJob(`${prefix}${n}`)))
          return [marked, again, jobs] as const
        }))
      expect([marked, again]).toEqual([2, 0])
      expect(jobs.map((j) => j?.state)).toEqual(["interrupted", "interrupted", "done", "running"])
      expect(jobs[1]!.finishedAt).toBeGreaterThan(1_700_000_000_000)
      expect(jobs[1]!.events).toEqual([{ seq: 1, time: 1_700_000_000_200, event: { _tag: "StepStarted", index: 1 } }])
      expect(jobs[2]!.finishedAt).toBe(1_700_000_000_300)
    })
  })

const dir = tmpDir("mgw-audit-")
contract("SQLite", () => layerSqlite(path.join(dir, "audit.sqlite")))

it("adopts a SQLite database written before the Migrator: its rows stay readable, the schema is recorded once", async () => {
  const file = path.join(tmpDir("mgw-audit-old-"), "audit.sqlite")
  const old = new Database(file)
  // The table as the gateway created it before its schema became a migration.
  old.exec(`CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms BIGINT NOT NULL, finished_ms BIGINT,
    token TEXT NOT NULL, account TEXT NOT NULL, action TEXT NOT NULL, request TEXT NOT NULL, state_before TEXT,
    state_after TEXT, outcome TEXT NOT NULL, code INTEGER, message TEXT, job_id TEXT, instance TEXT NOT NULL)`)
  old.prepare("INSERT INTO audit (time_ms, finished_ms, token, account, action, request, state_before, state_after, outcome, instance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    .run(1_700_000_000_000, 1_700_000_000_050, "t", "old", "set-multi-assets", "{\"multiAssetsMargin\":true}", "null", "{\"multiAssetsMargin\":true}", "changed", "before")
  old.close()
  for (let i = 0; i < 2; i++) {
    const rows = (await use(layerSqlite(file), "after", (s) => s.query({ limit: 10, account: "old" }))).rows
    expect(rows).toEqual([expect.objectContaining({ id: 1, time: "2023-11-14T22:13:20.000Z", outcome: "changed", request: { multiAssetsMargin: true }, before: null, instance: "before", origin: "gateway" })])
  }
  const db = new Database(file, { readonly: true })
  expect(db.prepare("SELECT migration_id, name FROM effect_sql_migrations").all()).toEqual([
    { migration_id: 1, name: "initial" },
    { migration_id: 2, name: "origin" },
    { migration_id: 3, name: "desired" }
  ])
  db.close()
})

describe.skipIf(!hasPostgres() && !process.env.CI)("PostgreSQL", () => {
  let pg: Awaited<ReturnType<typeof startPostgres>>
  beforeAll(async () => {
    pg = await startPostgres()
  }, 60_000)
  afterAll(() => pg?.stop())
  contract("store", () => layerPostgres(Redacted.make(pg!.url)))

  it("replicas starting together on a fresh database migrate it once", async () => {
    const admin = layerPostgres(Redacted.make(pg!.url))
    await Effect.runPromise(Effect.provide(Effect.flatMap(SqlClientTag, (sql) => sql`CREATE DATABASE replicas`), admin))
    const url = Redacted.make(pg!.url.replace(/\/postgres$/, "/replicas"))
    const ids = await Promise.all([1, 2, 3, 4].map((i) =>
      use(layerPostgres(url), `replica-${i}`, (s) => s.started({ token: "t", account: "r", action: "set-multi-assets", request: {}, before: null, jobId: null }))
    ))
    expect(new Set(ids).size).toBe(4)
    const migrations = await Effect.runPromise(
      Effect.provide(Effect.flatMap(SqlClientTag, (sql) => sql`SELECT migration_id FROM effect_sql_migrations`), layerPostgres(url))
    )
    expect(migrations).toEqual([{ migration_id: 1 }, { migration_id: 2 }, { migration_id: 3 }])
  }, 30_000)

  it("a database that goes away fails with StoreUnavailable (503, Retry-After, no URL), and is used again once back", async () => {
    // A server of its own: the other tests of this file run at the same time on the shared one.
    const own = (await startPostgres())!
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      yield* Effect.addFinalizer(() => Effect.promise(() => own.stop()))
      const ctx = yield* Layer.build(Store.layer("away").pipe(Layer.provide(layerPostgres(Redacted.make(own.url)))))
      const store = Context.get(ctx, AuditStore)
      const start = { token: "t", account: "away", action: "set-multi-assets" as const, request: { multiAssetsMargin: true }, before: null, jobId: null }
      const before = yield* store.started(start)
      yield* Effect.promise(() => own.pause())
      const e = yield* Effect.flip(store.started(start))
      expect(e).toBeInstanceOf(StoreUnavailable)
      expect(e.retryAfterSeconds).toBe(RETRY_AFTER_SECONDS)
      expect(e.message).toContain("the audit and job store (postgres) did not answer")
      expect(e.message).not.toContain("postgres://")
      expect(yield* Effect.flip(store.ping)).toBeInstanceOf(StoreUnavailable)
      expect(yield* Effect.flip(store.getJob("job_x"))).toBeInstanceOf(StoreUnavailable)
      yield* Effect.promise(() => own.resume())
      // The same store (same pool) answers again: no restart.
      yield* store.ping
      const after = yield* store.started(start)
      yield* store.finished(before, { outcome: "changed", after: { multiAssetsMargin: true }, code: null, message: null })
      const rows = (yield* store.query({ limit: 10, account: "away" })).rows
      expect(rows.map((r) => [r.id, r.outcome])).toEqual([[after, "started"], [before, "changed"]])
    })))
  }, 60_000)
})
