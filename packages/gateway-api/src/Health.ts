/**
 * Probes and metrics, without authentication: `/healthz` (the process answers), `/readyz` (every
 * upstream reachable and its clock offset known, the store answering; and each account's stream mode),
 * `/metrics` (Prometheus text format).
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import * as Schema from "effect/Schema"
import { NotReady, StoreCheck } from "./Errors.js"
import { StreamCheck } from "./StreamMode.js"

export const Health = Schema.Struct({
  status: Schema.Literal("ok"),
  uptimeSeconds: Schema.Number,
  version: Schema.String
}).annotations({ identifier: "Health" })

export const Readiness = Schema.Struct({
  ready: Schema.Literal(true),
  accounts: Schema.Array(Schema.Struct({
    name: Schema.String,
    ready: Schema.Boolean,
    detail: Schema.String
  })),
  store: StoreCheck,
  streams: Schema.Array(StreamCheck)
}).annotations({ identifier: "Readiness" })

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

export class HealthGroup extends HttpApiGroup.make("health")
  .add(HttpApiEndpoint.get("healthz", "/healthz").addSuccess(Health).annotate(OpenApi.Summary, "Liveness"))
  .add(
    HttpApiEndpoint.get("readyz", "/readyz")
      .addSuccess(Readiness)
      .addError(NotReady)
      .annotate(OpenApi.Summary, "Readiness: upstreams reachable, clock offsets known, store answering")
  )
  .add(
    HttpApiEndpoint.get("metrics", "/metrics")
      .addSuccess(HttpApiSchema.Text({ contentType: PROMETHEUS_CONTENT_TYPE }))
      .annotate(OpenApi.Summary, "Prometheus metrics")
  )
  .annotate(OpenApi.Title, "Health")
{}
