/**
 * Each account's desired state, kept in the gateway's store (the audit log's database, table
 * `desired_states`): set through `PUT /v1/accounts/{account}/desired` or loaded from the fleet file
 * named in the configuration. A database that fails is `StoreUnavailable` (503), as for the audit log.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as SqlSchema from "@effect/sql/SqlSchema"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { DesiredState } from "@marginctl/core/Planner"
import type { StoreUnavailable } from "@marginctl/gateway-api/Errors"
import { guarded } from "./audit/Unavailable.js"

const DesiredRow = Schema.Struct({
  account: Schema.String,
  desired: Schema.parseJson(DesiredState),
  setBy: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("set_by")),
  updatedMs: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("updated_ms"))
})
export type DesiredRow = typeof DesiredRow.Type

export interface DesiredStoreShape {
  readonly get: (account: string) => Effect.Effect<DesiredRow | undefined, StoreUnavailable>
  readonly put: (account: string, desired: DesiredState, setBy: string) => Effect.Effect<DesiredRow, StoreUnavailable>
}

export class DesiredStore extends Context.Tag("@marginctl/gateway/DesiredStore")<DesiredStore, DesiredStoreShape>() {}

export const layer: Layer.Layer<DesiredStore, never, SqlClient.SqlClient> = Layer.effect(
  DesiredStore,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const kind = sql.onDialectOrElse({ pg: () => "postgres" as const, orElse: () => "sqlite" as const })
    const select = SqlSchema.findOne({
      Request: Schema.String,
      Result: DesiredRow,
      execute: (account) => sql`SELECT * FROM desired_states WHERE account = ${account}`
    })
    const upsert = SqlSchema.void({
      Request: DesiredRow,
      execute: (row) =>
        sql`INSERT INTO desired_states ${sql.insert(row)}
            ON CONFLICT (account) DO UPDATE SET desired = excluded.desired, set_by = excluded.set_by, updated_ms = excluded.updated_ms`
    })
    const guard = guarded(kind)
    return {
      get: (account) => guard(Effect.map(select(account), Option.getOrUndefined)),
      put: (account, desired, setBy) =>
        Effect.flatMap(Clock.currentTimeMillis, (updatedMs) => {
          const row = { account, desired, setBy, updatedMs }
          return Effect.as(guard(upsert(row)), row)
        })
    } satisfies DesiredStoreShape
  })
)
