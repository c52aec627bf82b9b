/**
 * The HTTP server: the contract's handlers, `/openapi.json`, the Swagger UI at `/docs` (served
 * inline by @effect/platform 0.97: no CDN, works offline), and one outer middleware for request
 * metrics, logs, CORS (closed except for configured extension origins), the body size limit (413)
 * and security headers.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiSwagger from "@effect/platform/HttpApiSwagger"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import type * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import { GatewayConfig, type GatewayConfigShape } from "./Config.js"
import * as AccountsHandlers from "./handlers/Accounts.js"
import * as AuditHandlers from "./handlers/Audit.js"
import * as AuthHandlers from "./handlers/Auth.js"
import * as HealthHandlers from "./handlers/Health.js"
import * as JobsHandlers from "./handlers/Jobs.js"
import * as MarginTypesHandlers from "./handlers/MarginTypes.js"
import * as MultiAssetsHandlers from "./handlers/MultiAssets.js"
import { Metrics, type MetricsShape } from "./Metrics.js"

/** A route label without ids (low-cardinality metric label). */
export const routeOf = (url: string): string => {
  const q = url.indexOf("?")
  const path = q === -1 ? url : url.slice(0, q)
  const parts = path.split("/")
  if (parts[1] === "v1") {
    if (parts[2] === "accounts" && parts.length > 3) {
      parts[3] = ":account"
      if (parts[4] === "margin-types" && parts.length > 5) parts[5] = ":symbol"
    } else if (parts[2] === "jobs" && parts.length > 3) {
      parts[3] = ":id"
    }
    return parts.length > 6 ? "other" : parts.join("/")
  }
  return ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"].includes(path) ? path : "other"
}

export const SECURITY_HEADERS = { "x-content-type-options": "nosniff" }
const DOCS_HEADERS = { "x-frame-options": "DENY", "referrer-policy": "no-referrer" }

const hasBody = (method: string) => method === "POST" || method === "PUT" || method === "PATCH"

/**
 * Bodies the API decodes from the text this middleware has already read (JSON, and what it turns
 * into a schema error: form and text bodies). Any other type would make the API read the request
 * stream a second time, which never ends: such a request is refused here instead.
 */
const readableBody = (contentType: string | undefined): boolean => {
  const type = (contentType ?? "").toLowerCase().trim()
  return type === "" || type.includes("application/json") || type.includes("x-www-form-urlencoded") || type.startsWith("text/")
}

/** The path parameter (or "path") of a URL whose percent-encoding is broken, if any. */
export const badlyEncoded = (url: string): string | undefined => {
  const q = url.indexOf("?")
  const parts = (q === -1 ? url : url.slice(0, q)).split("/")
  const names = routeOf(url).split("/")
  for (const [i, part] of parts.entries()) {
    try {
      decodeURIComponent(part)
    } catch {
      const name = names.length === parts.length ? names[i] : undefined
      return name !== undefined && name.startsWith(":") ? name.slice(1) : "path"
    }
  }
  return undefined
}

export const makeMiddleware = (config: GatewayConfigShape, metrics: MetricsShape) => {
  const origins = new Set(config.corsOrigins)
  const limit = config.bodyLimitBytes
  const tooLarge = HttpServerResponse.unsafeJson({
    _tag: "PayloadTooLarge",
    limitBytes: limit,
    message: `the request body is larger than ${limit} bytes`
  }, { status: 413, headers: { connection: "close", ...SECURITY_HEADERS } })

  return (app: HttpApp.Default): HttpApp.Default =>
    Effect.gen(function*() {
      const req = yield* HttpServerRequest.HttpServerRequest
      const t0 = performance.now()
      const route = routeOf(req.url)
      const origin = req.headers.origin
      const allowed = origin !== undefined && origins.has(origin)
      const early = (res: HttpServerResponse.HttpServerResponse) => {
        metrics.request(route, req.method, res.status, (performance.now() - t0) / 1000)
        return res
      }

      if (req.method === "OPTIONS" && origin !== undefined && req.headers["access-control-request-method"] !== undefined) {
        return early(
          allowed
            ? HttpServerResponse.empty({
              status: 204,
              headers: {
                "access-control-allow-origin": origin,
                "access-control-allow-methods": "GET, PUT, POST",
                "access-control-allow-headers": "authorization, content-type",
                "access-control-max-age": "600",
                vary: "Origin"
              }
            })
            : HttpServerResponse.empty({ status: 403, headers: { vary: "Origin" } })
        )
      }

      if (hasBody(req.method)) {
        const length = req.headers["content-length"]
        if (length !== undefined && Number(length) > limit) return early(tooLarge)
        // Reads the body once under the limit; the API's payload decoding reuses it.
        const fits = yield* req.text.pipe(
          HttpIncomingMessage.withMaxBodySize(Option.some(limit)),
          Effect.match({ onFailure: () => false, onSuccess: () => true })
        )
        if (!fits) return early(tooLarge)
        if (!readableBody(req.headers["content-type"])) {
          return early(HttpServerResponse.unsafeJson({
            _tag: "InvalidRequest",
            field: "content-type",
            message: `the body must be JSON (content-type: application/json); got ${JSON.stringify(req.headers["content-type"]?.slice(0, 100))}`
          }, { status: 400, headers: SECURITY_HEADERS }))
        }
      }

      let status = 0
      yield* HttpApp.appendPreResponseHandler((_req, res) =>
        Effect.sync(() => {
          status = res.status
          metrics.request(route, req.method, res.status, (performance.now() - t0) / 1000)
          let out = HttpServerResponse.setHeaders(res, SECURITY_HEADERS)
          out = route === "/docs"
            ? HttpServerResponse.setHeaders(out, DOCS_HEADERS)
            : HttpServerResponse.setHeader(out, "cache-control", "no-store")
          if (allowed) {
            out = HttpServerResponse.setHeaders(out, {
              "access-control-allow-origin": origin,
              "access-control-expose-headers": "retry-after",
              vary: "Origin"
            })
          }
          return out
        })
      )
      return yield* app.pipe(
        Effect.tapErrorCause((cause) =>
          Cause.isInterruptedOnly(cause) || (status > 0 && status < 500)
            ? Effect.void
            : Effect.logError(`${req.method} ${route} failed`, Cause.pretty(cause))
        ),
        Effect.ensuring(Effect.suspend(() => {
          const ms = Math.round((performance.now() - t0) * 10) / 10
          const line = `${req.method} ${req.url} ${status} ${ms}ms`
          return status >= 500
            ? Effect.logWarning(line)
            : req.method === "GET" || req.method === "HEAD"
            ? Effect.logDebug(line)
            : Effect.logInfo(line)
        }))
      )
    })
}

/**
 * Inside the API (before errors are encoded): an unknown route and a body that is not JSON get a
 * JSON answer instead of an empty one.
 */
export const ClientErrorsLive = HttpApiBuilder.middleware((app) =>
  Effect.catchAllCause(app, (cause) => {
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
        { _tag: "RouteNotFound", message: `no route ${e.request.method} ${routeOf(e.request.url)}` },
        { status: 404 }
      ))
    }
    if (e instanceof HttpServerError.RequestError && e.reason === "Decode") {
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
    HealthHandlers.layer
  ]),
  Layer.provide(AuthHandlers.layer)
)

/** The server over `ApiLive`; needs the services of the handlers and an `HttpServer`. */
export const serve = Layer.unwrapEffect(
  Effect.gen(function*() {
    const config = yield* GatewayConfig
    const metrics = yield* Metrics
    return HttpApiBuilder.serve(makeMiddleware(config, metrics)).pipe(
      Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
      Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
      Layer.provide(ClientErrorsLive),
      Layer.provide(ApiLive),
      HttpMiddleware.withTracerDisabledWhen(() => true)
    )
  })
)

export type ServeRequirements = Layer.Layer.Context<typeof serve> | HttpServer.HttpServer
