/**
 * The hot path: a fresh cache entry of a cached read (`GET multi-assets`, `GET margin-types` without
 * a query) answered by the node:http listener before the request enters the Effect runtime. It is
 * kept because the benchmark (bench/gateway-load.mjs) needs it: a fiber per request through the
 * HttpApi answers about a sixth of a bare node:http server, a bare Effect HttpServer about half, the
 * bar is 60 %. It is built from the same pieces as the API: the routes, path schema and success
 * schema of the contract's endpoints, the same token check and access rule (`makeVerifier`,
 * `checkAccess`), the same cache entries and answer (`answer` of the handlers), the same headers
 * and metrics. Anything else (no or bad token, another route or a query, a cold or stale entry, a
 * CORS request) falls through to the Effect app, which answers or explains.
 */
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import type * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { IncomingMessage, ServerResponse } from "node:http"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import { Accounts } from "./Accounts.js"
import { GatewayConfig } from "./Config.js"
import { checkAccess, makeVerifier } from "./handlers/Auth.js"
import * as MarginTypes from "./handlers/MarginTypes.js"
import * as MultiAssets from "./handlers/MultiAssets.js"
import { fits, RESPONSE_HEADERS } from "./Http.js"
import { Metrics } from "./Metrics.js"
import { type Cached, keys, ReadCache } from "./ReadCache.js"

/** Answers a request and returns true, or returns false and leaves it to the Effect app. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => boolean

export class HotPath extends Context.Tag("@marginctl/gateway/HotPath")<HotPath, NodeListener>() {}

const endpoint = (group: string, name: string) =>
  (GatewayApi.groups[group] as unknown as HttpApiGroup.HttpApiGroup.AnyWithProps).endpoints[name]!

/** The cached reads served here: an endpoint of the contract, its cache key and its answer. */
const READS: ReadonlyArray<{
  readonly endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps
  readonly key: (account: string) => string
  readonly answer: (account: string, read: Cached<never>) => unknown
}> = [
  { endpoint: endpoint("multiAssets", "get"), key: keys.multiAssets, answer: MultiAssets.answer },
  { endpoint: endpoint("marginTypes", "list"), key: keys.marginTypes, answer: MarginTypes.answer }
]

/** A matcher of an endpoint's path: its parameters, decoded by its path schema. */
const pathMatcher = (e: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps) => {
  const template = e.path.split("/")
  const decode = Schema.decodeUnknownOption(Option.getOrThrow(e.pathSchema) as Schema.Schema<{ readonly account: string }>)
  return (parts: ReadonlyArray<string>): { readonly account: string } | undefined => {
    if (!fits(template, parts)) return undefined
    const params: Record<string, string> = {}
    template.forEach((t, i) => {
      if (t.startsWith(":")) params[t.slice(1)] = parts[i]!
    })
    return Option.getOrUndefined(decode(params))
  }
}

export const layer: Layer.Layer<HotPath, never, GatewayConfig | Accounts | ReadCache | Metrics> = Layer.effect(
  HotPath,
  Effect.gen(function*() {
    const config = yield* GatewayConfig
    const accounts = yield* Accounts
    const cache = yield* ReadCache
    const metrics = yield* Metrics
    const verify = makeVerifier(config.tokens)
    const routes = READS.map((r) => ({
      ...r,
      route: r.endpoint.path,
      match: pathMatcher(r.endpoint),
      encode: Schema.encodeSync(r.endpoint.successSchema as Schema.Schema<unknown, unknown>)
    }))

    return (req, res) => {
      const t0 = performance.now()
      const url = req.url
      const auth = req.headers.authorization
      if (req.method !== "GET" || url === undefined || url.includes("?") || req.headers.origin !== undefined) return false
      if (auth === undefined || !auth.startsWith("Bearer ")) return false
      const segments = url.split("/")
      for (const r of routes) {
        const path = r.match(segments)
        if (path === undefined) continue
        const caller = verify(auth.slice(7))
        if (caller === undefined) return false
        const account = checkAccess(accounts, caller, "read", path.account)
        if (Either.isLeft(account)) return false
        const cached = cache.peek(r.key(account.right.name), Date.now())
        if (cached === undefined) return false
        const body = JSON.stringify(r.encode(r.answer(account.right.name, cached as Cached<never>)))
        res.writeHead(200, {
          "content-type": "application/json",
          ...RESPONSE_HEADERS,
          "content-length": Buffer.byteLength(body)
        })
        res.end(body)
        metrics.cache("hit")
        metrics.request(r.route, "GET", 200, (performance.now() - t0) / 1000)
        return true
      }
      return false
    }
  })
)
