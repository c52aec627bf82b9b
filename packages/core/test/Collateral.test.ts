import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Collateral from "../src/Collateral.js"

type Asset = Collateral.SaleCollateral

const asset = (
  name: string,
  walletBalance: number,
  indexPrice = 1,
  haircut = 0,
  extra: Partial<Asset> = {}
): Asset => ({ asset: name, walletBalance, indexPrice, haircut, marginAvailable: true, ...extra })

const right = <A>(result: Either.Either<A, Collateral.CollateralInputError>): A => {
  if (Either.isLeft(result)) assert.fail(`expected a result, got the error ${result.left.message}`)
  return result.right
}

const left = <A>(result: Either.Either<A, Collateral.CollateralInputError>): Collateral.CollateralInputError => {
  if (Either.isRight(result)) assert.fail("expected an input error")
  return result.left
}

const idle: Collateral.AccountActivity = { hasPositions: false, hasOpenOrders: false }
const busy: Collateral.AccountActivity = { hasPositions: true, hasOpenOrders: false }

// 20,000 USD worth of BTC at 60,000 with the auto-exchange examples' 2.5 % haircut.
const btc20k = asset("BTC", 20_000 / 60_000, 60_000, 0.025)

describe("Collateral", () => {
  describe("collateral value (seeds: BTC at 95 %)", () => {
    it("1 BTC at 60,000 with a 5 % haircut counts 57,000", () => {
      assert.closeTo(right(Collateral.collateralValue(asset("BTC", 1, 60_000, 0.05))), 57_000, 1e-9)
    })

    it("a debt counts at full value, with no haircut", () => {
      assert.strictEqual(right(Collateral.collateralValue(asset("USDC", -5_000, 1, 0.0001))), -5_000)
      assert.strictEqual(right(Collateral.collateralValue(asset("BTC", -0.1, 60_000, 0.05))), -6_000)
    })

    it("breakdown lists face value, haircut and collateral value; only accepted margin assets count", () => {
      const b = right(Collateral.collateralBreakdown([
        asset("BTC", 1, 60_000, 0.05),
        asset("USDT", 1_000),
        asset("USDC", -500, 1, 0.0001),
        asset("XYZ", 100, 2, 0.1, { marginAvailable: false })
      ]))
      assert.strictEqual(b.rows.length, 4)
      const [btc, , usdc, xyz] = b.rows
      assert.deepStrictEqual(
        { asset: btc!.asset, balance: btc!.balance, usdValue: btc!.usdValue, haircut: btc!.haircut, counted: btc!.counted },
        { asset: "BTC", balance: 1, usdValue: 60_000, haircut: 0.05, counted: true }
      )
      assert.closeTo(btc!.collateralValue, 57_000, 1e-9)
      assert.closeTo(btc!.haircutUsd, 3_000, 1e-9)
      assert.strictEqual(usdc!.collateralValue, -500)
      assert.strictEqual(usdc!.haircutUsd, 0)
      assert.isFalse(xyz!.counted)
      assert.closeTo(b.totalUsdValue, 60_000 + 1_000 - 500, 1e-9)
      assert.closeTo(b.totalCollateralValue, 57_000 + 1_000 - 500, 1e-9)
    })
  })

  describe("margin balance in each mode", () => {
    const wallet = [
      asset("USDT", 1_000, 1, 0, { unrealizedPnl: -200 }),
      asset("USDC", 500, 1, 0.0001, { unrealizedPnl: 50 }),
      asset("BTC", 1, 60_000, 0.05)
    ]

    it("Single-Asset mode: each margin asset is its own pool, in its own units", () => {
      const m = right(Collateral.marginBalance(wallet, "single-asset"))
      assert.strictEqual(m.mode, "single-asset")
      assert.deepStrictEqual(
        m.perAsset.map((r) => [r.asset, r.marginBalance, r.usableAsMargin]),
        [["USDT", 800, true], ["USDC", 550, true], ["BTC", 1, false]]
      )
      assert.isFalse("totalUsd" in m)
    })

    it("Multi-Assets mode: one pooled USD figure, collateral after haircuts plus unrealized PnL", () => {
      const m = right(Collateral.marginBalance(wallet, "multi-assets"))
      assert.strictEqual(m.mode, "multi-assets")
      assert.closeTo(m.collateralUsd, 1_000 + 500 * 0.9999 + 57_000, 1e-9)
      assert.closeTo(m.unrealizedPnlUsd, -150, 1e-9)
      assert.closeTo(m.totalUsd, 1_000 + 499.95 + 57_000 - 150, 1e-9)
      assert.closeTo(m.perAsset[0]!.marginUsd, 800, 1e-9)
    })

    it("compareModes gives both side by side with plain-words notes", () => {
      const c = right(Collateral.compareModes([...wallet, asset("USDC2", -10, 1, 0)]))
      assert.strictEqual(c.singleAsset.mode, "single-asset")
      assert.strictEqual(c.multiAssets.mode, "multi-assets")
      assert.isTrue(c.notes.some((n) => n.startsWith("BTC counts as 57,000.00 USD of margin in Multi-Assets mode")))
      assert.isTrue(c.notes.some((n) => n.startsWith("USDC2 balance is negative")))
    })

    it("an unknown mode is an input error", () => {
      assert.strictEqual(left(Collateral.marginBalance(wallet, "hedge" as Collateral.MarginMode)).field, "mode")
    })
  })

  describe("amount sold (seeds: −5,000 USDC covered from BTC at a 2.5 % haircut)", () => {
    it("deficit ÷ (1 − haircut) = 5,128.21 USD", () => {
      const usd = right(Collateral.amountToSellUsd(5_000, 0.025))
      assert.closeTo(usd, 5_000 / 0.975, 1e-9)
      assert.strictEqual(Collateral.formatUsd(usd), "5,128.21")
    })

    it("from 20,000 USD of BTC: sells ≈ 5,128.21 USD worth, in BTC at the index", () => {
      const sale = right(Collateral.autoExchangeSale(5_000, btc20k))
      assert.strictEqual(sale.totalUsdSold.toFixed(2), "5128.21")
      assert.strictEqual(sale.uncoveredUsd, 0)
      const [row] = sale.rows
      assert.strictEqual(row!.rateSource, "index")
      assert.closeTo(row!.unitsSold, 5_000 / 0.975 / 60_000, 1e-12)
      assert.isTrue(row!.enough)
    })

    it("units are priced at the auto-exchange bid rate when given", () => {
      const byBuffer = right(Collateral.autoExchangeSale(5_000, { ...btc20k, autoExchangeBidBuffer: 0.05 })).rows[0]!
      assert.strictEqual(byBuffer.rateSource, "auto-exchange-bid")
      assert.closeTo(byBuffer.rate, 57_000, 1e-9)
      assert.closeTo(byBuffer.unitsSold, 5_000 / 0.975 / 57_000, 1e-12)
      const byRate = right(Collateral.autoExchangeSale(5_000, { ...btc20k, autoExchangeBidRate: 58_000 })).rows[0]!
      assert.strictEqual(byRate.rate, 58_000)
      assert.closeTo(byRate.usdSold, 5_000 / 0.975, 1e-9)
    })

    it("several collateral assets cover the deficit pro rata to their collateral values", () => {
      const sale = right(Collateral.autoExchangeSale(10_000, [
        asset("BTC", 1, 60_000, 0.05), // 57,000
        asset("ETH", 10, 3_000, 0.05), // 28,500
        asset("USDT", 14_500), // 14,500
        asset("USDC", -3_000), // a debt: not sold
        asset("XYZ", 1_000, 1, 0.1, { marginAvailable: false }) // not accepted: not sold
      ]))
      assert.deepStrictEqual(sale.rows.map((r) => r.asset), ["BTC", "ETH", "USDT"])
      const [b, e, u] = sale.rows
      assert.closeTo(b!.deficitCoveredUsd, 5_700, 1e-9)
      assert.closeTo(e!.deficitCoveredUsd, 2_850, 1e-9)
      assert.closeTo(u!.deficitCoveredUsd, 1_450, 1e-9)
      assert.closeTo(b!.usdSold, 6_000, 1e-9)
      assert.closeTo(e!.usdSold, 3_000, 1e-9)
      assert.closeTo(u!.usdSold, 1_450, 1e-9)
      assert.closeTo(b!.unitsSold, 0.1, 1e-12)
      assert.closeTo(sale.totalUsdSold, 10_450, 1e-9)
    })

    it("collateral worth less than the deficit is sold in full and the rest is reported uncovered", () => {
      const sale = right(Collateral.autoExchangeSale(30_000, btc20k))
      assert.closeTo(sale.coveredUsd, 19_500, 1e-9)
      assert.closeTo(sale.uncoveredUsd, 10_500, 1e-9)
      assert.closeTo(sale.rows[0]!.unitsSold, btc20k.walletBalance, 1e-12)
      assert.strictEqual(right(Collateral.autoExchangeSale(100, [])).uncoveredUsd, 100)
    })
  })

  describe("auto-exchange thresholds (§7.3)", () => {
    const fires = (balance: number, name: string, tier: Collateral.ThresholdTier, price = 1) => {
      const check = right(Collateral.autoExchangeTriggers([asset(name, balance, price)], busy, { tier }))
      return check.assets[0]!.triggers.includes("threshold")
    }

    const cases: ReadonlyArray<readonly [Collateral.ThresholdTier, string, number, number]> = [
      ["regular-vip1", "USDT", -5_000, 0.01],
      ["regular-vip1", "USDC", -5_000, 0.01],
      ["regular-vip1", "BNFCR", -5_000, 0.01],
      ["regular-vip1", "BTC", -0.1, 1e-8],
      ["other", "USDT", -10_000, 0.01],
      ["other", "USDC", -10_000, 0.01],
      ["other", "BNFCR", -5_000, 0.01],
      ["other", "BTC", -0.1, 1e-8]
    ]
    for (const [tier, name, threshold, step] of cases) {
      it(`${tier}: ${name} triggers below ${threshold}, not at or above it`, () => {
        assert.strictEqual(Collateral.DEFAULT_THRESHOLDS[tier][name], threshold)
        assert.isFalse(fires(threshold + step, name, tier))
        assert.isFalse(fires(threshold, name, tier))
        assert.isTrue(fires(threshold - step, name, tier))
      })
    }

    it("−5,000 vs −10,000 USDT: −7,000 USDT triggers for Regular & VIP 1 but not for other users", () => {
      assert.isTrue(fires(-7_000, "USDT", "regular-vip1"))
      assert.isFalse(fires(-7_000, "USDT", "other"))
    })

    it("the reasons say why, in plain words", () => {
      const check = right(Collateral.autoExchangeTriggers([asset("USDT", -5_000.5), asset("BTC", -0.1, 60_000)], busy))
      assert.deepStrictEqual(check.assets[0]!.reasons, [
        "USDT wallet balance -5,000.5 is below its auto-exchange threshold -5,000: auto-exchange runs."
      ])
      assert.deepStrictEqual(check.assets[1]!.reasons, [
        "BTC wallet balance -0.1 is not below its auto-exchange threshold -0.1."
      ])
      assert.closeTo(check.assets[0]!.deficitUsd, 5_000.5, 1e-9)
      assert.strictEqual(check.assets[1]!.deficitUsd, 0)
      assert.isTrue(check.fires)
      assert.include(check.liquidationNote, "liquidation")
    })

    it("2022 FAQ: −9,000 USDT and −9,000 BUSD does not trigger at the −10,000 threshold", () => {
      const check = right(Collateral.autoExchangeTriggers(
        [asset("USDT", -9_000), asset("BUSD", -9_000), asset("BTC", 1, 60_000, 0.05)],
        busy,
        { tier: "other", thresholds: { BUSD: -10_000 } }
      ))
      assert.isFalse(check.fires)
      assert.deepStrictEqual(check.assets.map((a) => [a.asset, a.threshold, a.fires]), [
        ["USDT", -10_000, false],
        ["BUSD", -10_000, false],
        ["BTC", -0.1, false]
      ])
    })

    it("thresholds from exchangeInfo autoAssetExchange override the table per asset", () => {
      const thresholds = right(Collateral.thresholdsFromExchangeInfo([
        { asset: "USDT", autoAssetExchange: "-10000" },
        { asset: "BTC", autoAssetExchange: "-0.10000000" },
        { asset: "BNB", autoAssetExchange: -10 },
        { asset: "ETH", autoAssetExchange: null },
        { asset: "SOL" }
      ]))
      assert.deepStrictEqual(thresholds, { USDT: -10_000, BTC: -0.1, BNB: -10 })
      const check = right(Collateral.autoExchangeTriggers(
        [asset("USDT", -7_000), asset("USDC", -7_000), asset("BNB", -10.5, 600, 0.05), asset("ETH", -1, 3_000)],
        busy,
        { tier: "regular-vip1", thresholds }
      ))
      assert.deepStrictEqual(check.assets.map((a) => [a.asset, a.threshold, a.fires]), [
        ["USDT", -10_000, false],
        ["USDC", -5_000, true],
        ["BNB", -10, true],
        ["ETH", null, false]
      ])
      assert.deepStrictEqual(check.assets[3]!.reasons, ["No auto-exchange threshold is known for ETH."])
    })

    it("a threshold that is not a number is an error naming its entry", () => {
      const e = left(Collateral.thresholdsFromExchangeInfo([{ asset: "USDT", autoAssetExchange: "abc" }]))
      assert.strictEqual(e.field, "assets[0].autoAssetExchange (USDT)")
    })
  })

  describe("auto-exchange LTV rule (§7.3 trigger 3)", () => {
    // USDT 10,000 of collateral (no haircut); tier "other" so −9,950 USDC stays above its −10,000 threshold.
    const wallet = (usdcDebt: number) => [asset("USDT", 10_000), asset("USDC", -usdcDebt)]
    const other = { tier: "other" } as const

    it("fires at LTV 0.995 on an idle account with a negative balance", () => {
      const check = right(Collateral.autoExchangeTriggers(wallet(9_950), idle, other))
      assert.strictEqual(check.ltvRule.ltv, 0.995)
      assert.isTrue(check.ltvRule.fires)
      assert.deepStrictEqual(check.assets.map((a) => a.triggers), [[], ["ltv"]])
      assert.closeTo(check.assets[1]!.deficitUsd, 9_950, 1e-9)
      assert.include(check.ltvRule.reason, "99.5 %")
    })

    it("does not fire just below 0.995, or with positions or open orders", () => {
      assert.isFalse(right(Collateral.autoExchangeTriggers(wallet(9_940), idle, other)).fires)
      const withPositions = right(Collateral.autoExchangeTriggers(wallet(9_950), busy, other))
      assert.isFalse(withPositions.fires)
      assert.include(withPositions.ltvRule.reason, "there are open positions")
      const withOrders = right(Collateral.autoExchangeTriggers(wallet(9_950), { hasPositions: false, hasOpenOrders: true }, other))
      assert.isFalse(withOrders.fires)
      assert.include(withOrders.ltvRule.reason, "there are open orders")
    })

    it("the older rule (LTV ≥ 1) is configurable", () => {
      const old = { ...other, ltvThreshold: Collateral.LTV_THRESHOLD_2022 }
      assert.isFalse(right(Collateral.autoExchangeTriggers(wallet(9_950), idle, old)).fires)
      const atOne = right(Collateral.autoExchangeTriggers(wallet(10_000), idle, old))
      assert.strictEqual(atOne.ltvRule.ltv, 1)
      assert.deepStrictEqual(atOne.assets[1]!.triggers, ["ltv"])
    })

    it("LTV uses collateral after haircuts, and a debt with no collateral always fires", () => {
      // 1 BTC at 60,000 with 5 % → 57,000; debt 56,715 → LTV 0.995.
      const check = right(Collateral.autoExchangeTriggers(
        [asset("BTC", 1, 60_000, 0.05), asset("USDT", -56_715)],
        idle,
        { thresholds: { USDT: -1e9 } }
      ))
      assert.closeTo(check.ltvRule.ltv!, 0.995, 1e-12)
      assert.closeTo(check.ltvRule.collateralUsd, 57_000, 1e-9)
      const bare = right(Collateral.autoExchangeTriggers([asset("USDT", -1)], idle))
      assert.isNull(bare.ltvRule.ltv)
      assert.deepStrictEqual(bare.assets[0]!.triggers, ["ltv"])
    })

    it("no negative balance: the rule does not fire", () => {
      const check = right(Collateral.autoExchangeTriggers([asset("USDT", 10)], idle))
      assert.strictEqual(check.ltvRule.ltv, 0)
      assert.isFalse(check.fires)
      assert.include(check.ltvRule.reason, "no balance is negative")
    })
  })

  describe("auto-exchange preview (guide: VIP 1, −5,000 USDC, 20,000 USD of BTC)", () => {
    it("exactly at −5,000 nothing fires; just below, ≈ 5,128 USD of BTC is sold", () => {
      const at = right(Collateral.autoExchangePreview([asset("USDC", -5_000), btc20k], busy, { tier: "regular-vip1" }))
      assert.isFalse(at.check.fires)
      assert.isNull(at.sale)
      const below = right(Collateral.autoExchangePreview([asset("USDC", -5_000.01), btc20k], busy, { tier: "regular-vip1" }))
      assert.isTrue(below.check.fires)
      assert.strictEqual(below.sale!.rows[0]!.asset, "BTC")
      assert.strictEqual(Collateral.formatUsd(below.sale!.totalUsdSold), "5,128.22")
      assert.strictEqual(Math.round(below.sale!.totalUsdSold), 5_128)
    })
  })

  describe("input errors name the field, never throw", () => {
    it("non-finite numbers", () => {
      assert.strictEqual(left(Collateral.collateralValue(asset("BTC", NaN, 60_000, 0.05))).field, "asset.walletBalance (BTC)")
      assert.strictEqual(
        left(Collateral.collateralBreakdown([asset("USDT", 1), asset("BTC", 1, Infinity, 0.05)])).field,
        "assets[1].indexPrice (BTC)"
      )
      assert.strictEqual(
        left(Collateral.marginBalance([asset("USDT", 1, 1, 0, { unrealizedPnl: NaN })], "multi-assets")).field,
        "assets[0].unrealizedPnl (USDT)"
      )
      assert.strictEqual(left(Collateral.amountToSellUsd(Infinity, 0)).field, "deficitUsd")
    })

    it("a haircut outside [0, 1)", () => {
      const e = left(Collateral.collateralBreakdown([asset("BTC", 1, 60_000, 1)]))
      assert.strictEqual(e.field, "assets[0].haircut (BTC)")
      assert.strictEqual(e.message, "assets[0].haircut (BTC): must be at least 0 and below 1 (got 1)")
      assert.strictEqual(left(Collateral.collateralValue(asset("BTC", 1, 60_000, -0.1))).field, "asset.haircut (BTC)")
      assert.strictEqual(left(Collateral.amountToSellUsd(100, 1)).field, "haircut")
    })

    it("other bad input", () => {
      assert.strictEqual(left(Collateral.collateralValue(asset("BTC", 1, 0, 0.05))).field, "asset.indexPrice (BTC)")
      assert.strictEqual(left(Collateral.collateralValue(asset("", 1))).field, "asset.asset")
      assert.strictEqual(left(Collateral.compareModes([asset("USDT", 1), asset("USDT", 2)])).field, "assets[1].asset")
      assert.strictEqual(left(Collateral.autoExchangeSale(-1, btc20k)).field, "deficitUsd")
      assert.strictEqual(
        left(Collateral.autoExchangeSale(1, [{ ...btc20k, autoExchangeBidBuffer: 1.5 }])).field,
        "collateral[0].autoExchangeBidBuffer (BTC)"
      )
      assert.strictEqual(left(Collateral.autoExchangeTriggers([], idle, { ltvThreshold: 0 })).field, "ltvThreshold")
      assert.strictEqual(left(Collateral.autoExchangeTriggers([], idle, { thresholds: { USDT: NaN } })).field, "thresholds.USDT")
      assert.strictEqual(
        left(Collateral.autoExchangeTriggers([], { hasPositions: false } as Collateral.AccountActivity)).field,
        "activity.hasOpenOrders"
      )
    })
  })

  describe("formatting", () => {
    it("formatUsd rounds to cents with thousands separators", () => {
      assert.strictEqual(Collateral.formatUsd(5_000 / 0.975), "5,128.21")
      assert.strictEqual(Collateral.formatUsd(-5_000), "-5,000.00")
      assert.strictEqual(Collateral.formatUsd(-0.001), "0.00")
      assert.strictEqual(Collateral.formatUsd(1_234_567.005), "1,234,567.01")
      assert.strictEqual(Collateral.formatUsd(NaN), "n/a")
    })

    it("formatUnits and formatPercent", () => {
      assert.strictEqual(Collateral.formatUnits(-0.1), "-0.1")
      assert.strictEqual(Collateral.formatUnits(5_000 / 0.975 / 60_000), "0.08547009")
      assert.strictEqual(Collateral.formatUnits(-10_000), "-10,000")
      assert.strictEqual(Collateral.formatPercent(0.995), "99.5 %")
      assert.strictEqual(Collateral.formatPercent(0.05), "5 %")
    })
  })

  describe("properties", () => {
    const amount = FastCheck.double({ min: 1e-6, max: 1e9, noNaN: true })
    const price = FastCheck.double({ min: 1e-6, max: 1e6, noNaN: true })
    const haircut = FastCheck.double({ min: 0, max: 0.99, noNaN: true })

    it.prop("collateral value never exceeds face value for positive balances", [amount, price, haircut], ([b, p, h]) => {
      const value = right(Collateral.collateralValue(asset("X", b, p, h)))
      assert.isAtMost(value, b * p)
      assert.isAtLeast(value, 0)
    })

    it.prop("a debt counts at exactly its face value", [amount, price, haircut], ([b, p, h]) => {
      assert.strictEqual(right(Collateral.collateralValue(asset("X", -b, p, h))), -b * p)
    })

    it.prop("the sale is at least the deficit, and equals it with no haircut", [amount, haircut], ([d, h]) => {
      assert.isAtLeast(right(Collateral.amountToSellUsd(d, h)), d)
      assert.strictEqual(right(Collateral.amountToSellUsd(d, 0)), d)
      const sale = right(Collateral.autoExchangeSale(d, asset("X", (2 * d) / (1 - h), 1, h)))
      assert.isAtLeast(sale.totalUsdSold, d)
      assert.strictEqual(sale.uncoveredUsd, 0)
    })

    it.prop(
      "the pro-rata split covers the deficit and sums to the total sold",
      [
        FastCheck.array(FastCheck.tuple(amount, price, haircut), { minLength: 1, maxLength: 6 }),
        FastCheck.double({ min: 0, max: 1, noNaN: true })
      ],
      ([holdings, fraction]) => {
        const collateral = holdings.map(([b, p, h], i) => asset(`A${i}`, b, p, h))
        const total = right(Collateral.collateralBreakdown(collateral)).totalCollateralValue
        const deficit = total * fraction
        const sale = right(Collateral.autoExchangeSale(deficit, collateral))
        const tolerance = 1e-9 * Math.max(1, total)
        const sum = (f: (r: Collateral.SaleRow) => number) => sale.rows.reduce((s, r) => s + f(r), 0)
        assert.closeTo(sum((r) => r.usdSold), sale.totalUsdSold, tolerance)
        assert.closeTo(sum((r) => r.deficitCoveredUsd), deficit, tolerance)
        assert.closeTo(sum((r) => r.share), 1, 1e-9)
        assert.isAtLeast(sale.totalUsdSold, deficit - tolerance)
        for (const r of sale.rows) assert.isAtLeast(r.usdSold, r.deficitCoveredUsd)
      }
    )
  })
})
