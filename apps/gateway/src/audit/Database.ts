/**
 * The store's database as an @effect/sql `SqlClient`, migrated: SQLite under the data directory
 * (better-sqlite3), or PostgreSQL when configured (a `pg` pool). PostgreSQL's pool replaces a broken
 * connection on its next use, so a database that went away is used again once it is back.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as path from "node:path"
import pg from "pg"
import { GatewayConfig } from "../Config.js"
import * as Migrations from "./Migrations.js"
import { unavailable } from "./Unavailable.js"

/** Runs the migrations once the client is up; the client stays available to the store. */
const migrated = <E>(client: Layer.Layer<SqlClient.SqlClient, E>) =>
  Layer.provideMerge(Layer.effectDiscard(Migrations.run), client)

/**
 * SQLite in WAL mode with synchronous=FULL, so that a row written before an upstream call, or a job's
 * event, survives a crash of the process.
 */
export const layerSqlite = (file: string) =>
  migrated(
    Layer.effectDiscard(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`PRAGMA synchronous = FULL`
      yield* sql`PRAGMA busy_timeout = 5000`
    })).pipe(
      Layer.provideMerge(SqliteClient.layer({ filename: file })),
      Layer.provide(Layer.effectDiscard(Effect.try({
        try: () => fs.mkdirSync(path.dirname(file), { recursive: true }),
        catch: (cause) => new SqlError({ cause, message: `cannot create the directory of ${file}` })
      })))
    )
  )

const INT8 = 20

/** PostgreSQL; BIGINT (ids, epoch ms) is read as a number (both stay below 2^53). */
export const layerPostgres = (url: Redacted.Redacted<string>) =>
  migrated(PgClient.layer({
    url,
    maxConnections: 5,
    connectTimeout: "5 seconds",
    applicationName: "marginctl-gateway",
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8 ? Number : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"]
    }
  }))

/** The database the configuration names; one that cannot be opened or migrated stops the start. */
export const layer = Layer.unwrapEffect(Effect.map(GatewayConfig, (config) =>
  (config.audit.store === "postgres"
    ? layerPostgres(config.audit.url)
    : layerSqlite(path.join(config.dataDir, "audit.sqlite"))).pipe(
      Layer.mapError((e) => unavailable(config.audit.store, e))
    )))
