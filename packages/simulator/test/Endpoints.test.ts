import { assert, describe, it } from "@effect/vitest"
import * as Catalog from "@marginctl/core/Catalog"
import * as Responses from "@marginctl/core/Responses"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { creds, get, makeSim, seedWith, send } from "./support/Client.js"

const STATE = {
  multiAssetsMargin: false,
  dualSidePosition: false,
  marginTypes: { ETHUSDT: "ISOLATED" },
  leverage: { BTCUSDT: 50 },
  balances: { USDT: 20000, USDC: 3000, BTC: 0.5 },
  positions: [
    { symbol: "BTCUSDT", positionAmt: "0.010", entryPrice: "59000" },
    { symbol: "ETHUSDT", positionAmt: -1, entryPrice: 3100 }
  ],
  orders: [{ symbol: "SOLUSDT", side: "BUY", price: 140, quantity: 2 }],
  algoOrders: [{ symbol: "BNBUSDT", orderType: "STOP_MARKET", triggerPrice: 550 }]
}

const used = (headers: Readonly<Record<string, string>>) => Number(headers["x-mbx-used-weight-1m"])

describe("GET endpoints return Binance's shapes", () => {
  it.effect("every catalog endpoint answers 200 and decodes with core's response schema", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith(STATE))
      const c = yield* creds("HMAC")
      for (const e of Catalog.all.filter((x) => x.method === "GET")) {
        const answer = e.security === "NONE"
          ? yield* send(sim, { method: "GET", path: e.path })
          : yield* get(sim, c, e.path)
        assert.strictEqual(answer.status, 200, e.path)
        Schema.decodeUnknownSync(e.response as Schema.Schema<unknown, unknown>)(answer.json)
      }
    }))

  it.effect("weights: the header grows by each endpoint's catalog weight", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, string]>, number]> = [
        ["/fapi/v1/multiAssetsMargin", [], 30],
        ["/fapi/v1/accountConfig", [], 5],
        ["/fapi/v1/symbolConfig", [], 5],
        ["/fapi/v1/openOrders", [], 40],
        ["/fapi/v1/openOrders", [["symbol", "BTCUSDT"]], 1],
        ["/fapi/v1/openAlgoOrders", [], 40],
        ["/fapi/v1/openAlgoOrders", [["symbol", "BTCUSDT"]], 1],
        ["/fapi/v3/positionRisk", [], 5],
        ["/fapi/v3/account", [], 5],
        ["/fapi/v1/positionSide/dual", [], 30]
      ]
      const c = yield* creds("HMAC")
      for (const [path, params, weight] of cases) {
        const sim = yield* makeSim(seedWith(STATE))
        const answer = yield* get(sim, c, path, params)
        assert.strictEqual(used(answer.headers), weight, `${path} ${JSON.stringify(params)}`)
      }
      const sim = yield* makeSim()
      assert.strictEqual(used((yield* send(sim, { method: "GET", path: "/fapi/v1/assetIndex" })).headers), 10)
      assert.strictEqual(used((yield* send(sim, { method: "GET", path: "/fapi/v1/assetIndex", query: "symbol=BTCUSD" })).headers), 11)
      assert.strictEqual(used((yield* send(sim, { method: "GET", path: "/fapi/v1/time" })).headers), 12)
    }))

  it.effect("exchangeInfo: rate limits, margin assets, ~30 symbols incl. USDC, delivery and non-ASCII", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({}, { weightLimit: 1200 }))
      const answer = yield* send(sim, { method: "GET", path: "/fapi/v1/exchangeInfo" })
      const info = Schema.decodeUnknownSync(Responses.ExchangeInfo)(answer.json)
      assert.deepStrictEqual(info.rateLimits.find((r) => r.rateLimitType === "REQUEST_WEIGHT"), {
        rateLimitType: "REQUEST_WEIGHT",
        interval: "MINUTE",
        intervalNum: 1,
        limit: 1200
      })
      assert.isTrue(info.rateLimits.some((r) => r.rateLimitType === "ORDERS"))
      const assets = Object.fromEntries(info.assets.map((a) => [a.asset, a]))
      for (const a of ["USDT", "USDC", "BTC", "ETH", "BNB", "BNFCR"]) assert.isTrue(assets[a]!.marginAvailable, a)
      assert.strictEqual(assets["BTC"]!.autoAssetExchange, -0.1)
      const symbols = info.symbols.map((s) => s.symbol)
      assert.isAtLeast(symbols.length, 28)
      for (const s of ["BTCUSDT", "ETHUSDT", "BTCUSDC", "BTCUSDT_260925", "币安人生USDT"]) assert.include(symbols, s)
      assert.strictEqual(info.symbols.find((s) => s.symbol === "BTCUSDC")!.marginAsset, "USDC")
      assert.strictEqual(info.symbols.find((s) => s.symbol === "BTCUSDT_260925")!.contractType, "CURRENT_QUARTER")
    }))

  it.effect("multiAssetsMargin, accountConfig and positionSide/dual report the flags", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({ multiAssetsMargin: true, dualSidePosition: true }))
      const c = yield* creds("RSA")
      assert.deepStrictEqual((yield* get(sim, c, "/fapi/v1/multiAssetsMargin")).json, { multiAssetsMargin: true })
      assert.deepStrictEqual((yield* get(sim, c, "/fapi/v1/positionSide/dual")).json, { dualSidePosition: true })
      const config = (yield* get(sim, c, "/fapi/v1/accountConfig")).json
      assert.strictEqual(config.multiAssetsMargin, true)
      assert.strictEqual(config.dualSidePosition, true)
    }))

  it.effect("symbolConfig: every symbol without `symbol`, one with it, upper-case margin types", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith(STATE))
      const c = yield* creds("ED25519")
      const all = (yield* get(sim, c, "/fapi/v1/symbolConfig")).json as Array<Record<string, unknown>>
      assert.isAtLeast(all.length, 28)
      assert.deepStrictEqual(all.find((e) => e.symbol === "ETHUSDT"), {
        symbol: "ETHUSDT",
        marginType: "ISOLATED",
        isAutoAddMargin: false,
        leverage: 20,
        maxNotionalValue: "15000000"
      })
      const one = (yield* get(sim, c, "/fapi/v1/symbolConfig", [["symbol", "BTCUSDT"]])).json
      assert.deepStrictEqual(one.map((e: Record<string, unknown>) => [e.symbol, e.marginType, e.leverage]), [["BTCUSDT", "CROSSED", 50]])
    }))

  it.effect("open orders and open algo orders, filtered by symbol", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith(STATE))
      const c = yield* creds("HMAC")
      const orders = Schema.decodeUnknownSync(Responses.OpenOrders)((yield* get(sim, c, "/fapi/v1/openOrders")).json)
      assert.deepStrictEqual(orders.map((o) => [o.symbol, o.side, o.status]), [["SOLUSDT", "BUY", "NEW"]])
      assert.deepStrictEqual((yield* get(sim, c, "/fapi/v1/openOrders", [["symbol", "BTCUSDT"]])).json, [])
      const algo = (yield* get(sim, c, "/fapi/v1/openAlgoOrders", [["symbol", "BNBUSDT"]])).json
      assert.strictEqual(algo.length, 1)
      assert.strictEqual(algo[0].orderType, "STOP_MARKET")
      assert.strictEqual(algo[0].triggerPrice, "550.00")
      assert.strictEqual(algo[0].algoStatus, "NEW")
    }))

  it.effect("positionRisk v3: symbols with a position or open orders, decimal strings, no marginType", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith(STATE))
      const c = yield* creds("HMAC")
      const all = (yield* get(sim, c, "/fapi/v3/positionRisk")).json as Array<Record<string, unknown>>
      assert.sameMembers(all.map((p) => p.symbol), ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"])
      const btc = all.find((p) => p.symbol === "BTCUSDT")!
      assert.strictEqual(btc.positionAmt, "0.010")
      assert.strictEqual(btc.entryPrice, "59000.00000000")
      assert.strictEqual(btc.notional, "600.00000000")
      assert.strictEqual(btc.unRealizedProfit, "10.00000000")
      assert.strictEqual(btc.initialMargin, "12.00000000") // leverage 50
      assert.strictEqual(btc.marginAsset, "USDT")
      assert.isUndefined(btc.marginType)
      const eth = all.find((p) => p.symbol === "ETHUSDT")!
      assert.strictEqual(eth.positionAmt, "-1.000")
      assert.notStrictEqual(eth.isolatedWallet, "0.00000000")
      const sol = all.find((p) => p.symbol === "SOLUSDT")!
      assert.strictEqual(sol.positionAmt, "0")
      const one = (yield* get(sim, c, "/fapi/v3/positionRisk", [["symbol", "ETHUSDT"]])).json
      assert.strictEqual(one.length, 1)
    }))

  it.effect("account v3: assets with walletBalance etc., totals in USDT in Single-Asset mode", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith(STATE))
      const c = yield* creds("HMAC")
      const account = Schema.decodeUnknownSync(Responses.AccountV3)((yield* get(sim, c, "/fapi/v3/account")).json)
      const usdt = account.assets.find((a) => a.asset === "USDT")!
      assert.strictEqual(usdt.walletBalance, 20000)
      assert.strictEqual(account.assets.find((a) => a.asset === "BTC")!.walletBalance, 0.5)
      assert.strictEqual(account.totalWalletBalance, 20000)
      assert.sameMembers(account.positions.map((p) => p.symbol), ["BTCUSDT", "ETHUSDT"])
      const multi = yield* makeSim(seedWith({ ...STATE, marginTypes: {}, multiAssetsMargin: true }))
      const m = Schema.decodeUnknownSync(Responses.AccountV3)((yield* get(multi, c, "/fapi/v3/account")).json)
      assert.isAbove(m.totalWalletBalance, 20000 + 3000)
    }))

  it.effect("assetIndex: an object with symbol, an array without; rates follow the buffers", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const one = (yield* send(sim, { method: "GET", path: "/fapi/v1/assetIndex", query: "symbol=BTCUSD" })).json
      const entry = Schema.decodeUnknownSync(Responses.AssetIndexEntry)(one)
      assert.strictEqual(entry.symbol, "BTCUSD")
      assert.closeTo(entry.bidRate, entry.index * (1 - entry.bidBuffer), 1e-6)
      assert.closeTo(entry.autoExchangeAskRate, entry.index * (1 + entry.autoExchangeAskBuffer), 1e-6)
      const all = (yield* send(sim, { method: "GET", path: "/fapi/v1/assetIndex" })).json
      assert.isArray(all)
      assert.isTrue(all.some((e: { symbol: string }) => e.symbol === "ETHUSD"))
      const unknown = yield* send(sim, { method: "GET", path: "/fapi/v1/assetIndex", query: "symbol=NOPEUSD" })
      assert.deepStrictEqual(unknown.json, { code: -1121, msg: "Invalid symbol." })
    }))

  it.effect("time and ping", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      assert.deepStrictEqual((yield* send(sim, { method: "GET", path: "/fapi/v1/ping" })).json, {})
      assert.deepStrictEqual((yield* send(sim, { method: "GET", path: "/fapi/v1/time" })).json, { serverTime: 0 })
    }))
})

describe("routing", () => {
  it.effect("unknown path → 404, wrong method → 405, both Binance-shaped with the weight header", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const missing = yield* send(sim, { method: "GET", path: "/fapi/v1/nothing" })
      assert.strictEqual(missing.status, 404)
      assert.deepStrictEqual(missing.json, { code: -1099, msg: "Not found, unauthenticated, or unauthorized." })
      assert.strictEqual(used(missing.headers), 1)
      const wrong = yield* send(sim, { method: "DELETE", path: "/fapi/v1/marginType" })
      assert.strictEqual(wrong.status, 405)
      assert.deepStrictEqual(wrong.json, { code: -1020, msg: "This operation is not supported." })
      assert.strictEqual(wrong.headers["allow"], "POST")
      assert.strictEqual(used(wrong.headers), 2)
    }))
})
