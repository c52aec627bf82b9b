/**
 * The gateway as one layer: services (accounts, budgets, cache, audit, changes, jobs, metrics, the
 * accounts' user-data streams) under
 * the HTTP server. The upstream HttpClient, the HttpServer and the WebSocket constructor of the streams
 * are parameters: undici, a node:http server and `ws` in production; the simulator's in-process client
 * and sockets and a test server in tests.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Socket from "@effect/platform/Socket"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as Accounts from "./Accounts.js"
import * as AccountStreams from "./AccountStreams.js"
import * as Database from "./audit/Database.js"
import * as AuditStore from "./AuditStore.js"
import * as UpstreamBudgets from "./UpstreamBudgets.js"
import * as Changes from "./AuditedChanges.js"
import * as HotPath from "./HotPath.js"
import * as Http from "./Http.js"
import * as DesiredFromFleetFile from "./DesiredFromFleetFile.js"
import * as DesiredStore from "./DesiredStore.js"
import * as Drift from "./Drift.js"
import * as Jobs from "./Jobs.js"
import * as LiveSettings from "./LiveSettings.js"
import * as Metrics from "./Metrics.js"
import * as ReadCache from "./ReadCache.js"
import * as StreamLease from "./StreamLease.js"
import { GatewayConfig } from "./Config.js"

/**
 * What a previous process of this instance left unfinished becomes `interrupted` (done once, before
 * serving): audit rows left `started`, jobs left `queued` or `running`.
 */
const recoverAudit = Layer.effectDiscard(
  Effect.gen(function*() {
    const audit = yield* AuditStore.AuditStore
    const n = yield* audit.markInterrupted
    if (n > 0) yield* Effect.logWarning(`audit: ${n} change attempt(s) left unfinished by a previous run marked interrupted`)
    const jobs = yield* audit.markJobsInterrupted
    if (jobs > 0) yield* Effect.logWarning(`jobs: ${jobs} job(s) left unfinished by a previous run marked interrupted`)
  })
)

/** The store of this instance, over the database the configuration names. */
const auditStore = Layer.unwrapEffect(Effect.map(GatewayConfig, (config) => AuditStore.layer(config.instance))).pipe(
  Layer.provide(Database.layer)
)

export const services = (
  upstream: Layer.Layer<HttpClient.HttpClient>,
  webSocket: Layer.Layer<Socket.WebSocketConstructor> = NodeSocket.layerWebSocketConstructor
) => {
  const base = Layer.mergeAll(
    ReadCache.layer,
    Layer.provideMerge(recoverAudit, auditStore),
    Accounts.layer.pipe(Layer.provide(UpstreamBudgets.layer), Layer.provide(upstream))
  ).pipe(Layer.provideMerge(Metrics.layer))
  const live = LiveSettings.layer.pipe(Layer.provideMerge(base))
  const streams = AccountStreams.layer.pipe(Layer.provide([StreamLease.layer, webSocket]))
  const desiredStore = DesiredStore.layer.pipe(Layer.provide(Database.layer))
  const withStore = DesiredFromFleetFile.layer.pipe(Layer.provideMerge(Layer.merge(live, desiredStore)))
  const jobs = Jobs.layer.pipe(Layer.provideMerge(Changes.layer.pipe(Layer.provideMerge(withStore))))
  return Layer.mergeAll(Drift.layer, HotPath.layer, streams).pipe(Layer.provideMerge(jobs))
}

/**
 * Everything: services, the API and the server (`NodeServer.layer`, which takes the `HotPath` of the
 * services; it must provide HttpServer, HttpPlatform, Etag.Generator and NodeContext). The server
 * listens once the services are up.
 */
export const layer = <S, E, R>(
  upstream: Layer.Layer<HttpClient.HttpClient>,
  server: Layer.Layer<S, E, R>,
  webSocket?: Layer.Layer<Socket.WebSocketConstructor>
) =>
  Http.serve.pipe(
    Layer.provideMerge(server),
    Layer.provideMerge(services(upstream, webSocket))
  )
