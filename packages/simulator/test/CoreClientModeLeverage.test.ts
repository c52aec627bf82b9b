/**
 * The core's MarginClient on the in-process simulator for position mode and leverage: idempotent
 * setters (-4059 and the same leverage are `unchanged`), unknown outcomes settled by a re-read,
 * the rules' refusals as typed errors, the leverage brackets in the snapshot, and a plan with every
 * kind of step applied twice.
 */
import * as BinanceConfig from "@marginctl/core/BinanceConfig"
import { MarginClient } from "@marginctl/core/MarginClient"
import * as Planner from "@marginctl/core/Planner"
import * as Signer from "@marginctl/core/Signer"
import * as WeightBudget from "@marginctl/core/WeightBudget"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type { SimulatorShape } from "../src/Simulator.js"
import * as SimulatorHttpClient from "../src/SimulatorHttpClient.js"
import { API_KEYS, HMAC_SECRET, makeSim, seedWith } from "./support/Client.js"

const BTC = "BTCUSDT" as any
const ETH = "ETHUSDT" as any
const BNB = "BNBUSDT" as any

const withClient = <A, E>(sim: SimulatorShape, f: (c: MarginClient) => Effect.Effect<A, E>) =>
  Effect.flatMap(MarginClient, f).pipe(
    Effect.provide(MarginClient.Default.pipe(
      Layer.provide(Layer.mergeAll(
        BinanceConfig.layer({ baseUrl: "http://simulator.test", apiKey: Redacted.make(API_KEYS.HMAC) }),
        Signer.layer(Signer.hmac(Redacted.make(HMAC_SECRET))),
        WeightBudget.layerMemory(),
        SimulatorHttpClient.layerWith(sim, {})
      )),
      Layer.orDie
    ))
  )

const apiChanges = (sim: SimulatorShape) => sim.log().filter((e) => e.source === "api").length

describe("MarginClient: position mode", () => {
  it.effect("changes, then -4059 is unchanged; blocked by an open order or a position with PositionModeBlocked", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      yield* withClient(sim, (c) =>
        Effect.gen(function*() {
          assert.deepStrictEqual(yield* c.setPositionMode("hedge"), { outcome: "changed", reconciled: false })
          assert.deepStrictEqual(yield* c.setPositionMode("hedge"), { outcome: "unchanged", reconciled: false })
          assert.isTrue((yield* c.getAccountConfig).dualSidePosition)
        }))
      assert.strictEqual(apiChanges(sim), 1)
      const held = yield* makeSim(seedWith({ positions: [{ symbol: "BTCUSDT", positionAmt: 1 }] }))
      const e = yield* withClient(held, (c) => Effect.flip(c.setPositionMode("hedge")))
      assert.deepInclude(e, { _tag: "PositionModeBlocked", code: -4068, reason: "position" })
      const ordered = yield* makeSim(seedWith({ orders: [{ symbol: "ETHUSDT" }] }))
      const o = yield* withClient(ordered, (c) => Effect.flip(c.setPositionMode("hedge")))
      assert.deepInclude(o, { _tag: "PositionModeBlocked", code: -4067, reason: "open-orders" })
    }))

  it.effect("an unknown outcome that did execute is settled by re-reading accountConfig: changed, sent once", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      sim.faults.add({ kind: "unknown", executed: true, endpoint: "/fapi/v1/positionSide/dual", method: "POST", count: 1 })
      const r = yield* withClient(sim, (c) => c.setPositionMode("hedge"))
      assert.deepStrictEqual(r, { outcome: "changed", reconciled: true })
      assert.strictEqual(sim.requestCount("/fapi/v1/positionSide/dual"), 1)
      assert.isTrue(sim.account("main")!.dualSidePosition)
    }))
})

describe("MarginClient: leverage", () => {
  it.effect("the same leverage is unchanged without sending; a new one is changed; -4028 and -4161 are typed", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({
        leverage: { BTCUSDT: 20, ETHUSDT: 20 },
        marginTypes: { ETHUSDT: "ISOLATED" },
        positions: [{ symbol: "ETHUSDT", positionAmt: 1 }]
      }))
      yield* withClient(sim, (c) =>
        Effect.gen(function*() {
          assert.deepStrictEqual(yield* c.setLeverage(BTC, 20), { outcome: "unchanged", reconciled: false })
          assert.strictEqual(sim.requestCount("/fapi/v1/leverage"), 0)
          assert.deepStrictEqual(yield* c.setLeverage(BTC, 30), { outcome: "changed", reconciled: false })
          // With the current leverage known (a plan step's `from`), nothing is read first.
          const reads = sim.requestCount("/fapi/v1/symbolConfig")
          assert.deepStrictEqual(yield* c.setLeverage(BTC, 40, 30), { outcome: "changed", reconciled: false })
          assert.strictEqual(sim.requestCount("/fapi/v1/symbolConfig"), reads)
          assert.deepInclude(yield* Effect.flip(c.setLeverage(BNB, 76)), { _tag: "InvalidParameter", code: -4028, reason: "leverage" })
          assert.deepInclude(yield* Effect.flip(c.setLeverage(ETH, 5)), { _tag: "AccountRejected", code: -4161, reason: "leverage" })
        }))
      assert.strictEqual(sim.account("main")!.symbols.get("BTCUSDT")!.leverage, 40)
    }))

  it.effect("an unknown outcome that did not execute: re-read, sent once more, changed", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      sim.faults.add({ kind: "unknown", executed: false, endpoint: "/fapi/v1/leverage", method: "POST", count: 1 })
      const r = yield* withClient(sim, (c) => c.setLeverage(BTC, 9, 20))
      assert.deepStrictEqual(r, { outcome: "changed", reconciled: true })
      assert.strictEqual(sim.requestCount("/fapi/v1/leverage"), 2)
      assert.strictEqual(sim.account("main")!.symbols.get("BTCUSDT")!.leverage, 9)
    }))

  it.effect("the snapshot carries leverage, and each symbol's maximum only when asked (leverageBracket, weight 1)", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({ leverage: { ETHUSDT: 7 } }))
      yield* withClient(sim, (c) =>
        Effect.gen(function*() {
          const plain = yield* c.getAccountSnapshot
          assert.strictEqual(sim.requestCount("/fapi/v1/leverageBracket"), 0)
          const eth = plain.symbols.find((s) => s.symbol === ETH)
          assert.strictEqual(eth?.leverage, 7)
          assert.isUndefined(eth?.maxLeverage)
          const withMax = yield* c.getAccountSnapshotWith({ leverageBrackets: true })
          assert.strictEqual(sim.requestCount("/fapi/v1/leverageBracket"), 1)
          assert.strictEqual(withMax.readWeight, plain.readWeight + 1)
          assert.isTrue(withMax.symbols.every((s) => s.maxLeverage !== undefined && s.maxLeverage >= 1))
          assert.strictEqual(withMax.symbols.find((s) => s.symbol === BNB)?.maxLeverage, 75)
        }))
    }))
})

describe("a plan with every kind of step, applied twice", () => {
  it.effect("the first apply changes everything, the second plans nothing; a leverage above the maximum is blocked before sending", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({ multiAssetsMargin: true }))
      yield* withClient(sim, (c) =>
        Effect.gen(function*() {
          const desired: Planner.DesiredState = {
            multiAssets: false,
            positionMode: "hedge",
            marginTypes: { symbols: [{ symbol: BTC, marginType: "ISOLATED" }] },
            leverage: { symbols: [{ symbol: BTC, leverage: 50 }, { symbol: ETH, leverage: 3 }] }
          }
          const planOf = (d: Planner.DesiredState) =>
            Effect.flatMap(
              c.getAccountSnapshotWith({ leverageBrackets: Planner.needsLeverageBrackets(d) }),
              (s) => Either.match(Planner.plan(d, s), { onLeft: Effect.die, onRight: Effect.succeed })
            )
          const plan = yield* planOf(desired)
          assert.deepStrictEqual(plan.steps.map((s) => s._tag), ["SetMultiAssets", "SetPositionMode", "SetMarginType", "SetLeverage", "SetLeverage"])
          const events = Array.from(yield* Stream.runCollect(Planner.apply(plan, c)))
          const done = events.at(-1)
          assert.isTrue(done?._tag === "Done" && done.summary.complete && done.summary.changed === 5)
          assert.deepStrictEqual((yield* planOf(desired)).steps, [])
          const over = yield* planOf({ leverage: { symbols: [{ symbol: BNB, leverage: 100 }] } })
          assert.deepStrictEqual(over.steps[0]?.blockers.map((b) => [b.code, b.symbol]), [[-4028, BNB]])
          const sent = sim.requestCount("/fapi/v1/leverage")
          const blocked = Array.from(yield* Stream.runCollect(Planner.apply(over, c)))
          assert.isTrue(blocked.some((e) => e._tag === "StepFinished" && e.outcome === "blocked"))
          assert.strictEqual(sim.requestCount("/fapi/v1/leverage"), sent)
        }))
      const account = sim.account("main")!
      assert.deepStrictEqual(
        [account.multiAssetsMargin, account.dualSidePosition, account.symbols.get("BTCUSDT")?.marginType, account.symbols.get("BTCUSDT")?.leverage, account.symbols.get("ETHUSDT")?.leverage],
        [false, true, "ISOLATED", 50, 3]
      )
    }))
})
