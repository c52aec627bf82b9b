/**
 * The HTTP server: the contract's handlers, `/openapi.json`, the Swagger UI at `/docs` (served
 * inline by @effect/platform 0.97: no CDN, works offline), Effect's logger, CORS and body size
 * middleware, and request metrics and security headers.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import type * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSwagger from "@effect/platform/HttpApiSwagger"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpMethod from "@effect/platform/HttpMethod"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import { flow } from "effect/Function"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import { GatewayConfig } from "./Config.js"
import * as AccountsHandlers from "./handlers/Accounts.js"
import * as AuditHandlers from "./handlers/Audit.js"
import * as DesiredHandlers from "./handlers/Desired.js"
import * as EventsHandlers from "./handlers/Events.js"
import * as AuthHandlers from "./handlers/Auth.js"
import * as HealthHandlers from "./handlers/Health.js"
import * as JobsHandlers from "./handlers/Jobs.js"
import * as MarginTypesHandlers from "./handlers/MarginTypes.js"
import * as MultiAssetsHandlers from "./handlers/MultiAssets.js"
import { retryAfterOf } from "./handlers/ResponseHeaders.js"
import { Metrics, type MetricsShape } from "./Metrics.js"

/** The contract's path templates, split at "/" (`:name` segments are parameters). */
const TEMPLATES: ReadonlyArray<ReadonlyArray<string>> = Object.values(GatewayApi.groups).flatMap((group) =>
  Object.values((group as unknown as HttpApiGroup.HttpApiGroup.AnyWithProps).endpoints).map((e) => e.path.split("/"))
)

/** Whether a path split at "/" fits a template. */
const fits = (template: ReadonlyArray<string>, parts: ReadonlyArray<string>): boolean =>
  template.length === parts.length && template.every((t, i) => t === parts[i] || (t.startsWith(":") && parts[i] !== ""))

/** A route label: the template of the contract a URL fits, without ids (a low-cardinality metric label). */
export const routeOf = (url: string): string => {
  const path = url.split("?")[0]!
  const parts = path.split("/")
  return TEMPLATES.find((t) => fits(t, parts))?.join("/") ?? (path === "/openapi.json" || path === "/docs" ? path : "other")
}

/** Headers of every answer of the API (the hot path sends them too). */
export const RESPONSE_HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" }
const DOCS_HEADERS = { "x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer" }

/** The path parameter (or "path") of a URL whose percent-encoding is broken, if any. */
export const badlyEncoded = (url: string): string | undefined => {
  const parts = url.split("?")[0]!.split("/")
  const i = parts.findIndex((part) => {
    try {
      decodeURIComponent(part)
    } catch {
      return true
    }
    return false
  })
  if (i === -1) return undefined
  const name = TEMPLATES.find((t) => fits(t, parts))?.[i]
  return name?.startsWith(":") ? name.slice(1) : "path"
}

/** Request metrics by route, and the headers every answer carries. */
const measured = (metrics: MetricsShape) => (app: HttpApp.Default): HttpApp.Default =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (req) => {
    const t0 = performance.now()
    const route = routeOf(req.url)
    return Effect.zipRight(
      HttpApp.appendPreResponseHandler((_req, res) =>
        Effect.sync(() => {
          metrics.request(route, req.method, res.status, (performance.now() - t0) / 1000)
          return HttpServerResponse.setHeaders(res, route === "/docs" ? DOCS_HEADERS : RESPONSE_HEADERS)
        })
      ),
      app
    )
  })

/** The level of Effect's request log line (logged at the fiber's level): debug for good reads, warning for 5xx. */
const logLevels = (app: HttpApp.Default): HttpApp.Default =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (req) =>
    Effect.onExit(app, (exit) => {
      const status = Exit.isSuccess(exit) ? exit.value.status : HttpServerError.causeResponseStripped(exit.cause)[0].status
      return FiberRef.set(
        FiberRef.currentLogLevel,
        status >= 500 ? LogLevel.Warning : req.method === "GET" || req.method === "HEAD" ? LogLevel.Debug : LogLevel.Info
      )
    }))

const payloadTooLarge = (limit: number) =>
  HttpServerResponse.unsafeJson(
    { _tag: "PayloadTooLarge", limitBytes: limit, message: `the request body is larger than ${limit} bytes` },
    { status: 413, headers: { connection: "close" } }
  )

/**
 * Bodies are JSON (not a form or multipart, which the API would spool) and at most `bodyLimitBytes`:
 * by their declared length, else by Effect's `MaxBodySize` while the API reads them (413 in `clientErrors`).
 */
const jsonBodies = (limit: number) => (app: HttpApp.Default): HttpApp.Default =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (req) => {
    if (!HttpMethod.hasBody(req.method)) return app
    if (Number(req.headers["content-length"] ?? 0) > limit) return Effect.succeed(payloadTooLarge(limit))
    const type = req.headers["content-type"]
    if (type !== undefined && !type.toLowerCase().includes("application/json")) {
      return Effect.succeed(HttpServerResponse.unsafeJson({
        _tag: "InvalidRequest",
        field: "content-type",
        message: `the body must be JSON (content-type: application/json); got ${JSON.stringify(type.slice(0, 100))}`
      }, { status: 400 }))
    }
    return HttpIncomingMessage.withMaxBodySize(app, Option.some(limit))
  })

/**
 * Inside the API (before errors are encoded): an error that says when to retry sets Retry-After; an
 * unknown route, a body over the limit and a body that is not JSON get a JSON answer instead of an
 * empty one.
 */
const clientErrors = (limit: number) =>
  HttpApiBuilder.middleware((app) =>
  Effect.catchAllCause(Effect.tapErrorCause(app, (cause) => Option.match(Cause.failureOption(cause), { onNone: () => Effect.void, onSome: retryAfterOf })), (cause) => {
    // The API turns an unreadable body into a defect (orDie): look at failures and defects alike.
    const e: unknown = Option.getOrUndefined(Option.orElse(Cause.failureOption(cause), () => Cause.dieOption(cause)))
    if (e instanceof HttpServerError.RouteNotFound) {
      // The router matches decoded paths: a parameter that does not decode finds no route. Name it.
      const field = badlyEncoded(e.request.url)
      if (field !== undefined) {
        return Effect.succeed(HttpServerResponse.unsafeJson(
          { _tag: "InvalidRequest", field, message: `${field} is not valid percent-encoding` },
          { status: 400 }
        ))
      }
      return Effect.succeed(HttpServerResponse.unsafeJson(
        { _tag: "RouteNotFound", message: `no route ${e.request.method} ${e.request.url.split("?")[0]!.slice(0, 200)}` },
        { status: 404 }
      ))
    }
    if (e instanceof HttpServerError.RequestError && e.reason === "Decode") {
      // Effect's body reader fails with this cause past `MaxBodySize`.
      if (e.cause instanceof Error && e.cause.message === "maxBytes exceeded") return Effect.succeed(payloadTooLarge(limit))
      return Effect.succeed(HttpServerResponse.unsafeJson(
        { _tag: "InvalidRequest", field: "body", message: "the body is not valid JSON" },
        { status: 400 }
      ))
    }
    return Effect.failCause(cause)
  })
)

export const ApiLive = HttpApiBuilder.api(GatewayApi).pipe(
  Layer.provide([
    AccountsHandlers.layer,
    MultiAssetsHandlers.layer,
    MarginTypesHandlers.layer,
    JobsHandlers.layer,
    AuditHandlers.layer,
    EventsHandlers.layer,
    DesiredHandlers.layer,
    HealthHandlers.layer
  ]),
  Layer.provide(AuthHandlers.layer)
)

/**
 * The server over `ApiLive` with Effect's middleware: the request logger, CORS (closed except for
 * the configured extension origins) and the body size limit; needs the services of the handlers
 * and an `HttpServer`.
 */
export const serve = Layer.unwrapEffect(
  Effect.gen(function*() {
    const config = yield* GatewayConfig
    const metrics = yield* Metrics
    const origins = new Set(config.corsOrigins)
    return HttpApiBuilder.serve(flow(jsonBodies(config.bodyLimitBytes), logLevels, HttpMiddleware.logger, measured(metrics))).pipe(
      Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
      Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
      Layer.provide(HttpApiBuilder.middlewareCors({
        // A predicate, not a list: with a list of one, every origin would get that origin back.
        allowedOrigins: (origin) => origins.has(origin),
        allowedMethods: ["GET", "PUT", "POST"],
        allowedHeaders: ["authorization", "content-type"],
        exposedHeaders: ["retry-after"],
        maxAge: 600
      })),
      Layer.provide(clientErrors(config.bodyLimitBytes)),
      Layer.provide(ApiLive),
      HttpMiddleware.withTracerDisabledWhen(() => true)
    )
  })
)
