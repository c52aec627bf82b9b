import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Cause from "effect/Cause"
import * as Option from "effect/Option"
import { CODES, SERVICE_503 } from "../src/BinanceCodes.js"
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
  [-1122]: "UnknownSymbol", [-1128]: "InvalidParameter", [-1130]: "InvalidParameter", [-2014]: "InvalidApiKey",
  [-2015]: "InvalidApiKey", [-2019]: "AccountRejected", [-2023]: "AccountRejected", [-4046]: "NoChangeNeeded",
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
  [-4170]: "open-orders", [-4172]: "negative-balance", [-4169]: "insufficient-margin", [-2014]: "format", [-2015]: "rejected"
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
