/**
 * The popup's view updated by the live port's messages: each setting change replaces its field or
 * its symbol's row, the settings read again replace everything, the status says whether it is live;
 * and the worker's translation of the core's user-data events into those messages.
 */
import { assert, describe, it } from "@effect/vitest"
import { MarginTypeChanged, MultiAssetsChanged, Connected, Disconnected, LeverageChanged, Resynced } from "@marginctl/core/UserDataEvent"
import type { SymbolId } from "@marginctl/core/Domain"
import { liveMessageOf } from "../src/DirectBackend.js"
import { applyChange, type LiveView, update } from "../src/LiveOverview.js"
import type { LiveMessage, Overview } from "../src/Messages.js"

const overview: Overview = {
  multiAssets: false,
  hedgeMode: false,
  symbols: [{ symbol: "BNBUSDT", marginType: "ISOLATED", leverage: 10 }, { symbol: "BTCUSDT", marginType: "CROSSED", leverage: 20 }],
  readWeight: 10
}

const times = { eventTime: 1_700_000_000_000, transactionTime: 1_700_000_000_000 }

describe("LiveOverview.applyChange", () => {
  it("sets Multi-Assets Mode and the position mode", () => {
    assert.isTrue(applyChange(overview, { _tag: "MultiAssets", multiAssets: true }).multiAssets)
    assert.isTrue(applyChange(overview, { _tag: "PositionMode", hedgeMode: true }).hedgeMode)
    assert.deepStrictEqual(applyChange(overview, { _tag: "PositionMode", hedgeMode: true }).symbols, overview.symbols)
  })

  it("replaces a symbol's margin type or leverage, keeping its other field and the other rows", () => {
    const crossed = applyChange(overview, { _tag: "MarginType", symbol: "BNBUSDT", marginType: "CROSSED" })
    assert.deepStrictEqual(crossed.symbols, [{ symbol: "BNBUSDT", marginType: "CROSSED", leverage: 10 }, overview.symbols[1]!])
    const levered = applyChange(overview, { _tag: "Leverage", symbol: "BTCUSDT", leverage: 50 })
    assert.deepStrictEqual(levered.symbols, [overview.symbols[0]!, { symbol: "BTCUSDT", marginType: "CROSSED", leverage: 50 }])
    assert.isFalse(levered.multiAssets)
  })

  it("adds a symbol whose margin type changed, and drops a leverage for a symbol it does not list", () => {
    const added = applyChange(overview, { _tag: "MarginType", symbol: "ETHUSDT", marginType: "ISOLATED" })
    assert.deepStrictEqual(added.symbols.at(-1), { symbol: "ETHUSDT", marginType: "ISOLATED" })
    assert.strictEqual(applyChange(overview, { _tag: "Leverage", symbol: "ETHUSDT", leverage: 5 }), overview)
  })
})

describe("LiveOverview.update", () => {
  const shown: LiveView = { overview, live: true }

  it("applies a change and keeps the status", () => {
    const next = update(shown, { _tag: "LiveChange", change: { _tag: "MultiAssets", multiAssets: true } })
    assert.isTrue(next.overview?.multiAssets)
    assert.isTrue(next.live)
  })

  it("replaces everything with the settings read again, and their status", () => {
    const fresh: Overview = { multiAssets: true, hedgeMode: true, symbols: [], readWeight: 10 }
    assert.deepStrictEqual(update({ overview, live: false, reason: "down" }, { _tag: "LiveState", overview: fresh, live: true }), { overview: fresh, live: true })
  })

  it("keeps what is shown when the status changes, with the reason", () => {
    assert.deepStrictEqual(update(shown, { _tag: "LiveStatus", live: false, reason: "lost" }), { overview, live: false, reason: "lost" })
  })

  it("leaves a change for later when nothing is shown yet", () => {
    const empty: LiveView = { overview: null, live: true }
    assert.deepStrictEqual(update(empty, { _tag: "LiveChange", change: { _tag: "MultiAssets", multiAssets: true } }), empty)
  })
})

describe("DirectBackend.liveMessageOf", () => {
  const symbol = "BNBUSDT" as SymbolId

  it("says nothing on Connected: the settings read again follow as a LiveState", () => {
    assert.isUndefined(liveMessageOf(new Connected({ at: 1 })))
    const settings = { multiAssetsMargin: true, dualSidePosition: true, symbols: [{ symbol, marginType: "ISOLATED" as const, leverage: 3 }], readWeight: 10 }
    const expected: LiveMessage = {
      _tag: "LiveState",
      live: true,
      overview: { multiAssets: true, hedgeMode: true, symbols: settings.symbols, readWeight: 10 }
    }
    assert.deepStrictEqual(liveMessageOf(new Resynced({ settings, at: 2 })), expected)
  })

  it("turns each change into the popup's change, and a lost connection into not live", () => {
    assert.deepStrictEqual(liveMessageOf(new MultiAssetsChanged({ multiAssets: true, ...times })), {
      _tag: "LiveChange",
      change: { _tag: "MultiAssets", multiAssets: true }
    })
    assert.deepStrictEqual(liveMessageOf(new MarginTypeChanged({ symbol, marginType: "CROSSED", ...times })), {
      _tag: "LiveChange",
      change: { _tag: "MarginType", symbol, marginType: "CROSSED" }
    })
    assert.deepStrictEqual(liveMessageOf(new LeverageChanged({ symbol, leverage: 7, ...times })), {
      _tag: "LiveChange",
      change: { _tag: "Leverage", symbol, leverage: 7 }
    })
    assert.deepInclude(liveMessageOf(new Disconnected({ reason: "closed", at: 3 })), { _tag: "LiveStatus", live: false })
  })
})
