/**
 * The worker's memo of an account's overview, over a backend that counts its reads and can be made
 * to fail, with the TestClock: a read is kept for OVERVIEW_TTL, a failure is not kept, concurrent
 * reads share one, and an apply or a pushed change forgets it.
 */
import { assert, describe, it } from "@effect/vitest"
import type { Plan } from "@marginctl/core/Planner"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import type { BackendShape } from "../src/Backend.js"
import type { LiveMessage, Overview } from "../src/Messages.js"
import { memoized, OVERVIEW_TTL } from "../src/OverviewMemo.js"
import { internal } from "../src/UserErrors.js"

const plan: Plan = {
  steps: [],
  readWeight: 96,
  applyWeight: 0,
  blocked: false,
  unchanged: [],
  multiAssetsUnchanged: true,
  multiAssets: { before: false, after: false }
}

/** A backend whose overview says how many reads it took, and fails while `failing` is set. */
const counting = () => {
  const state = { reads: 0, failing: false }
  const backend: BackendShape = {
    getMode: Effect.succeed(false),
    overview: Effect.suspend(() => {
      state.reads++
      return state.failing
        ? Effect.fail(internal("unreachable"))
        : Effect.succeed<Overview>({ multiAssets: false, hedgeMode: false, symbols: [], readWeight: state.reads * 10 })
    }),
    drift: Effect.succeed(null),
    plan: () => Effect.succeed(plan),
    apply: () => Stream.succeed({ _tag: "Done", summary: { changed: 0, unchanged: 0, blocked: 0, failed: 0, skipped: 0, complete: true } }),
    live: Stream.make<Array<LiveMessage>>(
      { _tag: "LiveStatus", live: false },
      { _tag: "LiveChange", change: { _tag: "MultiAssets", multiAssets: true } }
    )
  }
  return { state, backend }
}

describe("OverviewMemo", () => {
  it.effect("keeps a read for OVERVIEW_TTL, then reads again", () =>
    Effect.gen(function*() {
      const { backend, state } = counting()
      const memo = yield* memoized(backend)
      yield* memo.overview
      yield* Effect.all([memo.overview, memo.overview], { concurrency: 2 })
      assert.strictEqual(state.reads, 1)
      yield* TestClock.adjust(Duration.sum(OVERVIEW_TTL, Duration.millis(1)))
      assert.strictEqual((yield* memo.overview).readWeight, 20)
      assert.strictEqual(state.reads, 2)
    }))

  it.effect("does not keep a failure: the next read goes to the backend", () =>
    Effect.gen(function*() {
      const { backend, state } = counting()
      const memo = yield* memoized(backend)
      state.failing = true
      assert.strictEqual((yield* Effect.flip(memo.overview))._tag, "UserError")
      yield* TestClock.adjust(Duration.millis(1))
      state.failing = false
      yield* memo.overview
      assert.strictEqual(state.reads, 2)
    }))

  it.effect("forgets the read when an apply ends", () =>
    Effect.gen(function*() {
      const { backend, state } = counting()
      const memo = yield* memoized(backend)
      yield* memo.overview
      const events = yield* Stream.runCollect(memo.apply(plan, { multiAssets: false }))
      assert.strictEqual(events.length, 1)
      yield* memo.overview
      assert.strictEqual(state.reads, 2)
    }))

  it.effect("keeps the read through a status on the live stream, and forgets it when a change is pushed", () =>
    Effect.gen(function*() {
      const { backend, state } = counting()
      const memo = yield* memoized(backend)
      yield* memo.overview
      yield* Stream.runDrain(Stream.take(memo.live, 1))
      yield* memo.overview
      assert.strictEqual(state.reads, 1)
      yield* Stream.runDrain(memo.live)
      yield* memo.overview
      assert.strictEqual(state.reads, 2)
    }))
})
