/**
 * The hot path: a fresh cache entry of `GET multi-assets` or `GET margin-types` (no query) answered
 * by the node:http listener before the Effect runtime, because the benchmark needs it (through the
 * HttpApi, a fiber per request serves a sixth of a bare node:http server's reads; the bar is 60 %).
 * Built from the API's own pieces: the contract's paths, the token check and access rule
 * (`makeVerifier`, `checkAccess`), the cache entries and the handlers' `answer`, the same headers
 * and metrics. Anything else falls through to the Effect app.
 */
import type * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type { IncomingMessage, ServerResponse } from "node:http"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import { Accounts } from "./Accounts.js"
import { GatewayConfig } from "./Config.js"
import { checkAccess, makeVerifier } from "./handlers/Auth.js"
import * as MarginTypes from "./handlers/MarginTypes.js"
import * as MultiAssets from "./handlers/MultiAssets.js"
import { RESPONSE_HEADERS } from "./Http.js"
import { Metrics } from "./Metrics.js"
import { type Cached, keys, ReadCache } from "./ReadCache.js"

/** Answers a request and returns true, or returns false and leaves it to the Effect app. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => boolean

export class HotPath extends Context.Tag("@marginctl/gateway/HotPath")<HotPath, NodeListener>() {}

/**
 * A cached read served here: the path of an endpoint of the contract (as a pattern whose
 * `:account` is the account as sent: only a configured account, whose name the config checked
 * against the contract's `AccountName`, is answered here), its cache key and the handler's answer.
 * The answer goes out as its JSON, which is the success schema's encoding (no transformation in
 * these schemas; a test holds both paths to the same JSON).
 */
const read = (group: string, name: string, key: (account: string) => string, answer: (account: string, read: Cached<never>) => unknown) => {
  const path = (GatewayApi.groups[group] as unknown as HttpApiGroup.HttpApiGroup.AnyWithProps).endpoints[name]!.path
  return { route: path, key, answer, pattern: new RegExp(`^${path.replace(":account", "([^/?]+)")}$`) }
}

// Flat [name, value, …] (faster for node:http than an object); the content-length is added per answer.
const HEADERS = ["content-type", "application/json", ...Object.entries(RESPONSE_HEADERS).flat(), "content-length"]

const READS = [
  read("multiAssets", "get", keys.multiAssets, MultiAssets.answer),
  read("marginTypes", "list", keys.marginTypes, MarginTypes.answer)
]

export const layer: Layer.Layer<HotPath, never, GatewayConfig | Accounts | ReadCache | Metrics> = Layer.effect(
  HotPath,
  Effect.gen(function*() {
    const config = yield* GatewayConfig
    const accounts = yield* Accounts
    const cache = yield* ReadCache
    const metrics = yield* Metrics
    const verify = makeVerifier(config.tokens)
    const reads = READS.map((r) => ({ ...r, record: metrics.recorder(r.route, "GET", 200) }))

    return (req, res) => {
      const t0 = performance.now()
      const url = req.url
      const auth = req.headers.authorization
      if (req.method !== "GET" || url === undefined || url.includes("?") || req.headers.origin !== undefined) return false
      if (auth === undefined || !auth.startsWith("Bearer ")) return false
      for (const r of reads) {
        const name = r.pattern.exec(url)?.[1]
        if (name === undefined) continue
        const caller = verify(auth.slice(7))
        if (caller === undefined) return false
        const account = checkAccess(accounts, caller, "read", name)
        if (Either.isLeft(account)) return false
        const cached = cache.peek(r.key(account.right.name), Date.now())
        if (cached === undefined) return false
        const body = JSON.stringify(r.answer(account.right.name, cached as Cached<never>))
        res.writeHead(200, [...HEADERS, String(Buffer.byteLength(body))])
        res.end(body)
        metrics.cache("hit")
        r.record((performance.now() - t0) / 1000)
        return true
      }
      return false
    }
  })
)
