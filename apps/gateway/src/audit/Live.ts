/**
 * The audit store the configuration names: SQLite under the data directory, or PostgreSQL. Kept apart
 * from AuditStore.ts, which the two stores import, so that no module imports one that imports it.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AuditStore } from "../AuditStore.js"
import { GatewayConfig } from "../Config.js"

/** SQLite under the data directory, or PostgreSQL when configured (each driver loaded only when used). */
export const layer: Layer.Layer<AuditStore, Error, GatewayConfig> = Layer.unwrapEffect(
  Effect.gen(function*() {
    const config = yield* GatewayConfig
    if (config.audit.store === "postgres") {
      const { layerPostgres } = yield* Effect.promise(() => import("./Postgres.js"))
      return layerPostgres(config.audit.url, config.instance)
    }
    const { layerSqlite } = yield* Effect.promise(() => import("./Sqlite.js"))
    return layerSqlite(`${config.dataDir}/audit.sqlite`, config.instance)
  })
)
