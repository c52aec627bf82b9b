/**
 * The hot path: `GET /v1/accounts/:account/multi-assets` and `GET /v1/accounts/:account/margin-types`
 * (no query) answered straight from a fresh cache entry, without entering the Effect runtime. It
 * applies the same token check, scope and account rules, answers the same body and headers and
 * counts the same metrics as the full path; anything else (no or bad token, another route, a cold or
 * stale entry, a CORS request) falls through to the Effect app, which answers or explains.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { mayAccess } from "@marginctl/gateway-api/Auth"
import { Accounts } from "./Accounts.js"
import { GatewayConfig } from "./Config.js"
import { makeVerifier } from "./handlers/Auth.js"
import { SECURITY_HEADERS } from "./Http.js"
import { Metrics } from "./Metrics.js"
import { HotPath, type NodeHandler } from "./NodeServer.js"
import { keys, ReadCache } from "./ReadCache.js"

const PREFIX = "/v1/accounts/"
const NAME = /^[A-Za-z0-9_.-]{1,64}$/
const MULTI = "/multi-assets"
const TYPES = "/margin-types"

export const layer: Layer.Layer<never, never, HotPath | GatewayConfig | Accounts | ReadCache | Metrics> = Layer.effectDiscard(
  Effect.gen(function*() {
    const hot = yield* HotPath
    const config = yield* GatewayConfig
    const accounts = yield* Accounts
    const cache = yield* ReadCache
    const metrics = yield* Metrics
    const verify = makeVerifier(config.tokens)
    // Flat [name, value, …] list; the last value (content-length) is filled per response.
    const headers = [
      "content-type", "application/json",
      "cache-control", "no-store",
      ...Object.entries(SECURITY_HEADERS).flat(),
      "content-length", ""
    ]
    const countMulti = metrics.requestCounter("/v1/accounts/:account/multi-assets", "GET", 200)
    const countTypes = metrics.requestCounter("/v1/accounts/:account/margin-types", "GET", 200)

    const handle: NodeHandler = (req, res) => {
      const t0 = performance.now()
      const url = req.url
      if (req.method !== "GET" || url === undefined || !url.startsWith(PREFIX) || req.headers.origin !== undefined) return false
      const multi = url.endsWith(MULTI)
      if (!multi && !url.endsWith(TYPES)) return false
      const name = url.slice(PREFIX.length, url.length - MULTI.length)
      if (!NAME.test(name) || accounts.get(name) === undefined) return false
      const auth = req.headers.authorization
      if (auth === undefined || !auth.startsWith("Bearer ")) return false
      const caller = verify(auth.slice(7))
      if (caller === undefined || !caller.scopes.includes("read") || !mayAccess(caller, name)) return false
      const cached = cache.peek(multi ? keys.multiAssets(name) : keys.marginTypes(name), Date.now())
      if (cached === undefined) return false
      // The same JSON the API's schema encodes: {"account", the value, "ageMs"}.
      const body = `{"account":${JSON.stringify(name)},"${multi ? "multiAssetsMargin" : "marginTypes"}":${
        JSON.stringify(cached.value)
      },"ageMs":${cached.ageMs}}`
      const h = headers.slice()
      h[h.length - 1] = String(Buffer.byteLength(body))
      res.writeHead(200, h)
      res.end(body)
      metrics.cache("hit")
      ;(multi ? countMulti : countTypes)((performance.now() - t0) / 1000)
      return true
    }
    hot.set(handle)
  })
)
