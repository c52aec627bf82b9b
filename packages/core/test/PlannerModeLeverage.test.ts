import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { makeSymbol } from "../src/Domain.js"
import * as Explain from "../src/Explain.js"
import * as Planner from "../src/Planner.js"
import type { AccountSnapshot } from "../src/Snapshot.js"
import { snapshot, sym } from "./support/Accounts.js"
import { makeRunner } from "./support/ExchangeModel.js"

const planOrDie = (desired: Planner.DesiredState, snap: AccountSnapshot): Planner.Plan =>
  Either.getOrThrowWith(Planner.plan(desired, snap), (e) => new Error(`unexpected rejection: ${e.reason}`))

const lev = (symbol: string, leverage: number): Planner.SymbolLeverage => ({ symbol: makeSymbol(symbol), leverage })

const rejection = (desired: Planner.DesiredState, snap: AccountSnapshot): string =>
  Either.match(Planner.plan(desired, snap), { onLeft: (e) => e.reason, onRight: () => "planned" })

describe("position mode steps", () => {
  it("one step, account-wide, weight 1; none when the mode is already as asked", () => {
    const snap = snapshot({ symbols: [sym("BTCUSDT", "CROSSED")] })
    const plan = planOrDie({ positionMode: "hedge" }, snap)
    assert.deepStrictEqual(plan.steps, [{
      _tag: "SetPositionMode",
      index: 1,
      title: "Switch the position mode from one-way to hedge",
      value: "hedge",
      from: "one-way",
      weight: 1,
      blockers: [],
      dependsOn: []
    }])
    const same = planOrDie({ positionMode: "one-way" }, snap)
    assert.deepStrictEqual(same.steps, [])
    assert.isTrue(same.positionModeUnchanged)
    assert.include(Planner.describePlan(same, Explain.plain), "The position mode is already as asked.")
  })

  it("any open order (-4067) or any position (-4068) on any symbol blocks it, with fixes naming them", () => {
    const snap = snapshot({
      dualSidePosition: true,
      symbols: [sym("BTCUSDT", "CROSSED", { openOrders: 2 }), sym("ETHUSDT", "ISOLATED", { positionAmt: 1.5 }), sym("SOLUSDT", "CROSSED")]
    })
    const [step] = planOrDie({ positionMode: "one-way" }, snap).steps
    assert.deepStrictEqual(step?.blockers.map((b) => [b.code, b.reason, b.symbol]), [
      [-4067, "open-orders", makeSymbol("BTCUSDT")],
      [-4068, "position", makeSymbol("ETHUSDT")]
    ])
    assert.include(step!.blockers[0]!.fix, "cancel the 2 open orders (BTCUSDT 2)")
    assert.include(step!.blockers[1]!.fix, "close the position on ETHUSDT")
  })
})

describe("leverage steps", () => {
  const snap = snapshot({
    symbols: [
      sym("BTCUSDT", "CROSSED", { leverage: 20, maxLeverage: 125 }),
      sym("ETHUSDT", "CROSSED", { leverage: 10, maxLeverage: 100 }),
      sym("SOLUSDT", "ISOLATED", { leverage: 25, maxLeverage: 50, positionAmt: 3 })
    ]
  })

  it("`all` for every symbol, `symbols` override it; symbols already there are listed as unchanged", () => {
    const plan = planOrDie({ leverage: { all: 10, symbols: [lev("BTCUSDT", 50)] } }, snapshot({ symbols: snap.symbols.slice(0, 2) }))
    assert.deepStrictEqual(plan.steps.map((s) => s._tag === "SetLeverage" && [s.symbol, s.from, s.to, s.weight]), [[makeSymbol("BTCUSDT"), 20, 50, 1]])
    assert.deepStrictEqual(plan.leverageUnchanged, [makeSymbol("ETHUSDT")])
    assert.include(Planner.describePlan(plan, Explain.plain), "Leverage already as asked: ETHUSDT.")
  })

  it("above the symbol's maximum: blocked with -4028, naming the symbol and the maximum", () => {
    const [step] = planOrDie({ leverage: { symbols: [lev("ETHUSDT", 125)] } }, snap).steps
    assert.deepStrictEqual(step?.blockers.map((b) => [b.code, b.reason, b.symbol]), [[-4028, "leverage-above-max", makeSymbol("ETHUSDT")]])
    assert.include(step!.blockers[0]!.text, "ETHUSDT allows at most 100x")
    assert.include(Planner.describeBlocker(step!.blockers[0]!, Explain.plain), "(Binance -4028)")
  })

  it("lowering an ISOLATED symbol's leverage with a position: blocked with -4161; raising it is not", () => {
    const down = planOrDie({ leverage: { symbols: [lev("SOLUSDT", 5)] } }, snap).steps[0]
    assert.deepStrictEqual(down?.blockers.map((b) => [b.code, b.reason]), [[-4161, "leverage-reduction"]])
    const up = planOrDie({ leverage: { symbols: [lev("SOLUSDT", 40)] } }, snap).steps[0]
    assert.deepStrictEqual(up?.blockers, [])
  })

  it("refuses two leverages for one symbol, a leverage outside 1..125 and unknown symbols", () => {
    assert.include(rejection({ leverage: { symbols: [lev("BTCUSDT", 5), lev("BTCUSDT", 6)] } }, snap), "BTCUSDT is asked to have leverage 5 and 6")
    assert.include(rejection({ leverage: { all: 0 } }, snap), "leverage.all must be a whole number from 1 to 125")
    assert.include(rejection({ leverage: { symbols: [lev("BTCUSDT", 126)] } }, snap), "the leverage of BTCUSDT must be")
    assert.include(rejection({ leverage: { symbols: [lev("XRPUSDT", 5)] } }, snap), "unknown symbol: XRPUSDT")
  })

  it("the desired state's schema refuses a leverage outside 1..125 by field", () => {
    const decoded = Schema.decodeUnknownEither(Planner.DesiredState)({ leverage: { symbols: [{ symbol: "BTCUSDT", leverage: 200 }] } })
    assert.isTrue(Either.isLeft(decoded))
    assert.isTrue(Planner.needsLeverageBrackets({ leverage: { all: 5 } }))
    assert.isFalse(Planner.needsLeverageBrackets({ positionMode: "hedge" }))
  })
})

describe("order of the phases", () => {
  it("Multi-Assets off → position mode → margin types → leverage, and the apply runs them in that order", () =>
    Effect.gen(function*() {
      const snap = snapshot({ multiAssetsMargin: true, symbols: [sym("BTCUSDT", "CROSSED"), sym("ETHUSDT", "CROSSED")] })
      const desired: Planner.DesiredState = {
        multiAssets: false,
        positionMode: "hedge",
        marginTypes: { symbols: [{ symbol: makeSymbol("BTCUSDT"), marginType: "ISOLATED" }] },
        leverage: { all: 7 }
      }
      const plan = planOrDie(desired, snap)
      assert.deepStrictEqual(plan.steps.map((s) => s._tag), ["SetMultiAssets", "SetPositionMode", "SetMarginType", "SetLeverage", "SetLeverage"])
      const model = yield* makeRunner(snap)
      const events = Chunk.toArray(yield* Stream.runCollect(Planner.apply(plan, model.runner, { concurrency: 1 })))
      const started = events.flatMap((e) => (e._tag === "StepStarted" ? [e.index] : []))
      assert.deepStrictEqual(started, [1, 2, 3, 4, 5])
      assert.deepStrictEqual((yield* model.calls).map((c) => c.kind), ["multi-assets", "position-mode", "margin-type", "leverage", "leverage"])
      const state = yield* model.state
      assert.isTrue(state.dualSidePosition)
      assert.deepStrictEqual(state.symbols.map((s) => s.leverage), [7, 7])
      // Idempotence: the reached state plans no steps.
      assert.deepStrictEqual(planOrDie(desired, state).steps, [])
    }))

  it("Multi-Assets on comes after the leverage steps", () => {
    const snap = snapshot({ symbols: [sym("BTCUSDT", "ISOLATED")] })
    const plan = planOrDie({ multiAssets: true, leverage: { all: 3 } }, snap)
    assert.deepStrictEqual(plan.steps.map((s) => s._tag), ["SetMarginType", "SetLeverage", "SetMultiAssets"])
  })
})
