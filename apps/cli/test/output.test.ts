/**
 * The exit-code classes, their order when results are mixed, and the sentence (with the fix) the
 * CLI prints for each rule and failure Binance can answer with.
 */
import * as BinanceCodes from "@marginctl/core/BinanceCodes"
import * as Errors from "@marginctl/core/Errors"
import { exitClassOf } from "@marginctl/core/Explain"
import { describe, expect, it } from "vitest"
import { SEVERITY, worst } from "../src/Failure.js"
import * as Output from "../src/Output.js"
import { hint } from "../src/Vocabulary.js"

/** The CLI's hint for an answer with this code, as the core classifies it. */
const forCode = (code: number, detail: object = {}) => hint({ _tag: BinanceCodes.codeInfo(code)!.tag, code, ...detail })

const upstream = { status: 400, msg: "msg", endpoint: "POST /fapi/v1/marginType" }

describe("exit classes", () => {
  it("maps every error family to its class", () => {
    expect(exitClassOf("InvalidInput")).toBe(2)
    expect(exitClassOf("UnknownSymbol")).toBe(2)
    expect(exitClassOf("MarginTypeBlocked")).toBe(3)
    expect(exitClassOf("MultiAssetsBlocked")).toBe(3)
    expect(exitClassOf("PlannedBlocker")).toBe(3)
    expect(exitClassOf("RateLimited")).toBe(4)
    expect(exitClassOf("IpBanned")).toBe(4)
    expect(exitClassOf("InvalidSignature")).toBe(5)
    expect(exitClassOf("InvalidApiKey")).toBe(5)
    expect(exitClassOf("TimestampOutsideWindow")).toBe(5)
    expect(exitClassOf("Transport")).toBe(6)
    expect(exitClassOf("ExecutionUnknown")).toBe(6)
    expect(exitClassOf("ServiceUnavailable")).toBe(6)
    expect(exitClassOf("UnexpectedResponse")).toBe(1)
    expect(exitClassOf("Whatever")).toBe(1)
  })

  it("the worst class wins: 6 > 5 > 4 > 1 > 3 > 2 > 0", () => {
    expect(SEVERITY).toEqual([6, 5, 4, 1, 3, 2, 0])
    expect(worst([])).toBe(0)
    expect(worst([0, 0])).toBe(0)
    expect(worst([0, 3, 2])).toBe(3)
    expect(worst([3, 1])).toBe(1)
    expect(worst([1, 4, 3])).toBe(4)
    expect(worst([4, 5])).toBe(5)
    expect(worst([5, 6, 0])).toBe(6)
  })
})

describe("hints", () => {
  it("-4168: Multi-Assets Mode allows only cross margin", () => {
    expect(forCode(-4168)).toBe("turn Multi-Assets Mode off first with `marginctl multi-assets off`: it allows only cross margin")
  })

  it.each([
    [-4167, "isolated margin", "margin-type set CROSSED --all"],
    [-4047, "BTCUSDT has open orders", "cancel them"],
    [-4048, "BTCUSDT has an open position", "close the position"],
    [-4170, "any order is open", "cancel them first"],
    [-4172, "negative balance", "transfer"],
    [-4169, "not have enough margin", "reduce the positions"],
    [-2015, "rejected the API key", "allow list"],
    [-2014, "malformed", "BINANCE_API_KEY"],
    [-1022, "signature does not match", "BINANCE_API_SECRET"],
    [-1121, "not a symbol of this exchange", "margin-type get"]
  ])("%i explains what is in the way and the fix", (code, what, fix) => {
    const text = forCode(code, { symbol: "BTCUSDT" })
    expect(text).toContain(what)
    expect(text).toContain(fix)
  })

  it("credits lock", () => {
    expect(forCode(-4169, { reason: "credits-lock" })).toContain("Credits Trading Mode")
  })

  it("-1021 says which side is off, by how much, and what to do", () => {
    expect(hint({ _tag: "TimestampOutsideWindow", code: -1021 }, { offsetMs: -5000 })).toContain("your clock is 5,000 ms ahead of the server")
    expect(hint({ _tag: "TimestampOutsideWindow", code: -1021 }, { offsetMs: 2500 })).toContain("your clock is 2,500 ms behind the server")
    expect(hint({ _tag: "TimestampOutsideWindow", code: -1021 }, { offsetMs: 3, recvWindow: 10 })).toContain("raise --recv-window")
    expect(hint({ _tag: "TimestampOutsideWindow", code: -1021 })).toContain("`marginctl time`")
  })

  it("429 and 418 say when to retry", () => {
    expect(forCode(-1003, { source: "exchange", retryAfterSeconds: 42 })).toContain("wait 42 s before retrying")
    const ban = hint({ _tag: "IpBanned", code: -1003, until: Date.UTC(2030, 0, 1), retryAfterSeconds: 120 })
    expect(ban).toContain("until 2030-01-01T00:00:00.000Z (120 s from now)")
  })

  it("network and unknown outcomes", () => {
    expect(hint({ _tag: "Transport" }, { host: "http://127.0.0.1:1" })).toContain("could not reach http://127.0.0.1:1")
    expect(hint({ _tag: "ExecutionUnknown" })).toContain("marginctl status")
    expect(hint({ _tag: "ServiceUnavailable" })).toContain("retry in a minute")
  })
})

describe("rendering", () => {
  it("describes a core error with its class, code and hint", () => {
    const e = new Errors.MarginTypeBlocked({ ...upstream, code: -4048, reason: "position", symbol: "ETHUSDT" })
    const r = Output.describe(e)
    expect(r).toMatchObject({ tag: "MarginTypeBlocked", code: -4048, exitCode: 3 })
    expect(r.hint).toContain("ETHUSDT has an open position")
    expect(Output.humanError(r)).toEqual([
      "error: ETHUSDT has an open position, and its margin type only changes on a flat symbol; close the position first.",
      `  (Binance -4048: ${e.message})`
    ])
    expect(Output.errorJson(r)).toEqual({ error: { tag: "MarginTypeBlocked", code: -4048, message: e.message, hint: r.hint } })
  })

  it("bad input names the field and the accepted values", () => {
    const e = new Errors.InvalidInput({ field: "margin type", accepted: "ISOLATED, CROSSED", received: "\"foo\"" })
    expect(Output.humanError(Output.describe(e))).toEqual(["error: invalid margin type: expected ISOLATED, CROSSED; got \"foo\""])
    expect(Output.describe(e).exitCode).toBe(2)
  })

  it("an unexpected defect is exit 1 and shows no query string", () => {
    const r = Output.describe(new Error("boom at http://x/fapi?timestamp=1&signature=abc"))
    expect(r.exitCode).toBe(1)
    expect(r.message).not.toContain("signature")
  })
})
