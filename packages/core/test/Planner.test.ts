import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fc from "effect/FastCheck"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type MarginType, makeSymbol, type PositionMode, type SymbolId } from "../src/Domain.js"
import { ServiceUnavailable } from "../src/Errors.js"
import * as Explain from "../src/Explain.js"
import * as Planner from "../src/Planner.js"
import type { AccountSnapshot, BalanceState, SymbolState } from "../src/Snapshot.js"
import { bal, snapshot, sym } from "./support/Accounts.js"
import { type Call, makeRunner, type ModelState } from "./support/ExchangeModel.js"

// ---------------------------------------------------------------------------------------------
// Helpers

const entry = (symbol: string, marginType: MarginType): Planner.SymbolMarginType => ({
  symbol: makeSymbol(symbol),
  marginType
})

const planOrDie = (desired: Planner.DesiredState, snap: AccountSnapshot): Planner.Plan =>
  Either.getOrThrowWith(Planner.plan(desired, snap), (e) => new Error(`unexpected rejection: ${e.reason}`))

const collect = <R>(
  plan: Planner.Plan,
  runner: Planner.Runner<R>,
  options?: Planner.ApplyOptions
): Effect.Effect<Array<Planner.ProgressEvent>, never, R> =>
  Stream.runCollect(Planner.apply(plan, runner, options)).pipe(Effect.map(Chunk.toArray))

const finished = (events: ReadonlyArray<Planner.ProgressEvent>): Map<number, Planner.StepFinished> =>
  new Map(
    events.filter((e): e is Planner.StepFinished => e._tag === "StepFinished").map((e) => [e.index, e])
  )

const doneOf = (events: ReadonlyArray<Planner.ProgressEvent>): Planner.ApplySummary => {
  const last = events[events.length - 1]
  assert.strictEqual(last?._tag, "Done")
  return (last as Planner.Done).summary
}

const stepOfCall = (plan: Planner.Plan, call: Call): Planner.Step | undefined =>
  plan.steps.find((s) => {
    switch (call.kind) {
      case "multi-assets":
        return s._tag === "SetMultiAssets" && s.value === call.on
      case "margin-type":
        return s._tag === "SetMarginType" && s.symbol === call.symbol && s.to === call.type
      case "position-mode":
        return s._tag === "SetPositionMode" && s.value === call.mode
      case "leverage":
        return s._tag === "SetLeverage" && s.symbol === call.symbol && s.to === call.leverage
    }
  })

/** Whether the state satisfies the desired state (every listed symbol, `all`, the flag and its rule). */
const satisfies = (desired: Planner.DesiredState, state: ModelState): boolean => {
  const overrides = new Map<string, MarginType>()
  for (const e of desired.marginTypes?.symbols ?? []) overrides.set(e.symbol, e.marginType)
  const all = desired.marginTypes?.all
  const leverage = new Map<string, number>()
  for (const e of desired.leverage?.symbols ?? []) leverage.set(e.symbol, e.leverage)
  return (desired.multiAssets === undefined || state.multiAssetsMargin === desired.multiAssets) &&
    (desired.positionMode === undefined || state.dualSidePosition === (desired.positionMode === "hedge")) &&
    state.symbols.every((s) => {
      const l = leverage.get(s.symbol) ?? desired.leverage?.all
      return l === undefined || s.leverage === l
    }) &&
    state.symbols.every((s) => {
      const t = overrides.get(s.symbol) ?? all
      return t === undefined || s.marginType === t
    }) &&
    (desired.multiAssets !== true || state.symbols.every((s) => s.marginType === "CROSSED"))
}

// ---------------------------------------------------------------------------------------------
// Arbitraries: consistent random accounts and valid desired states

const POOL = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT", "BTCUSDC", "ETHUSDC", "DOGEUSDC"] as const
const TYPES: ReadonlyArray<MarginType> = ["ISOLATED", "CROSSED"]

const mostlyZero = (arb: fc.Arbitrary<number>): fc.Arbitrary<number> =>
  fc.oneof({ arbitrary: fc.constant(0), weight: 5 }, { arbitrary: arb, weight: 1 })

const symbolArb = (name: string, multiAssets: boolean): fc.Arbitrary<SymbolState> =>
  fc.record({
    marginType: multiAssets ? fc.constant<MarginType>("CROSSED") : fc.constantFrom(...TYPES),
    openOrders: mostlyZero(fc.integer({ min: 1, max: 3 })),
    positionAmt: mostlyZero(fc.constantFrom(0.5, -2, 10)),
    initialMargin: fc.integer({ min: 1, max: 3000 }),
    leverage: fc.constantFrom(5, 10, 20, 50),
    maxLeverage: fc.constantFrom<number | undefined>(undefined, 20, 50, 125)
  }).map(({ maxLeverage, ...r }) =>
    sym(name, r.marginType, {
      ...r,
      ...(maxLeverage === undefined ? {} : { maxLeverage: Math.max(maxLeverage, r.leverage) }),
      initialMargin: r.positionAmt === 0 ? 0 : r.initialMargin
    })
  )

const balanceArb = (asset: string): fc.Arbitrary<BalanceState> =>
  fc.record({
    walletBalance: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 5000 }), weight: 6 }, {
      arbitrary: fc.integer({ min: -500, max: -1 }),
      weight: 1
    }),
    marginAvailable: asset === "USDT" || asset === "USDC" ? fc.constant(true) : fc.boolean()
  }).map((r) => bal(asset, r.walletBalance, r.marginAvailable))

const snapshotArb: fc.Arbitrary<AccountSnapshot> = fc.record({
  multiAssets: fc.boolean(),
  credits: fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, { arbitrary: fc.constant(true), weight: 1 }),
  names: fc.subarray([...POOL]),
  readWeight: fc.integer({ min: 1, max: 60 }),
  dualSidePosition: fc.boolean()
}).chain(({ credits, dualSidePosition, multiAssets, names, readWeight }) => {
  const on = multiAssets || credits // a credits account is always in Multi-Assets Mode
  const assets = ["USDT", "USDC", "BTC", ...(credits ? ["BNFCR"] : [])]
  return fc.record({
    symbols: fc.tuple(...names.map((n) => symbolArb(n, on))),
    balances: fc.tuple(...assets.map(balanceArb))
  }).map(({ balances, symbols }) =>
    snapshot({ multiAssetsMargin: on, dualSidePosition, creditsMode: credits, symbols, balances, readWeight })
  )
})

/** A desired state for `snap`: valid unless `contradictory`, which forces Multi-Assets on plus something ISOLATED. */
const desiredArb = (snap: AccountSnapshot, contradictory = false): fc.Arbitrary<Planner.DesiredState> =>
  fc.record({
    multiAssets: fc.constantFrom<boolean | undefined>(undefined, true, false),
    all: fc.constantFrom<MarginType | undefined>(undefined, undefined, "ISOLATED", "CROSSED"),
    picked: fc.subarray(snap.symbols.map((s) => s.symbol)).chain((names) =>
      fc.tuple(...names.map((n) => fc.constantFrom(...TYPES).map((t) => entry(n, t))))
    ),
    duplicateFirst: fc.boolean(),
    forceIsolated: fc.boolean(),
    positionMode: fc.constantFrom<PositionMode | undefined>(undefined, "one-way", "hedge"),
    leverageAll: fc.constantFrom<number | undefined>(undefined, undefined, 10, 20, 75),
    leverageSymbols: fc.subarray(snap.symbols.map((s) => s.symbol)).chain((names) =>
      fc.tuple(...names.map((n) => fc.constantFrom(1, 5, 20, 60, 125).map((leverage) => ({ symbol: n, leverage }))))
    )
  }).map(({ all, duplicateFirst, forceIsolated, leverageAll, leverageSymbols, multiAssets, picked, positionMode }) => {
    let symbols: Array<Planner.SymbolMarginType> = [...picked]
    let allType = all
    if (contradictory) {
      if (forceIsolated || symbols.length === 0) allType = "ISOLATED"
      else symbols = symbols.map((e, i) => (i === 0 ? { ...e, marginType: "ISOLATED" } : e))
    } else if (multiAssets === true) {
      allType = allType === "ISOLATED" ? "CROSSED" : allType
      symbols = symbols.map((e) => ({ ...e, marginType: "CROSSED" }))
    }
    // The same entry twice (same type) is allowed.
    if (duplicateFirst && symbols[0] !== undefined) symbols.push(symbols[0])
    const marginTypes: Planner.DesiredMarginTypes = {
      ...(allType === undefined ? {} : { all: allType }),
      ...(symbols.length === 0 ? {} : { symbols })
    }
    const ma = contradictory ? true : multiAssets
    const leverage: Planner.DesiredLeverage = {
      ...(leverageAll === undefined ? {} : { all: leverageAll }),
      ...(leverageSymbols.length === 0 ? {} : { symbols: leverageSymbols })
    }
    return {
      ...(ma === undefined ? {} : { multiAssets: ma }),
      ...(positionMode === undefined ? {} : { positionMode }),
      ...(Object.keys(marginTypes).length === 0 ? {} : { marginTypes }),
      ...(Object.keys(leverage).length === 0 ? {} : { leverage })
    }
  })

const scenarioArb = snapshotArb.chain((snap) => desiredArb(snap).map((desired) => ({ snap, desired })))
const contradictionArb = snapshotArb.chain((snap) => desiredArb(snap, true).map((desired) => ({ snap, desired })))

const PROP = { fastCheck: { numRuns: 200 } }

// ---------------------------------------------------------------------------------------------
// Properties against the exchange model

describe("Planner properties (exchange model)", () => {
  it.effect.prop(
    "(a) apply reaches the desired state, or stops at a blocked step whose blocker the plan reported",
    { scenario: scenarioArb },
    ({ scenario: { desired, snap } }) =>
      Effect.gen(function*() {
        const plan = planOrDie(desired, snap)
        const model = yield* makeRunner(snap)
        const events = yield* collect(plan, model.runner)
        const summary = doneOf(events)
        const state = yield* model.state
        assert.strictEqual(summary.failed, 0)
        if (summary.complete) {
          assert.isTrue(satisfies(desired, state), "complete but the desired state is not reached")
        } else {
          assert.isTrue(plan.blocked)
          const blocked = [...finished(events).values()].filter((e) => e.outcome === "blocked")
          assert.isAbove(blocked.length, 0)
          for (const e of blocked) {
            const step = plan.steps.find((s) => s.index === e.index)
            assert.isAbove(step?.blockers.length ?? 0, 0, `step ${e.index} was blocked without a planned blocker`)
          }
        }
        // Every step is reported exactly once, Done comes last.
        assert.strictEqual(finished(events).size, plan.steps.length)
        assert.strictEqual(events.filter((e) => e._tag === "Done").length, 1)
      }),
    PROP
  )

  it.effect.prop(
    "(b) the model never answers -4167 or -4168 to a step the planner sends (and accepts every sent step)",
    { scenario: scenarioArb, continueOnBlocked: fc.boolean() },
    ({ continueOnBlocked, scenario: { desired, snap } }) =>
      Effect.gen(function*() {
        const plan = planOrDie(desired, snap)
        const model = yield* makeRunner(snap)
        yield* collect(plan, model.runner, { continueOnBlocked })
        for (const call of yield* model.calls) {
          assert.notInclude([-4167, -4168], call.code, `sent a step that hit ${call.code}`)
          assert.strictEqual(call.code, 200, `sent a step the model refused with ${call.code}`)
        }
      }),
    PROP
  )

  it.effect.prop(
    "(c) after a complete apply, planning again from the reached state gives no steps",
    { scenario: scenarioArb },
    ({ scenario: { desired, snap } }) =>
      Effect.gen(function*() {
        const plan = planOrDie(desired, snap)
        const model = yield* makeRunner(snap)
        const summary = doneOf(yield* collect(plan, model.runner))
        if (!summary.complete) return
        const again = planOrDie(desired, yield* model.state)
        assert.deepStrictEqual(again.steps, [])
        assert.strictEqual(again.applyWeight, 0)
        assert.isFalse(again.blocked)
      }),
    PROP
  )

  it.prop("(d) a contradictory desired state is always rejected", { scenario: contradictionArb }, ({
    scenario: { desired, snap }
  }) => {
    const validated = Planner.validateDesired(desired)
    assert.isTrue(Either.isLeft(validated))
    const planned = Planner.plan(desired, snap)
    assert.isTrue(Either.isLeft(planned))
    if (Either.isLeft(planned)) {
      assert.strictEqual(planned.left._tag, "DesiredStateRejected")
      assert.include(planned.left.reason, "Multi-Assets Mode allows only cross margin")
    }
  }, PROP)

  it.effect.prop(
    "(e) apply never sends a step that the plan marked blocked",
    { scenario: scenarioArb, continueOnBlocked: fc.boolean(), concurrency: fc.integer({ min: 1, max: 6 }) },
    ({ concurrency, continueOnBlocked, scenario: { desired, snap } }) =>
      Effect.gen(function*() {
        const plan = planOrDie(desired, snap)
        const model = yield* makeRunner(snap)
        const events = yield* collect(plan, model.runner, { continueOnBlocked, concurrency })
        const calls = yield* model.calls
        for (const call of calls) {
          const step = stepOfCall(plan, call)
          assert.isDefined(step, "sent a call that is not in the plan")
          assert.deepStrictEqual(step?.blockers, [], `sent the blocked step ${step?.index}`)
        }
        // Exactly the started steps were sent.
        assert.strictEqual(events.filter((e) => e._tag === "StepStarted").length, calls.length)
      }),
    PROP
  )

  it.effect.prop(
    "(f) with continueOnBlocked, every unblocked step completes and every blocked one is reported",
    { scenario: scenarioArb },
    ({ scenario: { desired, snap } }) =>
      Effect.gen(function*() {
        const plan = planOrDie(desired, snap)
        const model = yield* makeRunner(snap)
        const events = yield* collect(plan, model.runner, { continueOnBlocked: true })
        const byIndex = finished(events)
        for (const step of plan.steps) {
          const outcome = byIndex.get(step.index)?.outcome
          assert.strictEqual(outcome, step.blockers.length === 0 ? "changed" : "blocked", step.title)
        }
        const summary = doneOf(events)
        assert.strictEqual(summary.complete, !plan.blocked)
        // The reached state has every unblocked margin-type step's target.
        const state = yield* model.state
        for (const step of plan.steps) {
          if (step._tag === "SetMarginType" && step.blockers.length === 0) {
            assert.strictEqual(state.symbols.find((s) => s.symbol === step.symbol)?.marginType, step.to)
          }
        }
      }),
    PROP
  )

  it.effect.prop(
    "plans are ordered: Multi-Assets off, position mode, margin types, leverage, Multi-Assets on",
    { scenario: scenarioArb },
    ({ scenario: { desired, snap } }) =>
      Effect.gen(function*() {
        const plan = planOrDie(desired, snap)
        const phase = (s: Planner.Step): number =>
          s._tag === "SetMultiAssets" ? (s.value ? 4 : 0) : s._tag === "SetPositionMode" ? 1 : s._tag === "SetMarginType" ? 2 : 3
        const phases = plan.steps.map(phase)
        assert.deepStrictEqual(phases, [...phases].sort((a, b) => a - b))
        assert.isAtMost(plan.steps.filter((s) => s._tag === "SetPositionMode").length, 1)
        // Every leverage step asks for what the desired state says, and no symbol has two.
        const leverageSteps = plan.steps.filter((s): s is Planner.SetLeverageStep => s._tag === "SetLeverage")
        assert.strictEqual(new Set(leverageSteps.map((s) => s.symbol)).size, leverageSteps.length)
        for (const s of leverageSteps) {
          const asked = desired.leverage?.symbols?.find((e) => e.symbol === s.symbol)?.leverage ?? desired.leverage?.all
          assert.strictEqual(s.to, asked)
          assert.notStrictEqual(s.from, s.to)
        }
      }),
    PROP
  )

  it.effect.prop(
    "plans are ordered: Multi-Assets off first, on last after every CROSSED step it needs",
    { scenario: scenarioArb },
    ({ scenario: { desired, snap } }) =>
      Effect.gen(function*() {
        const plan = planOrDie(desired, snap)
        plan.steps.forEach((s, i) => assert.strictEqual(s.index, i + 1))
        const off = plan.steps.findIndex((s) => s._tag === "SetMultiAssets" && !s.value)
        const on = plan.steps.findIndex((s) => s._tag === "SetMultiAssets" && s.value)
        if (off !== -1) assert.strictEqual(off, 0)
        if (on !== -1) {
          assert.strictEqual(on, plan.steps.length - 1)
          const isolated = snap.symbols.filter((s) => s.marginType === "ISOLATED").map((s) => s.symbol)
          const crossed = plan.steps.flatMap((s) => (s._tag === "SetMarginType" && s.to === "CROSSED" ? [s.symbol] : []))
          assert.sameMembers(crossed, isolated)
        }
        assert.strictEqual(plan.applyWeight, plan.steps.length)
        assert.strictEqual(plan.readWeight, snap.readWeight)
        // Plans and events are plain data: they survive a Schema round trip.
        const encoded = Schema.encodeSync(Planner.Plan)(plan)
        assert.deepStrictEqual(Schema.decodeUnknownSync(Planner.Plan)(JSON.parse(JSON.stringify(encoded))), plan)
      }),
    PROP
  )
})

// ---------------------------------------------------------------------------------------------
// Examples

describe("Planner examples", () => {
  it.effect("Multi-Assets on with 3 isolated symbols: 3 CROSSED steps, then on", () =>
    Effect.gen(function*() {
      const snap = snapshot({
        symbols: [sym("BTCUSDT", "ISOLATED"), sym("ETHUSDT", "ISOLATED"), sym("SOLUSDT", "CROSSED"), sym("BNBUSDT", "ISOLATED")]
      })
      const desired = { multiAssets: true, marginTypes: { symbols: [entry("ETHUSDT", "CROSSED")] } }
      const plan = planOrDie(desired, snap)
      assert.deepStrictEqual(
        plan.steps.map((s) =>
          s._tag === "SetMultiAssets" ? `MA ${s.value}` : s._tag === "SetMarginType" ? `${s.symbol} ${s.from}->${s.to} ${s.reason}` : s._tag
        ),
        [
          "BTCUSDT ISOLATED->CROSSED required-for-multi-assets",
          "ETHUSDT ISOLATED->CROSSED requested",
          "BNBUSDT ISOLATED->CROSSED required-for-multi-assets",
          "MA true"
        ]
      )
      assert.deepStrictEqual(plan.steps[3]?.dependsOn, [1, 2, 3])
      assert.isFalse(plan.blocked)
      assert.strictEqual(plan.applyWeight, 4)

      const model = yield* makeRunner(snap)
      const events = yield* collect(plan, model.runner)
      assert.deepStrictEqual(doneOf(events), {
        changed: 4,
        unchanged: 0,
        blocked: 0,
        failed: 0,
        skipped: 0,
        complete: true
      })
      const calls = yield* model.calls
      assert.deepStrictEqual(calls[calls.length - 1], { kind: "multi-assets", on: true, code: 200 })
      assert.isTrue((yield* model.state).multiAssetsMargin)
    }))

  it.effect("ISOLATED under Multi-Assets with multiAssets: false turns Multi-Assets off first", () =>
    Effect.gen(function*() {
      const snap = snapshot({ multiAssetsMargin: true, symbols: [sym("BTCUSDT", "CROSSED"), sym("ETHUSDT", "CROSSED")] })
      const plan = planOrDie({ multiAssets: false, marginTypes: { symbols: [entry("BTCUSDT", "ISOLATED")] } }, snap)
      assert.deepStrictEqual(plan.steps.map((s) => s.title), [
        "Turn Multi-Assets Mode off",
        "Set BTCUSDT from CROSSED to ISOLATED"
      ])
      assert.deepStrictEqual(plan.steps[1]?.dependsOn, [1])
      const model = yield* makeRunner(snap)
      const summary = doneOf(yield* collect(plan, model.runner))
      assert.isTrue(summary.complete)
      assert.deepStrictEqual((yield* model.calls).map((c) => c.code), [200, 200])
    }))

  it("ISOLATED under Multi-Assets with the flag left out is blocked with -4168 and the fix", () => {
    const snap = snapshot({ multiAssetsMargin: true, symbols: [sym("BTCUSDT", "CROSSED")] })
    const plan = planOrDie({ marginTypes: { symbols: [entry("BTCUSDT", "ISOLATED")] } }, snap)
    assert.strictEqual(plan.steps.length, 1)
    assert.deepStrictEqual(plan.steps[0]?.blockers.map((b) => [b.code, b.reason, b.fix]), [
      [-4168, "multi-assets", "turn Multi-Assets off first"]
    ])
    assert.isTrue(plan.blocked)
  })

  it.effect("an open order on BTCUSDT blocks only BTCUSDT's step", () =>
    Effect.gen(function*() {
      const snap = snapshot({
        symbols: [sym("BTCUSDT", "CROSSED", { openOrders: 2 }), sym("ETHUSDT", "CROSSED"), sym("SOLUSDT", "CROSSED")]
      })
      const plan = planOrDie({ marginTypes: { all: "ISOLATED" } }, snap)
      const [btc, eth, sol] = plan.steps
      assert.deepStrictEqual(btc?.blockers, [{
        code: -4047,
        reason: "open-orders",
        symbol: makeSymbol("BTCUSDT"),
        text: "BTCUSDT has 2 open orders",
        fix: "cancel the 2 open orders on BTCUSDT, or wait until they fill"
      }])
      assert.deepStrictEqual(eth?.blockers, [])
      assert.deepStrictEqual(sol?.blockers, [])

      const model = yield* makeRunner(snap)
      const events = yield* collect(plan, model.runner)
      const byIndex = finished(events)
      assert.strictEqual(byIndex.get(1)?.outcome, "blocked")
      assert.deepStrictEqual(byIndex.get(1)?.error, { tag: "PlannedBlocker", code: -4047, message: "BTCUSDT has 2 open orders" })
      assert.strictEqual(byIndex.get(2)?.outcome, "changed")
      assert.strictEqual(byIndex.get(3)?.outcome, "changed")
      assert.isFalse(doneOf(events).complete)
      assert.strictEqual((yield* model.calls).length, 2)
    }))

  it("a position blocks a margin-type change with -4048", () => {
    const snap = snapshot({ symbols: [sym("BTCUSDT", "CROSSED", { positionAmt: -0.25, initialMargin: 10 })] })
    const plan = planOrDie({ marginTypes: { symbols: [entry("BTCUSDT", "ISOLATED")] } }, snap)
    assert.deepStrictEqual(plan.steps[0]?.blockers.map((b) => [b.code, b.reason, b.text]), [
      [-4048, "position", "BTCUSDT has an open position (size -0.25)"]
    ])
  })

  it("a negative USDC balance blocks the switch with -4172 and a fix", () => {
    const snap = snapshot({
      multiAssetsMargin: true,
      symbols: [sym("BTCUSDT", "CROSSED")],
      balances: [bal("USDT", 20_000), bal("USDC", -5000), bal("BTC", -1, false)]
    })
    const plan = planOrDie({ multiAssets: false }, snap)
    assert.deepStrictEqual(plan.steps[0]?.blockers, [{
      code: -4172,
      reason: "negative-balance",
      text: "the USDC wallet balance is negative (-5000 USDC)",
      fix: "transfer at least 5000 USDC into the USDⓈ-M Futures wallet"
    }])
    assert.include(Planner.describePlan(plan, Explain.plain).join("\n"), "Fix: transfer at least 5000 USDC")
  })

  it("open orders anywhere block the switch (-4170); ISOLATED steps waiting for it are blocked too", () => {
    const snap = snapshot({
      multiAssetsMargin: true,
      symbols: [sym("BTCUSDT", "CROSSED", { openOrders: 1 }), sym("ETHUSDT", "CROSSED")]
    })
    const plan = planOrDie({ multiAssets: false, marginTypes: { symbols: [entry("ETHUSDT", "ISOLATED")] } }, snap)
    assert.deepStrictEqual(plan.steps[0]?.blockers.map((b) => [b.code, b.reason, b.fix]), [
      [-4170, "open-orders", "cancel the 1 open order (BTCUSDT 1), or wait until it fills"]
    ])
    assert.deepStrictEqual(plan.steps[1]?.blockers.map((b) => [b.code, b.reason]), [[-4168, "blocked-dependency"]])
  })

  it("turning off: credits lock and insufficient margin (-4169)", () => {
    const credits = planOrDie(
      { multiAssets: false },
      snapshot({ multiAssetsMargin: true, creditsMode: true, balances: [bal("BNFCR", 100)] })
    )
    assert.deepStrictEqual(credits.steps[0]?.blockers.map((b) => [b.code, b.reason, b.text]), [
      [-4169, "credits-lock", "Credits Trading Mode accounts stay in Multi-Assets Mode"]
    ])
    const margin = planOrDie(
      { multiAssets: false },
      snapshot({
        multiAssetsMargin: true,
        symbols: [
          sym("BTCUSDC", "CROSSED", { positionAmt: 1, initialMargin: 900 }),
          sym("ETHUSDC", "CROSSED", { positionAmt: 1, initialMargin: 300 })
        ],
        balances: [bal("USDT", 50_000), bal("USDC", 800)]
      })
    )
    const [b] = margin.steps[0]?.blockers ?? []
    assert.strictEqual(b?.code, -4169)
    assert.strictEqual(b?.reason, "insufficient-margin")
    assert.include(b?.text ?? "", "need 1200 USDC")
    assert.include(b?.fix ?? "", "transfer at least 400 USDC")
  })

  it("turning on with a blocked CROSSED step: -4167 blocked-dependency names the symbols", () => {
    const snap = snapshot({
      symbols: [sym("BTCUSDT", "ISOLATED", { positionAmt: 1, initialMargin: 5 }), sym("ETHUSDT", "ISOLATED")]
    })
    const plan = planOrDie({ multiAssets: true }, snap)
    const on = plan.steps[2]
    assert.strictEqual(on?._tag, "SetMultiAssets")
    assert.deepStrictEqual(on?.blockers.map((b) => [b.code, b.reason, b.symbol]), [[-4167, "blocked-dependency", makeSymbol("BTCUSDT")]])
    assert.include(on?.blockers[0]?.text ?? "", "BTCUSDT must be switched to cross margin")
  })

  it("weights are counted and unchanged settings are listed", () => {
    const snap = snapshot({
      readWeight: 21,
      multiAssetsMargin: false,
      symbols: [sym("BTCUSDT", "CROSSED"), sym("ETHUSDT", "ISOLATED"), sym("SOLUSDT", "ISOLATED")]
    })
    const plan = planOrDie({ multiAssets: false, marginTypes: { all: "CROSSED", symbols: [entry("SOLUSDT", "ISOLATED")] } }, snap)
    assert.strictEqual(plan.readWeight, 21)
    assert.strictEqual(plan.applyWeight, 1)
    assert.deepStrictEqual(plan.unchanged, [makeSymbol("BTCUSDT"), makeSymbol("SOLUSDT")])
    assert.isTrue(plan.multiAssetsUnchanged)
    assert.deepStrictEqual(Planner.describePlan(plan, Explain.plain), [
      "1. Set ETHUSDT from ISOLATED to CROSSED (weight 1)",
      "Multi-Assets Mode is already off.",
      "Already as asked: BTCUSDT, SOLUSDT.",
      "Weight: 1 to apply (reads cost 21)."
    ])
  })

  it("describes a blocked plan with numbered steps and fixes", () => {
    const snap = snapshot({ multiAssetsMargin: true, symbols: [sym("BTCUSDT", "CROSSED", { openOrders: 2 })] })
    const plan = planOrDie({ multiAssets: false, marginTypes: { symbols: [entry("BTCUSDT", "ISOLATED")] } }, snap)
    assert.deepStrictEqual(Planner.describePlan(plan, Explain.plain), [
      "1. Turn Multi-Assets Mode off (weight 1)",
      "   blocked: the account has 2 open orders (BTCUSDT 2); Multi-Assets Mode cannot change while any order is open (Binance -4170). Fix: cancel the 2 open orders (BTCUSDT 2), or wait until they fill",
      "2. Set BTCUSDT from CROSSED to ISOLATED (weight 1)",
      "   blocked: BTCUSDT can only become ISOLATED after Multi-Assets Mode is off (step 1), and that step is blocked (Binance -4168). Fix: clear the blockers of step 1 first",
      "   blocked: BTCUSDT has 2 open orders (Binance -4047). Fix: cancel the 2 open orders on BTCUSDT, or wait until they fill",
      "Weight: 2 to apply (reads cost 16). 2 of 2 steps are blocked."
    ])
    assert.deepStrictEqual(Planner.describePlan(planOrDie({}, snap), Explain.plain), [
      "Nothing to change: the account is already in the desired state."
    ])
  })

  it.effect("bounded concurrency is respected", () =>
    Effect.gen(function*() {
      const names = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"].map((l) => `${l}USDT`)
      const snap = snapshot({ symbols: names.map((n) => sym(n, "CROSSED")) })
      const plan = planOrDie({ marginTypes: { all: "ISOLATED" } }, snap)
      const delay = Effect.repeatN(Effect.yieldNow(), 10)
      for (const concurrency of [1, 3, 5]) {
        const model = yield* makeRunner(snap, { delay })
        const summary = doneOf(yield* collect(plan, model.runner, { concurrency }))
        assert.strictEqual(summary.changed, 12)
        assert.strictEqual(yield* model.maxInFlight, concurrency)
      }
      const byDefault = yield* makeRunner(snap, { delay })
      yield* collect(plan, byDefault.runner)
      assert.strictEqual(yield* byDefault.maxInFlight, Planner.DEFAULT_CONCURRENCY)
    }))

  it.effect("a failed call stops apply after the running steps of its phase; the rest is skipped", () =>
    Effect.gen(function*() {
      const names = ["AUSDT", "BUSDT", "CUSDT", "DUSDT", "EUSDT", "FUSDT"]
      const snap = snapshot({ symbols: names.map((n) => sym(n, "ISOLATED")) })
      const plan = planOrDie({ multiAssets: true }, snap)
      const down = new ServiceUnavailable({ status: 503, code: null, msg: "Service Unavailable.", reason: "unavailable" })
      const model = yield* makeRunner(snap, {
        delay: Effect.repeatN(Effect.yieldNow(), 5),
        fail: (c) => (c.symbol === "BUSDT" ? down : undefined)
      })
      const events = yield* collect(plan, model.runner, { concurrency: 2, continueOnBlocked: true })
      const byIndex = finished(events)
      assert.deepStrictEqual(byIndex.get(2), {
        _tag: "StepFinished",
        index: 2,
        outcome: "failed",
        error: { tag: "ServiceUnavailable", code: null, message: "Service Unavailable." }
      })
      assert.strictEqual(byIndex.get(1)?.outcome, "changed") // was running when step 2 failed
      for (const i of [3, 4, 5, 6, 7]) assert.strictEqual(byIndex.get(i)?.outcome, "skipped")
      const summary = doneOf(events)
      assert.deepStrictEqual(summary, { changed: 1, unchanged: 0, blocked: 0, failed: 1, skipped: 5, complete: false })
      assert.deepStrictEqual(events.filter((e) => e._tag === "StepStarted").map((e) => e.index), [1, 2])
      assert.isFalse((yield* model.state).multiAssetsMargin)
      // Events are plain data.
      const encoded = Schema.encodeSync(Schema.Array(Planner.ProgressEvent))(events)
      assert.deepStrictEqual(Schema.decodeUnknownSync(Schema.Array(Planner.ProgressEvent))(JSON.parse(JSON.stringify(encoded))), events)
    }))

  it.effect("a rule rejection at run time is blocked; without continueOnBlocked the next phase is skipped", () =>
    Effect.gen(function*() {
      // The snapshot is stale: the exchange has an open order the snapshot did not show.
      const seen = snapshot({ symbols: [sym("BTCUSDT", "ISOLATED"), sym("ETHUSDT", "ISOLATED")] })
      const actual: AccountSnapshot = { ...seen, symbols: [seen.symbols[0]!, { ...seen.symbols[1]!, openOrders: 1 }] }
      const plan = planOrDie({ multiAssets: true }, seen)
      const model = yield* makeRunner(actual)
      const events = yield* collect(plan, model.runner)
      const byIndex = finished(events)
      assert.strictEqual(byIndex.get(1)?.outcome, "changed")
      assert.strictEqual(byIndex.get(2)?.outcome, "blocked")
      assert.strictEqual(byIndex.get(2)?.error?.tag, "MarginTypeBlocked")
      assert.strictEqual(byIndex.get(2)?.error?.code, -4047)
      assert.strictEqual(byIndex.get(3)?.outcome, "skipped")
      assert.deepStrictEqual((yield* model.calls).map((c) => c.code), [200, -4047])
    }))

  it.effect("a blocked off step stops apply before the margin-type phase", () =>
    Effect.gen(function*() {
      const snap = snapshot({
        multiAssetsMargin: true,
        symbols: [sym("BTCUSDT", "CROSSED"), sym("ETHUSDT", "CROSSED")],
        balances: [bal("USDT", 100), bal("USDC", -10)]
      })
      const plan = planOrDie({ multiAssets: false, marginTypes: { symbols: [entry("ETHUSDT", "ISOLATED")] } }, snap)
      const model = yield* makeRunner(snap)
      const stopped = finished(yield* collect(plan, model.runner))
      assert.deepStrictEqual([...stopped.values()].map((e) => e.outcome), ["blocked", "skipped"])
      // Under continueOnBlocked the ISOLATED step is still not sent: it needs the off step.
      const goOn = finished(yield* collect(plan, model.runner, { continueOnBlocked: true }))
      assert.deepStrictEqual([...goOn.values()].map((e) => e.outcome), ["blocked", "blocked"])
      assert.deepStrictEqual(yield* model.calls, [])
    }))

  it.effect("continueOnBlocked: independent CROSSED steps complete, the on step that needs a blocked one does not", () =>
    Effect.gen(function*() {
      const snap = snapshot({
        symbols: [sym("BTCUSDT", "ISOLATED", { openOrders: 1 }), sym("ETHUSDT", "ISOLATED"), sym("SOLUSDT", "ISOLATED")]
      })
      const plan = planOrDie({ multiAssets: true }, snap)
      const outcomes = (events: ReadonlyArray<Planner.ProgressEvent>) =>
        [...finished(events).entries()].sort(([a], [b]) => a - b).map(([, e]) => e.outcome)

      const stop = yield* makeRunner(snap)
      assert.deepStrictEqual(outcomes(yield* collect(plan, stop.runner)), ["blocked", "changed", "changed", "skipped"])

      const goOn = yield* makeRunner(snap)
      const events = yield* collect(plan, goOn.runner, { continueOnBlocked: true })
      assert.deepStrictEqual(outcomes(events), ["blocked", "changed", "changed", "blocked"])
      assert.strictEqual(finished(events).get(4)?.error?.code, -4167)
      assert.deepStrictEqual((yield* goOn.calls).map((c) => c.kind === "margin-type" ? c.symbol : "MA"), [
        "ETHUSDT",
        "SOLUSDT"
      ])
    }))

  it.effect("unchanged answers (-4046 / -4171) from a stale snapshot count as unchanged", () =>
    Effect.gen(function*() {
      const seen = snapshot({ symbols: [sym("BTCUSDT", "ISOLATED")] })
      const actual = snapshot({ symbols: [sym("BTCUSDT", "CROSSED")], multiAssetsMargin: true })
      const model = yield* makeRunner(actual)
      const events = yield* collect(planOrDie({ multiAssets: true }, seen), model.runner)
      assert.deepStrictEqual(doneOf(events), { changed: 0, unchanged: 2, blocked: 0, failed: 0, skipped: 0, complete: true })
      assert.deepStrictEqual((yield* model.calls).map((c) => c.code), [-4046, -4171])
    }))

  it("rejects conflicting entries, contradictions and unknown symbols, naming them", () => {
    const snap = snapshot({ symbols: [sym("BTCUSDT", "CROSSED"), sym("ETHUSDT", "CROSSED")] })
    const reject = (desired: Planner.DesiredState) => {
      const r = Planner.plan(desired, snap)
      assert.isTrue(Either.isLeft(r))
      return Either.isLeft(r) ? { reason: r.left.reason, symbols: r.left.symbols } : undefined
    }
    assert.deepStrictEqual(
      reject({ marginTypes: { symbols: [entry("BTCUSDT", "ISOLATED"), entry("BTCUSDT", "CROSSED")] } }),
      { reason: "BTCUSDT is asked to be both ISOLATED and CROSSED", symbols: ["BTCUSDT"] }
    )
    assert.deepStrictEqual(
      reject({ multiAssets: true, marginTypes: { symbols: [entry("BTCUSDT", "ISOLATED"), entry("ETHUSDT", "ISOLATED")] } }),
      {
        reason: "Multi-Assets Mode allows only cross margin: BTCUSDT, ETHUSDT are asked to be ISOLATED",
        symbols: ["BTCUSDT", "ETHUSDT"]
      }
    )
    assert.deepStrictEqual(reject({ multiAssets: true, marginTypes: { all: "ISOLATED" } }), {
      reason: "Multi-Assets Mode allows only cross margin: all symbols are asked to be ISOLATED",
      symbols: []
    })
    assert.deepStrictEqual(reject({ marginTypes: { symbols: [entry("XYZUSDT", "ISOLATED")] } }), {
      reason: "unknown symbol: XYZUSDT is not in the account's symbol list",
      symbols: ["XYZUSDT"]
    })
    // Same entry twice with the same type is fine.
    const twice = Planner.plan({ marginTypes: { symbols: [entry("BTCUSDT", "ISOLATED"), entry("BTCUSDT", "ISOLATED")] } }, snap)
    assert.isTrue(Either.isRight(twice))
  })

  it("the DesiredState schema decodes input and rejects bad margin types", () => {
    const decode = Schema.decodeUnknownEither(Planner.DesiredState)
    const ok = decode({ multiAssets: true, marginTypes: { symbols: [{ symbol: "BTCUSDT", marginType: "CROSSED" }] } })
    assert.isTrue(Either.isRight(ok))
    assert.isTrue(Either.isLeft(decode({ marginTypes: { all: "cross" } })))
    assert.isTrue(Either.isLeft(decode({ marginTypes: { symbols: [{ symbol: "btc usdt", marginType: "CROSSED" }] } })))
  })

  it("describes progress events", () => {
    const snap = snapshot({ symbols: [sym("BTCUSDT", "ISOLATED")] })
    const plan = planOrDie({ marginTypes: { all: "CROSSED" } }, snap)
    const symbol: SymbolId = makeSymbol("BTCUSDT")
    assert.strictEqual(plan.steps[0]?._tag === "SetMarginType" && plan.steps[0].symbol, symbol)
    assert.strictEqual(
      Planner.describeEvent({ _tag: "StepFinished", index: 1, outcome: "changed", reconciled: true }, plan),
      "1. Set BTCUSDT from ISOLATED to CROSSED: changed (confirmed by re-reading the account)"
    )
    assert.strictEqual(
      Planner.describeEvent({
        _tag: "Done",
        summary: { changed: 1, unchanged: 0, blocked: 0, failed: 0, skipped: 0, complete: true }
      }),
      "Done: 1 changed, 0 unchanged, 0 blocked, 0 failed, 0 skipped."
    )
  })
})
