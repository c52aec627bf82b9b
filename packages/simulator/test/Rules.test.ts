import { assert, describe, it } from "@effect/vitest"
import { messageOf } from "@marginctl/core/BinanceCodes"
import * as Effect from "effect/Effect"
import { creds, KEY_KINDS, makeSim, seedWith, setMarginType, setMultiAssets } from "./support/Client.js"

const SUCCESS = { code: 200, msg: "success" }
const rejected = (code: number) => ({ code, msg: messageOf(code) })

for (const kind of KEY_KINDS) {
  describe(`margin type rules (${kind} key)`, () => {
    const attempt = (extra: Record<string, unknown>, symbol: string, type: string, config: Record<string, unknown> = {}) =>
      Effect.gen(function*() {
        const sim = yield* makeSim(seedWith(extra, config))
        const answer = yield* setMarginType(sim, yield* creds(kind), symbol, type)
        return { answer, sim }
      })

    it.effect("changes CROSSED → ISOLATED → CROSSED, each logged once with before and after", () =>
      Effect.gen(function*() {
        const sim = yield* makeSim()
        const c = yield* creds(kind)
        assert.deepStrictEqual((yield* setMarginType(sim, c, "BTCUSDT", "ISOLATED")).json, SUCCESS)
        assert.deepStrictEqual((yield* setMarginType(sim, c, "BTCUSDT", "CROSSED")).json, SUCCESS)
        const log = sim.log()
        assert.deepStrictEqual(log.map((e) => [e.seq, e.endpoint, e.before, e.after]), [
          [1, "POST /fapi/v1/marginType", { symbol: "BTCUSDT", marginType: "CROSSED" }, { symbol: "BTCUSDT", marginType: "ISOLATED" }],
          [2, "POST /fapi/v1/marginType", { symbol: "BTCUSDT", marginType: "ISOLATED" }, { symbol: "BTCUSDT", marginType: "CROSSED" }]
        ])
      }))

    it.effect("-4046 for the current type (HTTP 400), nothing logged", () =>
      Effect.gen(function*() {
        const { answer, sim } = yield* attempt({}, "BTCUSDT", "CROSSED")
        assert.deepStrictEqual(answer.json, rejected(-4046))
        assert.strictEqual(answer.status, 400)
        assert.strictEqual(sim.log().length, 0)
      }))

    it.effect("quirk4067: -4067 for a no-op without position, -4046 with one", () =>
      Effect.gen(function*() {
        const flat = yield* attempt({}, "BTCUSDT", "CROSSED", { quirk4067: true })
        assert.deepStrictEqual(flat.answer.json, rejected(-4067))
        const held = yield* attempt(
          { positions: [{ symbol: "BTCUSDT", positionAmt: "0.01" }] },
          "BTCUSDT",
          "CROSSED",
          { quirk4067: true }
        )
        assert.deepStrictEqual(held.answer.json, rejected(-4046))
      }))

    it.effect("-4168 ISOLATED under Multi-Assets (before open orders and positions)", () =>
      Effect.gen(function*() {
        const { answer } = yield* attempt(
          {
            multiAssetsMargin: true,
            orders: [{ symbol: "BTCUSDT" }],
            positions: [{ symbol: "BTCUSDT", positionAmt: 1 }]
          },
          "BTCUSDT",
          "ISOLATED"
        )
        assert.deepStrictEqual(answer.json, rejected(-4168))
      }))

    it.effect("-4047 open regular or algo orders on the symbol (before the position)", () =>
      Effect.gen(function*() {
        const regular = yield* attempt(
          { orders: [{ symbol: "ETHUSDT" }], positions: [{ symbol: "ETHUSDT", positionAmt: -2 }] },
          "ETHUSDT",
          "ISOLATED"
        )
        assert.deepStrictEqual(regular.answer.json, rejected(-4047))
        const algo = yield* attempt({ algoOrders: [{ symbol: "ETHUSDT" }] }, "ETHUSDT", "ISOLATED")
        assert.deepStrictEqual(algo.answer.json, rejected(-4047))
        const elsewhere = yield* attempt({ orders: [{ symbol: "BTCUSDT" }] }, "ETHUSDT", "ISOLATED")
        assert.deepStrictEqual(elsewhere.answer.json, SUCCESS)
      }))

    it.effect("-4048 a position on the symbol (any side), both directions", () =>
      Effect.gen(function*() {
        const oneWay = yield* attempt({ positions: [{ symbol: "SOLUSDT", positionAmt: 3 }] }, "SOLUSDT", "ISOLATED")
        assert.deepStrictEqual(oneWay.answer.json, rejected(-4048))
        const hedge = yield* attempt(
          { dualSidePosition: true, marginTypes: { SOLUSDT: "ISOLATED" }, positions: [{ symbol: "SOLUSDT", positionSide: "SHORT", positionAmt: -3 }] },
          "SOLUSDT",
          "CROSSED"
        )
        assert.deepStrictEqual(hedge.answer.json, rejected(-4048))
        assert.strictEqual(hedge.sim.account("main")!.symbols.get("SOLUSDT")!.marginType, "ISOLATED")
      }))
  })

  describe(`Multi-Assets rules (${kind} key)`, () => {
    const attempt = (extra: Record<string, unknown>, on: boolean, config: Record<string, unknown> = {}) =>
      Effect.gen(function*() {
        const sim = yield* makeSim(seedWith(extra, config))
        const answer = yield* setMultiAssets(sim, yield* creds(kind), on)
        return { answer, sim }
      })

    it.effect("turns on and off; each accepted change is logged once", () =>
      Effect.gen(function*() {
        const sim = yield* makeSim()
        const c = yield* creds(kind)
        assert.deepStrictEqual((yield* setMultiAssets(sim, c, true)).json, SUCCESS)
        assert.deepStrictEqual((yield* setMultiAssets(sim, c, true)).json, rejected(-4171))
        assert.deepStrictEqual((yield* setMultiAssets(sim, c, false)).json, SUCCESS)
        assert.deepStrictEqual(sim.log().map((e) => e.after), [{ multiAssetsMargin: true }, { multiAssetsMargin: false }])
      }))

    it.effect("-4171 same value", () =>
      Effect.gen(function*() {
        assert.deepStrictEqual((yield* attempt({}, false)).answer.json, rejected(-4171))
        assert.deepStrictEqual((yield* attempt({ multiAssetsMargin: true }, true)).answer.json, rejected(-4171))
      }))

    it.effect("-4167 enabling with an ISOLATED symbol, checked before open orders", () =>
      Effect.gen(function*() {
        const { answer } = yield* attempt({ marginTypes: { ETHUSDT: "ISOLATED" }, orders: [{ symbol: "BTCUSDT" }] }, true)
        assert.deepStrictEqual(answer.json, rejected(-4167))
      }))

    it.effect("isolatedBlocksOnlyWithPosition: a flat ISOLATED symbol does not block, one with a position does", () =>
      Effect.gen(function*() {
        const config = { isolatedBlocksOnlyWithPosition: true }
        const flat = yield* attempt({ marginTypes: { ETHUSDT: "ISOLATED" } }, true, config)
        assert.deepStrictEqual(flat.answer.json, SUCCESS)
        const held = yield* attempt(
          { marginTypes: { ETHUSDT: "ISOLATED" }, positions: [{ symbol: "ETHUSDT", positionAmt: 1 }] },
          true,
          config
        )
        assert.deepStrictEqual(held.answer.json, rejected(-4167))
      }))

    it.effect("-4170 any open order (regular or algo), both directions, before a negative balance", () =>
      Effect.gen(function*() {
        const on = yield* attempt({ orders: [{ symbol: "XRPUSDT" }], balances: { USDT: 10, BTC: -1 } }, true)
        assert.deepStrictEqual(on.answer.json, rejected(-4170))
        const off = yield* attempt({ multiAssetsMargin: true, algoOrders: [{ symbol: "XRPUSDT" }] }, false)
        assert.deepStrictEqual(off.answer.json, rejected(-4170))
      }))

    it.effect("-4172 a negative wallet balance of a margin-available asset (before insufficient margin)", () =>
      Effect.gen(function*() {
        const off = yield* attempt({ multiAssetsMargin: true, creditsLock: true, balances: { USDT: 100, BTC: -0.01 } }, false)
        assert.deepStrictEqual(off.answer.json, rejected(-4172))
        const on = yield* attempt({ balances: { USDC: -5 } }, true)
        assert.deepStrictEqual(on.answer.json, rejected(-4172))
        // XRP is not margin-available: its negative balance does not block.
        const xrp = yield* attempt({ balances: { USDT: 100, XRP: -5 } }, true)
        assert.deepStrictEqual(xrp.answer.json, SUCCESS)
      }))

    it.effect("-4169 credits lock: Multi-Assets cannot be turned off", () =>
      Effect.gen(function*() {
        const { answer, sim } = yield* attempt({ creditsLock: true, balances: { BNFCR: 1000 } }, false)
        assert.deepStrictEqual(answer.json, rejected(-4169))
        assert.isTrue(sim.account("main")!.multiAssetsMargin)
      }))

    it.effect("-4169 turning off when a margin asset's wallet cannot carry its positions' initial margin", () =>
      Effect.gen(function*() {
        // 1 BTC on BTCUSDC at 60000, leverage 20 → 3000 USDC initial margin; only 1000 USDC in the wallet.
        const short = yield* attempt(
          { multiAssetsMargin: true, balances: { USDT: 50000, USDC: 1000 }, positions: [{ symbol: "BTCUSDC", positionAmt: 1 }] },
          false
        )
        assert.deepStrictEqual(short.answer.json, rejected(-4169))
        const enough = yield* attempt(
          { multiAssetsMargin: true, balances: { USDT: 50000, USDC: 5000 }, positions: [{ symbol: "BTCUSDC", positionAmt: 1 }] },
          false
        )
        assert.deepStrictEqual(enough.answer.json, SUCCESS)
      }))

    it.effect("positions do not block the switch unless positionsBlockMultiAssets", () =>
      Effect.gen(function*() {
        const extra = { positions: [{ symbol: "BTCUSDT", positionAmt: 0.1 }] }
        assert.deepStrictEqual((yield* attempt(extra, true)).answer.json, SUCCESS)
        assert.deepStrictEqual((yield* attempt(extra, true, { positionsBlockMultiAssets: true })).answer.json, rejected(-4169))
      }))
  })
}

describe("rules interplay", () => {
  it.effect("Multi-Assets on forbids ISOLATED until it is turned off again", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      assert.deepStrictEqual((yield* setMultiAssets(sim, c, true)).json, SUCCESS)
      assert.deepStrictEqual((yield* setMarginType(sim, c, "ETHUSDT", "ISOLATED")).json, rejected(-4168))
      assert.deepStrictEqual((yield* setMultiAssets(sim, c, false)).json, SUCCESS)
      assert.deepStrictEqual((yield* setMarginType(sim, c, "ETHUSDT", "ISOLATED")).json, SUCCESS)
      assert.deepStrictEqual((yield* setMultiAssets(sim, c, true)).json, rejected(-4167))
      assert.strictEqual(sim.log().length, 3)
    }))

  it.effect("concurrent identical changes: exactly one is accepted", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("ED25519")
      const answers = yield* Effect.all(
        Array.from({ length: 8 }, () => setMarginType(sim, c, "BTCUSDT", "ISOLATED")),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(answers.filter((a) => a.json.code === 200).length, 1)
      assert.strictEqual(answers.filter((a) => a.json.code === -4046).length, 7)
      assert.strictEqual(sim.log().length, 1)
    }))
})
