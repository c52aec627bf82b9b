import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
import { API_KEYS, creds, encode, HMAC_SECRET, isBinanceError, makeSim, signed } from "./support/Client.js"

const SEED = {
  accounts: [{
    name: "main",
    apiKey: API_KEYS.HMAC,
    secret: HMAC_SECRET,
    orders: [{ symbol: "ETHUSDT" }],
    positions: [{ symbol: "BTCUSDT", positionAmt: 1 }]
  }]
}

const KNOWN_PATHS = [
  "/fapi/v1/time",
  "/fapi/v1/ping",
  "/fapi/v1/exchangeInfo",
  "/fapi/v1/multiAssetsMargin",
  "/fapi/v1/marginType",
  "/fapi/v1/accountConfig",
  "/fapi/v1/symbolConfig",
  "/fapi/v1/openOrders",
  "/fapi/v1/openAlgoOrders",
  "/fapi/v3/positionRisk",
  "/fapi/v3/account",
  "/fapi/v1/assetIndex",
  "/fapi/v1/positionSide/dual"
]
const NAMES = ["symbol", "marginType", "multiAssetsMargin", "timestamp", "recvWindow", "signature", "x", ""]

const text = fc.oneof(
  fc.string(),
  fc.fullUnicodeString({ maxLength: 12 }),
  fc.constantFrom("BTCUSDT", "币安人生USDT", "ISOLATED", "CROSSED", "true", "false", "0", "-1", "99999999999999999999999", "%", "%E5%B8", "+", "&", "=")
)
const rawParams = fc.oneof(
  fc.array(fc.tuple(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 6 })), text), { maxLength: 6 }).map((pairs) =>
    pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")
  ),
  fc.array(fc.tuple(fc.constantFrom(...NAMES), text), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join("&")),
  fc.string({ maxLength: 40 }),
  fc.constant("")
)
const method = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "get", "")
const pathArb = fc.oneof(
  fc.constantFrom(...KNOWN_PATHS),
  fc.string({ maxLength: 30 }).map((s) => `/${s}`).filter((p) => !p.startsWith("/_sim")),
  fc.constantFrom(...KNOWN_PATHS).map((p) => `${p}/`),
  fc.constantFrom("/", "/fapi", "/fapi/v1/", "//fapi/v1/time", "/FAPI/V1/TIME", "/fapi/v2/account", "/fapi/v1/order")
)
const headers = fc.record({
  "x-mbx-apikey": fc.option(fc.oneof(fc.constant(API_KEYS.HMAC), fc.string({ maxLength: 70 })), { nil: undefined }),
  "content-type": fc.option(
    fc.constantFrom("application/x-www-form-urlencoded", "application/json", "text/plain", "multipart/form-data", ""),
    { nil: undefined }
  )
}, { requiredKeys: [] })

describe("bad input never breaks the exchange", () => {
  it.effect.prop(
    "random methods, paths, params, bodies and headers → 200 or a Binance {code,msg} 4xx with the weight header",
    [method, pathArb, rawParams, rawParams, headers, fc.integer({ min: -10_000, max: 10_000 })],
    ([m, path, query, body, hdrs, clock]) =>
      Effect.gen(function*() {
        const sim = yield* makeSim(SEED)
        const h: Record<string, string> = {}
        for (const [k, v] of Object.entries(hdrs)) if (v !== undefined) h[k] = v
        if (clock !== 0) sim.faults.add({ kind: "clockSkew", offsetMs: clock })
        const answer = yield* sim.handle({ method: m, path, query, body, headers: h, clientIp: "127.0.0.1" })
        assert.isDefined(answer.headers["X-MBX-USED-WEIGHT-1M"])
        if (answer.status === 200) return
        assert.isAtLeast(answer.status, 400, answer.body)
        assert.isBelow(answer.status, 500, answer.body)
        const json = JSON.parse(answer.body)
        assert.isTrue(isBinanceError(json), answer.body)
        assert.isBelow(json.code, 0)
      }),
    { fastCheck: { numRuns: 300 } }
  )

  it.effect.prop(
    "validly signed requests with random values → success or a Binance {code,msg} 4xx, state stays consistent",
    [
      fc.constantFrom("/fapi/v1/marginType", "/fapi/v1/multiAssetsMargin", "/fapi/v1/symbolConfig", "/fapi/v1/openOrders", "/fapi/v3/positionRisk"),
      fc.array(fc.tuple(fc.constantFrom("symbol", "marginType", "multiAssetsMargin", "recvWindow", "other"), text), { maxLength: 4 }),
      fc.constantFrom("query", "body", "split") as fc.Arbitrary<"query" | "body" | "split">
    ],
    ([path, pairs, placement]) =>
      Effect.gen(function*() {
        const sim = yield* makeSim(SEED)
        const c = yield* creds("HMAC")
        const unique = [...new Map(pairs).entries()]
        const answer = yield* signed(sim, c, {
          method: path.includes("Config") || path.includes("open") || path.includes("position") ? "GET" : "POST",
          path,
          params: unique,
          placement
        })
        if (answer.status === 200) {
          // A success of a POST is exactly one logged change; a read changes nothing.
          assert.strictEqual(sim.log().length, path === "/fapi/v1/marginType" || path === "/fapi/v1/multiAssetsMargin" ? 1 : 0)
          return
        }
        assert.isAtLeast(answer.status, 400, answer.text)
        assert.isBelow(answer.status, 500, answer.text)
        assert.isTrue(isBinanceError(answer.json), answer.text)
        // A refused request changes nothing.
        assert.strictEqual(sim.log().length, 0)
        assert.isFalse(sim.account("main")!.multiAssetsMargin)
      }),
    { fastCheck: { numRuns: 200 } }
  )

  it.effect.prop(
    "control API: random JSON bodies → 2xx or a 4xx JSON error naming a field, never a 500",
    [
      fc.constantFrom(
        "PUT /_sim/accounts",
        "POST /_sim/accounts",
        "POST /_sim/accounts/main/orders",
        "POST /_sim/accounts/main/positions",
        "PUT /_sim/accounts/main/balances",
        "PUT /_sim/accounts/main/settings",
        "POST /_sim/faults",
        "PUT /_sim/config"
      ),
      fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string(), fc.constant(encode([["a", "b"]])))
    ],
    ([route, body]) =>
      Effect.gen(function*() {
        const sim = yield* makeSim(SEED)
        const [m, path] = route.split(" ") as ["PUT" | "POST", string]
        const answer = yield* sim.handle({
          method: m,
          path,
          query: "",
          body,
          headers: { authorization: `Bearer admin-token` },
          clientIp: "127.0.0.1"
        })
        assert.isBelow(answer.status, 500, answer.body)
        const json = JSON.parse(answer.body)
        if (answer.status >= 400) {
          assert.strictEqual(answer.status, 400, answer.body)
          assert.isString(json.field)
          assert.isString(json.message)
        }
      }),
    { fastCheck: { numRuns: 300 } }
  )
})
