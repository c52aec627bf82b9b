import { assert, describe, it } from "@effect/vitest"
import * as fc from "effect/FastCheck"
import type { SymbolId } from "../src/Domain.js"
import * as UserDataEvent from "../src/UserDataEvent.js"

const symbol = fc.stringMatching(/^[A-Z0-9]{2,12}USDT$/)
const time = fc.integer({ min: 0, max: 4_102_444_800_000 })
const REASONS = ["DEPOSIT", "WITHDRAW", "ORDER", "FUNDING_FEE", "ADJUSTMENT", "MARGIN_TRANSFER", "ASSET_TRANSFER", "AUTO_EXCHANGE"]

const changesOf = (text: string): ReadonlyArray<UserDataEvent.SettingChange> => {
  const m = UserDataEvent.decodeMessage(text)
  assert.strictEqual(m._tag, "Changes")
  return m._tag === "Changes" ? m.changes : []
}

describe("UserDataEvent.decodeMessage", () => {
  it("ACCOUNT_CONFIG_UPDATE with ai: Multi-Assets changed, with its times", () => {
    fc.assert(fc.property(fc.boolean(), time, time, (j, E, T) => {
      const [change, ...rest] = changesOf(JSON.stringify({ e: "ACCOUNT_CONFIG_UPDATE", E, T, ai: { j } }))
      assert.deepStrictEqual(rest, [])
      assert.deepStrictEqual(change, new UserDataEvent.MultiAssetsChanged({ multiAssets: j, eventTime: E, transactionTime: T }))
    }))
  })

  it("ACCOUNT_CONFIG_UPDATE with ac: leverage changed", () => {
    fc.assert(fc.property(symbol, fc.integer({ min: 1, max: 125 }), time, time, (s, l, E, T) => {
      const changes = changesOf(JSON.stringify({ e: "ACCOUNT_CONFIG_UPDATE", E, T, ac: { s, l } }))
      assert.deepStrictEqual(changes, [
        new UserDataEvent.LeverageChanged({ symbol: s as SymbolId, leverage: l, eventTime: E, transactionTime: T })
      ])
    }))
  })

  it("ACCOUNT_UPDATE MARGIN_TYPE_CHANGE: one change per symbol, lower-case mt as ISOLATED/CROSSED; other reasons: none", () => {
    const entry = fc.record({ s: symbol, mt: fc.constantFrom("isolated", "cross"), ps: fc.constantFrom("BOTH", "LONG", "SHORT"), pa: fc.constant("0") })
    fc.assert(fc.property(fc.array(entry, { maxLength: 6 }), time, fc.constantFrom("MARGIN_TYPE_CHANGE", ...REASONS), (P, E, m) => {
      const changes = changesOf(JSON.stringify({ e: "ACCOUNT_UPDATE", E, T: E, a: { m, B: [], P } }))
      if (m !== "MARGIN_TYPE_CHANGE") return assert.deepStrictEqual(changes, [])
      const first = new Map<string, string>() // insertion order: the order of first appearance
      for (const p of P) if (!first.has(p.s)) first.set(p.s, p.mt === "isolated" ? "ISOLATED" : "CROSSED")
      assert.deepStrictEqual(changes.map((c): ReadonlyArray<string> => c._tag === "MarginTypeChanged" ? [c.symbol, c.marginType] : [c._tag]), [...first.entries()])
    }))
  })

  it("listenKeyExpired is told apart, its time a number or (as in Binance's example) a string", () => {
    for (const E of [9, "9"]) {
      assert.deepStrictEqual(UserDataEvent.decodeMessage(JSON.stringify({ e: "listenKeyExpired", E, listenKey: "k" })), {
        _tag: "ListenKeyExpired",
        eventTime: 9
      })
    }
  })

  it("other events, malformed settings events and any other text say nothing, never fail", () => {
    const other = fc.record({ e: fc.constantFrom("ORDER_TRADE_UPDATE", "MARGIN_CALL", "TRADE_LITE", "STRATEGY_UPDATE"), E: time, T: time, o: fc.object() })
    const malformed = fc.oneof(
      fc.record({ e: fc.constant("ACCOUNT_CONFIG_UPDATE"), E: time, T: time, ai: fc.record({ j: fc.string() }) }),
      fc.record({ e: fc.constant("ACCOUNT_CONFIG_UPDATE"), E: time, T: time, ac: fc.record({ s: fc.constant("btc usdt"), l: fc.integer() }) }),
      fc.record({ e: fc.constant("ACCOUNT_CONFIG_UPDATE"), E: fc.string(), T: time, ai: fc.record({ j: fc.boolean() }) })
    )
    fc.assert(fc.property(fc.oneof(other.map((o) => JSON.stringify(o)), malformed.map((o) => JSON.stringify(o)), fc.string(), fc.json()), (text) => {
      assert.deepStrictEqual(changesOf(text), [])
    }))
  })
})

describe("UserDataEvent.apply", () => {
  const BTC = "BTCUSDT" as SymbolId
  const ETH = "ETHUSDT" as SymbolId
  const settings: UserDataEvent.AccountSettings = {
    multiAssetsMargin: false,
    dualSidePosition: false,
    symbols: [{ symbol: BTC, marginType: "CROSSED", leverage: 20 }],
    readWeight: 10
  }
  const times = { eventTime: 1, transactionTime: 1 }

  it("sets the flag, a symbol's margin type or leverage; adds a symbol on its margin type", () => {
    assert.isTrue(UserDataEvent.apply(settings, new UserDataEvent.MultiAssetsChanged({ multiAssets: true, ...times })).multiAssetsMargin)
    assert.deepStrictEqual(
      UserDataEvent.apply(settings, new UserDataEvent.MarginTypeChanged({ symbol: BTC, marginType: "ISOLATED", ...times })).symbols,
      [{ symbol: BTC, marginType: "ISOLATED", leverage: 20 }]
    )
    assert.deepStrictEqual(
      UserDataEvent.apply(settings, new UserDataEvent.LeverageChanged({ symbol: BTC, leverage: 5, ...times })).symbols,
      [{ symbol: BTC, marginType: "CROSSED", leverage: 5 }]
    )
    assert.deepStrictEqual(
      UserDataEvent.apply(settings, new UserDataEvent.MarginTypeChanged({ symbol: ETH, marginType: "ISOLATED", ...times })).symbols,
      [{ symbol: BTC, marginType: "CROSSED", leverage: 20 }, { symbol: ETH, marginType: "ISOLATED" }]
    )
    assert.strictEqual(UserDataEvent.apply(settings, new UserDataEvent.LeverageChanged({ symbol: ETH, leverage: 5, ...times })), settings)
  })
})

describe("UserDataEvent.toLine", () => {
  it("one line per event, in the exchange's time", () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5)
    const times = { eventTime: at, transactionTime: at }
    const BTC = "BTCUSDT" as SymbolId
    assert.deepStrictEqual([
      new UserDataEvent.MultiAssetsChanged({ multiAssets: true, ...times }),
      new UserDataEvent.MarginTypeChanged({ symbol: BTC, marginType: "ISOLATED", ...times }),
      new UserDataEvent.LeverageChanged({ symbol: BTC, leverage: 25, ...times }),
      new UserDataEvent.Disconnected({ reason: "closed: code 1006", at }),
      new UserDataEvent.Resynced({ settings: { multiAssetsMargin: false, dualSidePosition: true, symbols: [], readWeight: 10 }, at })
    ].map(UserDataEvent.toLine), [
      "2026-01-02T03:04:05.000Z Multi-Assets Mode on",
      "2026-01-02T03:04:05.000Z BTCUSDT margin type ISOLATED",
      "2026-01-02T03:04:05.000Z BTCUSDT leverage 25x",
      "2026-01-02T03:04:05.000Z disconnected (closed: code 1006); reconnecting",
      "2026-01-02T03:04:05.000Z settings read: Multi-Assets Mode off, Hedge mode, 0 symbols"
    ])
  })
})

describe("UserDataEvent.changesBetween", () => {
  const symbolSettings = fc.record({
    marginType: fc.constantFrom("ISOLATED" as const, "CROSSED" as const),
    leverage: fc.integer({ min: 1, max: 125 })
  })
  const readings = fc.uniqueArray(symbol, { maxLength: 8 }).chain((symbols) =>
    fc.tuple(
      ...[0, 1].map(() =>
        fc.record({
          multiAssetsMargin: fc.boolean(),
          dualSidePosition: fc.constant(false),
          symbols: fc.tuple(...symbols.map((s) => symbolSettings.map((x) => ({ symbol: s as SymbolId, ...x })))),
          readWeight: fc.constant(10)
        })
      )
    )
  )

  it("applied to the first reading, the changes give the second; none between a reading and itself", () => {
    fc.assert(fc.property(readings, time, ([before, after], at) => {
      const changes = UserDataEvent.changesBetween(before!, after!, at)
      assert.deepStrictEqual(changes.reduce(UserDataEvent.apply, before!), after)
      assert.isTrue(changes.every((c) => c.eventTime === at && c.transactionTime === at))
      assert.deepStrictEqual(UserDataEvent.changesBetween(after!, after!, at), [])
    }))
  })

  it("a symbol new in the second reading is a margin-type change; a leverage unknown on either side is not compared", () => {
    const before = { multiAssetsMargin: false, dualSidePosition: false, readWeight: 10, symbols: [{ symbol: "BTCUSDT" as SymbolId, marginType: "CROSSED" as const }] }
    const after = {
      ...before,
      symbols: [{ symbol: "BTCUSDT" as SymbolId, marginType: "CROSSED" as const, leverage: 9 }, { symbol: "ETHUSDT" as SymbolId, marginType: "ISOLATED" as const, leverage: 3 }]
    }
    assert.deepStrictEqual(UserDataEvent.changesBetween(before, after, 7), [
      new UserDataEvent.MarginTypeChanged({ symbol: "ETHUSDT" as SymbolId, marginType: "ISOLATED", eventTime: 7, transactionTime: 7 })
    ])
  })
})
