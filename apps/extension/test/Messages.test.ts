import { assert, describe, it } from "@effect/vitest"
import { ExecutionUnknown, InvalidSignature, MarginTypeBlocked, Transport } from "@marginctl/core/Errors"
import type * as Planner from "@marginctl/core/Planner"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { Answer, ApplyMessage, PlanPreview, Request, Success } from "../src/Messages.js"
import { summaryText } from "../src/popup/ApplyWords.js"
import { fromBinance, internal, toData } from "../src/UserErrors.js"
import { blockerText, planBlockers, stepFailed } from "../src/Vocabulary.js"

describe("Messages", () => {
  it("decodes what pages send and refuses anything else", () => {
    const decode = Schema.decodeUnknownEither(Request)
    assert.isTrue(Either.isRight(decode({ _tag: "GetMode", account: "a" })))
    assert.isTrue(Either.isRight(decode({ _tag: "MakePlan", account: "a", desired: { multiAssets: true } })))
    assert.isTrue(Either.isLeft(decode({ _tag: "GetMode" })))
    assert.isTrue(Either.isLeft(decode({ _tag: "DeleteEverything", account: "a" })))
    assert.isTrue(Either.isLeft(decode({ _tag: "MakePlan", account: "a", desired: { marginTypes: { symbols: [{ symbol: "btc usdt", marginType: "ISOLATED" }] } } })))
  })

  it("round-trips answers and apply messages", () => {
    const answer = Answer(Success.GetMode)
    const ok = Schema.encodeSync(answer)({ _tag: "Ok", value: true })
    assert.deepStrictEqual(Schema.decodeUnknownSync(answer)(ok), { _tag: "Ok", value: true })
    const err = Schema.encodeSync(answer)({ _tag: "Err", error: toData(internal("x")) })
    assert.deepStrictEqual(Schema.decodeUnknownSync(answer)(JSON.parse(JSON.stringify(err))), err)
    const done: ApplyMessage = {
      _tag: "Done",
      summary: { changed: 1, unchanged: 0, blocked: 0, failed: 0, skipped: 0, complete: true }
    }
    assert.deepStrictEqual(Schema.decodeUnknownSync(ApplyMessage)(Schema.encodeSync(ApplyMessage)(done)), done)
  })

  it("answers a drift with its summary or null (no desired state kept), and refuses an unknown status", () => {
    assert.isTrue(Either.isRight(Schema.decodeUnknownEither(Request)({ _tag: "GetDrift", account: "a" })))
    const answer = Answer(Success.GetDrift)
    const summary = { status: "drifted" as const, steps: ["Set BTCUSDT from CROSSED to ISOLATED"], blockers: [], lines: ["1. Set BTCUSDT"], detail: "1 step(s)" }
    for (const value of [summary, null]) {
      const sent = JSON.parse(JSON.stringify(Schema.encodeSync(answer)({ _tag: "Ok", value })))
      assert.deepStrictEqual(Schema.decodeUnknownSync(answer)(sent), { _tag: "Ok", value })
    }
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(answer)({ _tag: "Ok", value: { ...summary, status: "sideways" } })))
  })
})

describe("errors in plain words", () => {
  it("turns core's errors into a title, a detail and a fix, without endpoint noise or secrets", () => {
    const blocked = fromBinance(
      new MarginTypeBlocked({
        status: 400,
        code: -4168,
        msg: "Unable to adjust to isolated-margin mode under the Multi-Assets mode.",
        endpoint: "POST /fapi/v1/marginType",
        reason: "multi-assets",
        symbol: "BTCUSDT"
      }),
      "fapi.binance.com"
    )
    assert.include(blocked, { kind: "blocked", code: -4168, title: "Binance refused to change BTCUSDT" })
    assert.include(blocked.fix, "Turn Multi-Assets Mode off first")

    const signature = fromBinance(
      new InvalidSignature({ status: 400, code: -1022, msg: "Signature for this request is not valid.", endpoint: "GET /fapi/v1/accountConfig" }),
      "fapi.binance.com"
    )
    assert.strictEqual(signature.kind, "auth")
    assert.notInclude(JSON.stringify(toData(signature)), "signature=")

    const transport = fromBinance(
      new Transport({ status: 0, code: null, msg: "connection failed (ECONNREFUSED)", endpoint: "GET /fapi/v1/time", reason: "connection" }),
      "127.0.0.1:9"
    )
    assert.strictEqual(transport.title, "Could not reach 127.0.0.1:9")
    assert.strictEqual(fromBinance(new ExecutionUnknown({ status: 503, code: null, msg: "Unknown error", endpoint: "" }), "h").kind, "unknown-outcome")

    // The popup's words: no CLI command, no gateway endpoint.
    assert.notInclude(blocked.fix, "marginctl")
    const blocker = blockerText({ code: -4168, reason: "multi-assets", symbol: "BTCUSDT" as never, text: "Multi-Assets Mode is on", fix: "turn Multi-Assets off first" })
    assert.deepStrictEqual(blocker, { what: "Multi-Assets Mode is on (Binance -4168).", fix: "Fix: Turn Multi-Assets off first." })
  })

  it("words a plan's blockers and a failed step in the worker, for the popup", () => {
    const b = { code: -4168, reason: "multi-assets" as const, symbol: "BTCUSDT" as never, text: "Multi-Assets Mode is on", fix: "turn Multi-Assets off first" }
    const plan = Schema.decodeUnknownSync(PlanPreview.fields.plan)({
      steps: [{
        _tag: "SetMarginType",
        index: 1,
        title: "Set BTCUSDT from CROSSED to ISOLATED",
        weight: 1,
        blockers: [b],
        dependsOn: [],
        symbol: "BTCUSDT",
        from: "CROSSED",
        to: "ISOLATED",
        reason: "requested"
      }],
      readWeight: 5,
      applyWeight: 1,
      blocked: true,
      unchanged: [],
      multiAssetsUnchanged: true,
      multiAssets: { before: true, after: true }
    })
    assert.deepStrictEqual(planBlockers(plan), [{ step: 1, ...blockerText(b) }])
    const failed = stepFailed(plan, 1, { tag: "MarginTypeBlocked", message: "m", code: -4168 })
    assert.include(failed, { _tag: "StepFailed", index: 1, code: -4168 })
    assert.include(failed.title, "BTCUSDT")
    assert.isString(failed.fix)
    const message: ApplyMessage = failed
    assert.deepStrictEqual(Schema.decodeUnknownSync(ApplyMessage)(Schema.encodeSync(ApplyMessage)(message)), failed)
  })

  it("summarises an apply", () => {
    const s = (o: Partial<Planner.ApplySummary>): Planner.ApplySummary => ({
      changed: 0,
      unchanged: 0,
      blocked: 0,
      failed: 0,
      skipped: 0,
      complete: true,
      ...o
    })
    assert.strictEqual(summaryText(s({ unchanged: 1 })), "Already set: nothing needed changing.")
    assert.strictEqual(summaryText(s({ changed: 2 })), "Done: 2 changed.")
    assert.strictEqual(summaryText(s({ changed: 1, unchanged: 1 })), "Done: 1 changed, 1 already set.")
    assert.strictEqual(
      summaryText(s({ changed: 1, blocked: 1, skipped: 1, complete: false })),
      "Stopped before everything was applied: 1 changed, 1 blocked, 1 skipped."
    )
  })
})
