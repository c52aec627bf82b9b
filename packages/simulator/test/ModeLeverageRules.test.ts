import { assert, describe, it } from "@effect/vitest"
import { messageOf } from "@marginctl/core/BinanceCodes"
import * as Effect from "effect/Effect"
import { creds, get, makeSim, seedWith, setLeverage, setPositionMode } from "./support/Client.js"

const SUCCESS = { code: 200, msg: "success" }
const rejected = (code: number) => ({ code, msg: messageOf(code) })

describe("position mode rules (POST /fapi/v1/positionSide/dual)", () => {
  const attempt = (extra: Record<string, unknown>, dual: boolean) =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith(extra))
      const answer = yield* setPositionMode(sim, yield* creds("HMAC"), dual)
      return { answer, sim }
    })

  it.effect("switches one-way → hedge → one-way, logged with before and after, weight 1", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("RSA")
      const on = yield* setPositionMode(sim, c, true)
      assert.deepStrictEqual(on.json, SUCCESS)
      assert.strictEqual(on.headers["x-mbx-used-weight-1m"], "1")
      assert.deepStrictEqual((yield* get(sim, c, "/fapi/v1/accountConfig")).json.dualSidePosition, true)
      assert.deepStrictEqual((yield* setPositionMode(sim, c, false)).json, SUCCESS)
      assert.deepStrictEqual(sim.log().map((e) => [e.endpoint, e.before, e.after]), [
        ["POST /fapi/v1/positionSide/dual", { dualSidePosition: false }, { dualSidePosition: true }],
        ["POST /fapi/v1/positionSide/dual", { dualSidePosition: true }, { dualSidePosition: false }]
      ])
    }))

  it.effect("-4059 for the current mode, nothing logged", () =>
    Effect.gen(function*() {
      const { answer, sim } = yield* attempt({}, false)
      assert.strictEqual(answer.status, 400)
      assert.deepStrictEqual(answer.json, rejected(-4059))
      assert.strictEqual(sim.log().length, 0)
    }))

  it.effect("-4067 any open order on any symbol (regular or algo), before positions", () =>
    Effect.gen(function*() {
      const regular = yield* attempt({ orders: [{ symbol: "ETHUSDT" }], positions: [{ symbol: "BTCUSDT", positionAmt: 1 }] }, true)
      assert.deepStrictEqual(regular.answer.json, rejected(-4067))
      const algo = yield* attempt({ algoOrders: [{ symbol: "SOLUSDT" }] }, true)
      assert.deepStrictEqual(algo.answer.json, rejected(-4067))
    }))

  it.effect("-4068 a position on any symbol; Multi-Assets Mode does not matter", () =>
    Effect.gen(function*() {
      const held = yield* attempt({ positions: [{ symbol: "BTCUSDT", positionAmt: -0.5 }] }, true)
      assert.deepStrictEqual(held.answer.json, rejected(-4068))
      const multiAssets = yield* attempt({ multiAssetsMargin: true }, true)
      assert.deepStrictEqual(multiAssets.answer.json, SUCCESS)
    }))

  it.effect("a read-only key is refused (TRADE)", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const answer = yield* setPositionMode(sim, yield* creds("HMAC", "readOnlyKey000000000000000000000000000000000000000000000000001"), true)
      assert.strictEqual(answer.json.code, -2015)
    }))
})

describe("leverage rules and brackets", () => {
  it.effect("GET /fapi/v1/leverageBracket: every symbol's brackets, the first at its maximum; one object for a symbol; weight 1", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("ED25519")
      const all = yield* get(sim, c, "/fapi/v1/leverageBracket")
      assert.strictEqual(all.headers["x-mbx-used-weight-1m"], "1")
      assert.isTrue(Array.isArray(all.json) && all.json.length > 1)
      const one = yield* get(sim, c, "/fapi/v1/leverageBracket", [["symbol", "BNBUSDT"]])
      assert.strictEqual(one.json.symbol, "BNBUSDT")
      const brackets: Array<Record<string, number>> = one.json.brackets
      assert.deepStrictEqual(brackets[0]!.bracket, 1)
      assert.strictEqual(brackets[0]!.initialLeverage, 75)
      assert.strictEqual(brackets[0]!.notionalFloor, 0)
      assert.strictEqual(brackets[brackets.length - 1]!.initialLeverage, 1)
      for (let i = 1; i < brackets.length; i++) {
        assert.isBelow(brackets[i]!.initialLeverage!, brackets[i - 1]!.initialLeverage!)
        assert.strictEqual(brackets[i]!.notionalFloor, brackets[i - 1]!.notionalCap)
      }
      assert.deepStrictEqual(all.json.find((s: { symbol: string }) => s.symbol === "BNBUSDT"), one.json)
    }))

  it.effect("-4028 above the bracket's maximum; the same leverage is a success and changes nothing", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({ leverage: { BTCUSDT: 20 } }))
      const c = yield* creds("HMAC")
      assert.deepStrictEqual((yield* setLeverage(sim, c, "BNBUSDT", 76)).json, { code: -4028, msg: "Leverage 76 is not valid" })
      const same = yield* setLeverage(sim, c, "BTCUSDT", 20)
      assert.strictEqual(same.status, 200)
      assert.strictEqual(same.json.leverage, 20)
      assert.strictEqual(sim.log().length, 0)
    }))

  it.effect("-4161 lowering an ISOLATED symbol's leverage with a position; raising it, or CROSSED, is allowed", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({
        marginTypes: { BTCUSDT: "ISOLATED", ETHUSDT: "ISOLATED" },
        leverage: { BTCUSDT: 20, ETHUSDT: 20, SOLUSDT: 20 },
        positions: [{ symbol: "BTCUSDT", positionAmt: 0.1 }, { symbol: "SOLUSDT", positionAmt: 3 }]
      }))
      const c = yield* creds("HMAC")
      assert.deepStrictEqual((yield* setLeverage(sim, c, "BTCUSDT", 10)).json, rejected(-4161))
      assert.strictEqual((yield* setLeverage(sim, c, "BTCUSDT", 25)).json.leverage, 25)
      assert.strictEqual((yield* setLeverage(sim, c, "ETHUSDT", 5)).json.leverage, 5)
      assert.strictEqual((yield* setLeverage(sim, c, "SOLUSDT", 5)).json.leverage, 5)
      assert.strictEqual(sim.account("main")!.symbols.get("BTCUSDT")!.leverage, 25)
    }))
})
