import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Cause from "effect/Cause"
import * as Option from "effect/Option"
import { codeOf, CODES, SERVICE_503 } from "../src/BinanceCodes.js"
import * as Catalog from "../src/Catalog.js"
import { fromAnswer } from "../src/Errors.js"
import { MarginClient } from "../src/MarginClient.js"
import { API_KEY, clientLayer, error, scripted, SECRET, time } from "./support/ScriptedBinance.js"

/** What each documented code means, written from the reference's tables (§4), for a read. */
const EXPECTED: Record<number, string> = {
  [-1000]: "ServiceUnavailable", [-1001]: "ServiceUnavailable", [-1002]: "InvalidApiKey", [-1003]: "RateLimited",
  [-1004]: "InvalidApiKey", [-1005]: "InvalidApiKey", [-1006]: "ServiceUnavailable", [-1007]: "ServiceUnavailable",
  [-1008]: "ServiceUnavailable", [-1010]: "BinanceRejected", [-1011]: "InvalidApiKey", [-1013]: "BinanceRejected",
  [-1014]: "OrderRejected", [-1015]: "RateLimited", [-1016]: "ServiceUnavailable", [-1020]: "ServiceUnavailable",
  [-1021]: "TimestampOutsideWindow", [-1022]: "InvalidSignature", [-1023]: "InvalidParameter", [-1099]: "InvalidApiKey",
  [-1100]: "InvalidParameter", [-1101]: "InvalidParameter", [-1102]: "InvalidParameter", [-1103]: "InvalidParameter",
  [-1104]: "InvalidParameter", [-1105]: "InvalidParameter", [-1106]: "InvalidParameter", [-1108]: "InvalidParameter",
  [-1109]: "InvalidParameter", [-1111]: "InvalidParameter", [-1116]: "OrderRejected", [-1121]: "UnknownSymbol",
  [-1122]: "UnknownSymbol", [-1125]: "InvalidParameter", [-1128]: "InvalidParameter", [-1130]: "InvalidParameter", [-2014]: "InvalidApiKey",
  [-2015]: "InvalidApiKey", [-2019]: "AccountRejected", [-2023]: "AccountRejected", [-4028]: "InvalidParameter", [-4046]: "NoChangeNeeded",
  [-4047]: "MarginTypeBlocked", [-4048]: "MarginTypeBlocked", [-4049]: "AccountRejected", [-4050]: "AccountRejected",
  [-4051]: "AccountRejected", [-4052]: "NoChangeNeeded", [-4053]: "AccountRejected", [-4054]: "AccountRejected",
  [-4059]: "NoChangeNeeded", [-4067]: "PositionModeBlocked", [-4068]: "PositionModeBlocked", [-4109]: "AccountRejected",
  [-4161]: "AccountRejected", [-4164]: "OrderRejected", [-4165]: "InvalidParameter", [-4167]: "MultiAssetsBlocked",
  [-4168]: "MarginTypeBlocked", [-4169]: "MultiAssetsBlocked", [-4170]: "MultiAssetsBlocked", [-4171]: "NoChangeNeeded",
  [-4172]: "MultiAssetsBlocked", [-4183]: "OrderRejected", [-4184]: "OrderRejected", [-4531]: "PositionModeBlocked",
  [-5028]: "TimestampOutsideWindow"
}

/** Reasons that matter to the planner and the CLI's explanations. */
const REASONS: Record<number, string> = {
  [-4047]: "open-orders", [-4048]: "position", [-4168]: "multi-assets", [-4167]: "isolated-symbols",
  [-4170]: "open-orders", [-4172]: "negative-balance", [-4169]: "insufficient-margin", [-2014]: "format", [-2015]: "rejected",
  [-4067]: "open-orders", [-4068]: "position", [-4028]: "leverage", [-4161]: "leverage"
}

describe("error classification", () => {
  it("covers every code of the reference's tables", () => {
    for (const info of CODES) assert.isDefined(EXPECTED[info.code], `no expectation for ${info.code}`)
    assert.strictEqual(Object.keys(EXPECTED).length, CODES.length)
  })

  for (const info of CODES) {
    it(`${info.code} ${info.name} → ${EXPECTED[info.code]}`, () => {
      for (const msg of info.messages) {
        const e = fromAnswer({ status: info.status, code: info.code, msg, endpoint: "GET /fapi/v1/accountConfig", isWrite: false })
        assert.strictEqual(e._tag, EXPECTED[info.code])
        assert.strictEqual((e as { code?: number | null }).code, info.code)
        assert.strictEqual((e as { msg?: string }).msg, msg)
        const reason = REASONS[info.code]
        if (reason) assert.strictEqual((e as unknown as { reason: string }).reason, reason)
      }
    })
  }

  it("the planner's position-mode and leverage blockers name their codes from the table", () => {
    assert.strictEqual(codeOf("PositionModeBlocked", "open-orders"), -4067)
    assert.strictEqual(codeOf("PositionModeBlocked", "position"), -4068)
    assert.strictEqual(codeOf("InvalidParameter", "leverage"), -4028)
    assert.strictEqual(codeOf("AccountRejected", "leverage"), -4161)
    assert.strictEqual(codeOf("NoChangeNeeded", "position-side"), -4059)
  })

  it("the two -1021 messages are told apart", () => {
    const [behind, ahead] = CODES.find((c) => c.code === -1021)!.messages
    assert.strictEqual((fromAnswer({ status: 400, code: -1021, msg: behind!, endpoint: "" }) as any).reason, "behind")
    assert.strictEqual((fromAnswer({ status: 400, code: -1021, msg: ahead!, endpoint: "" }) as any).reason, "ahead")
  })

  it("the four 503 variants: only the unknown one leaves a write's outcome open", () => {
    const w = (msg: string, code: number | null = null) =>
      fromAnswer({ status: 503, code, msg, endpoint: "POST /fapi/v1/marginType", isWrite: true })
    assert.strictEqual(w(SERVICE_503.unknown)._tag, "ExecutionUnknown")
    assert.deepStrictEqual([w(SERVICE_503.unavailable)._tag, (w(SERVICE_503.unavailable) as any).reason], ["ServiceUnavailable", "unavailable"])
    assert.deepStrictEqual([w(SERVICE_503.internal, -1001)._tag, (w(SERVICE_503.internal, -1001) as any).reason], ["ServiceUnavailable", "internal"])
    assert.deepStrictEqual([w(SERVICE_503.throttled, -1008)._tag, (w(SERVICE_503.throttled, -1008) as any).reason], ["ServiceUnavailable", "throttled"])
    // A read whose answer is lost is just a failed read.
    assert.strictEqual(fromAnswer({ status: 503, code: null, msg: SERVICE_503.unknown, endpoint: "", isWrite: false })._tag, "ServiceUnavailable")
    // Other 5xx: unknown for a write, unavailable for a read.
    assert.strictEqual(fromAnswer({ status: 502, code: null, msg: "Bad Gateway", endpoint: "", isWrite: true })._tag, "ExecutionUnknown")
    assert.strictEqual(fromAnswer({ status: 502, code: null, msg: "Bad Gateway", endpoint: "", isWrite: false })._tag, "ServiceUnavailable")
  })

  describe("HTTP answers without a Binance code (reference §1.3)", () => {
    const answer = (status: number, msg: string, isWrite: boolean, retryAfterSeconds: number | null = null) =>
      fromAnswer({ status, code: null, msg, endpoint: isWrite ? "POST /fapi/v1/marginType" : "GET /fapi/v1/accountConfig", isWrite, retryAfterSeconds, now: 1_000 })
    const WAF_PAGE = "<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>"

    it("401: the key was refused (no code to say how), for a read and a write", () => {
      for (const isWrite of [false, true]) {
        assert.deepInclude(answer(401, "HTTP 401", isWrite), { _tag: "InvalidApiKey", reason: "unauthorized", status: 401, code: null, msg: "HTTP 401" })
      }
    })

    it("403: the WAF limit was violated — a rate limit, never a key or IP problem, never an unknown outcome", () => {
      for (const isWrite of [false, true]) {
        const e = answer(403, WAF_PAGE, isWrite, 30)
        assert.deepInclude(e, { _tag: "RateLimited", source: "firewall", status: 403, code: null, retryAfterSeconds: 30 })
        const msg = (e as { msg: string }).msg
        assert.include(msg, "WAF (web application firewall) limit was violated")
        assert.include(msg, "403 Forbidden")
        assert.notInclude(msg, "<")
      }
      const bare = answer(403, "HTTP 403", false)
      assert.deepInclude(bare, { _tag: "RateLimited", retryAfterSeconds: null, msg: "The WAF (web application firewall) limit was violated (HTTP 403)." })
      assert.include(bare.message, "WAF")
      // A 403 that names a key or IP problem by its code is that problem.
      assert.deepInclude(fromAnswer({ status: 403, code: -2015, msg: "Invalid API-key, IP, or permissions for action.", endpoint: "" }), {
        _tag: "InvalidApiKey",
        reason: "rejected"
      })
      assert.deepInclude(fromAnswer({ status: 403, code: -1011, msg: "This IP cannot access this route.", endpoint: "" }), {
        _tag: "InvalidApiKey",
        reason: "ip-not-allowed"
      })
    })

    it("408: the backend timed out — a failed read, an unknown outcome for a write", () => {
      assert.deepInclude(answer(408, "HTTP 408", false), { _tag: "ServiceUnavailable", reason: "server-error", status: 408, code: null })
      assert.deepInclude(answer(408, "HTTP 408", true), { _tag: "ExecutionUnknown", status: 408, code: null })
    })

    it("429 and 418 without a body code are still the rate limit and the ban", () => {
      assert.deepInclude(answer(429, "HTTP 429", false, 12), { _tag: "RateLimited", source: "exchange", retryAfterSeconds: 12, code: null })
      assert.deepInclude(answer(418, "HTTP 418", true, 120), { _tag: "IpBanned", until: 121_000, retryAfterSeconds: 120, code: null })
      assert.deepInclude(answer(418, "HTTP 418", false), { _tag: "IpBanned", until: null, retryAfterSeconds: null })
    })

    it("5XX \"Request occur unknown error.\": a failed read, an unknown outcome for a write", () => {
      for (const status of [500, 502, 504]) {
        assert.deepInclude(answer(status, "Request occur unknown error.", false), { _tag: "ServiceUnavailable", reason: "server-error", status })
        assert.deepInclude(answer(status, "Request occur unknown error.", true), { _tag: "ExecutionUnknown", status })
      }
    })

    it("503 without a code: told apart by the message", () => {
      assert.deepInclude(answer(503, SERVICE_503.unknown, true), { _tag: "ExecutionUnknown" })
      assert.deepInclude(answer(503, SERVICE_503.unknown, false), { _tag: "ServiceUnavailable", reason: "server-error" })
      for (const isWrite of [false, true]) {
        assert.deepInclude(answer(503, SERVICE_503.unavailable, isWrite), { _tag: "ServiceUnavailable", reason: "unavailable" })
        assert.deepInclude(answer(503, SERVICE_503.internal, isWrite), { _tag: "ServiceUnavailable", reason: "internal" })
        assert.deepInclude(answer(503, SERVICE_503.throttled, isWrite), { _tag: "ServiceUnavailable", reason: "throttled" })
      }
      assert.deepInclude(answer(503, "<html>Service Temporarily Unavailable</html>", true), { _tag: "ExecutionUnknown" })
      assert.deepInclude(answer(503, "<html>Service Temporarily Unavailable</html>", false), { _tag: "ServiceUnavailable", reason: "unavailable" })
    })

    it("other 4XX without a code (a malformed request, or not Binance answering): unexpected, kept as data", () => {
      for (const status of [400, 404, 405, 413, 415]) {
        for (const isWrite of [false, true]) {
          assert.deepInclude(answer(status, "<html>nope</html>", isWrite), { _tag: "UnexpectedResponse", status, code: null, msg: "<html>nope</html>" })
        }
      }
    })
  })

  it("429 keeps Retry-After; 418 computes the end of the ban", () => {
    const limited = fromAnswer({ status: 429, code: -1003, msg: "Too many requests", endpoint: "", retryAfterSeconds: 7 })
    assert.strictEqual(limited._tag, "RateLimited")
    assert.strictEqual((limited as any).retryAfterSeconds, 7)
    const banned = fromAnswer({ status: 418, code: -1003, msg: "Way too many requests; IP banned until 1700000123000. Please…", endpoint: "" })
    assert.strictEqual((banned as any).until, 1700000123000)
    const banned2 = fromAnswer({ status: 418, code: -1003, msg: "banned", endpoint: "", retryAfterSeconds: 120, now: 1_000 })
    assert.strictEqual((banned2 as any).until, 121_000)
  })
})

describe("no secret in any error", () => {
  it.live("errors of every code, through the client, carry neither secret, key nor signature", () =>
    Effect.forEach(CODES, (info) => {
      const { layer } = scripted((req) =>
        req.path === Catalog.time.path ? time(Date.now()) : error(info.status, info.code, info.messages[0]!, { "retry-after": "0" })
      )
      return Effect.gen(function*() {
        const client = yield* MarginClient
        const exit = yield* Effect.exit(client.setMarginType("BTCUSDT" as any, "ISOLATED"))
        if (Exit.isSuccess(exit)) return // -4046 and friends are success
        const failure = Cause.failureOption(exit.cause)
        assert.isTrue(Option.isSome(failure), `code ${info.code} should fail with a typed error`)
        const e = Option.getOrThrow(failure)
        for (const text of [e.message, JSON.stringify(e), String(e)]) {
          assert.notInclude(text, SECRET)
          assert.notInclude(text, API_KEY)
          assert.notInclude(text, "signature=")
          assert.notInclude(text, "timestamp=")
        }
      }).pipe(Effect.provide(clientLayer(layer, { maxBudgetWaitMs: 0 })))
    }, { concurrency: "unbounded", discard: true }), 20_000)
})
