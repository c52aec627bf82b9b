import { assert, describe, it } from "@effect/vitest"
import * as RequestParams from "../src/RequestParams.js"

describe("RequestParams", () => {
  it("parses query and body; the query wins; '+' is a space; UTF-8 is decoded", () => {
    const p = RequestParams.parse("symbol=%E5%B8%81%E5%AE%89%E4%BA%BA%E7%94%9FUSDT&a=x+y", "symbol=ETHUSDT&b=2&&")
    assert.strictEqual(p.values.get("symbol")!.value, "币安人生USDT")
    assert.strictEqual(p.values.get("symbol")!.source, "query")
    assert.strictEqual(p.values.get("a")!.value, "x y")
    assert.strictEqual(p.values.get("b")!.value, "2")
    assert.isFalse(p.duplicate)
    assert.isFalse(p.illegal)
    assert.strictEqual(p.bodyCount, 2)
  })

  it("flags duplicates within one source and malformed percent-encoding", () => {
    assert.isTrue(RequestParams.parse("a=1&a=2", undefined).duplicate)
    assert.isTrue(RequestParams.parse("", "a=1&a=1").duplicate)
    assert.isFalse(RequestParams.parse("a=1", "a=2").duplicate)
    assert.isTrue(RequestParams.parse("a=%E5%B8", undefined).illegal)
    assert.isTrue(RequestParams.parse("a=%zz", undefined).illegal)
    assert.isTrue(RequestParams.parse("%FF=1", undefined).illegal)
  })

  it("the signed payload is query ‖ body without the final signature", () => {
    const cases: ReadonlyArray<readonly [string, string, string | undefined]> = [
      ["a=1&timestamp=2&signature=abc", "", "a=1&timestamp=2"],
      ["signature=abc", "", ""],
      ["symbol=BTCUSDT", "marginType=ISOLATED&timestamp=1&signature=abc", "symbol=BTCUSDTmarginType=ISOLATED&timestamp=1"],
      ["", "a=1&signature=abc", "a=1"],
      ["a=1&signature=abc&", "", "a=1"],
      ["signature=abc&a=1", "", undefined],
      ["signature=abc", "a=1", undefined],
      ["a=1", "signature=abc&b=2", undefined],
      ["a=1", "", undefined]
    ]
    for (const [query, body, expected] of cases) {
      assert.strictEqual(RequestParams.signedPayload(query, body, RequestParams.parse(query, body)), expected, `${query} | ${body}`)
    }
  })

  it("form bodies: absent or form content types only", () => {
    assert.isTrue(RequestParams.isFormBody(undefined))
    assert.isTrue(RequestParams.isFormBody("application/x-www-form-urlencoded; charset=UTF-8"))
    assert.isFalse(RequestParams.isFormBody("application/json"))
  })

  it("splits a request target", () => {
    assert.deepStrictEqual(RequestParams.splitTarget("/fapi/v1/time?x=1&y"), { path: "/fapi/v1/time", query: "x=1&y" })
    assert.deepStrictEqual(RequestParams.splitTarget("/fapi/v1/time"), { path: "/fapi/v1/time", query: "" })
  })
})
