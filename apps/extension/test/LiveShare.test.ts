/**
 * The worker's one live stream per account, over a backend whose live stream is fed by the test and
 * counts its starts, reads and stops, with the TestClock: popups share it, a popup that joins gets the
 * settings as they are now, the overview is answered from it while live, and it stops `LIVE_GRACE`
 * after the last popup left (unless one comes back before).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import type { BackendShape } from "../src/Backend.js"
import { LIVE_GRACE, shared } from "../src/LiveShare.js"
import type { LiveMessage, Overview } from "../src/Messages.js"

const read: Overview = { multiAssets: false, hedgeMode: false, symbols: [], readWeight: 10 }
const pushed: Overview = { multiAssets: true, hedgeMode: false, symbols: [{ symbol: "BNBUSDT", marginType: "ISOLATED" }], readWeight: 10 }

const fake = Effect.gen(function*() {
  const feed = yield* Queue.unbounded<LiveMessage>()
  const counts = { starts: 0, stops: 0, reads: 0 }
  const backend: BackendShape = {
    getMode: Effect.succeed(false),
    overview: Effect.sync(() => {
      counts.reads++
      return read
    }),
    drift: Effect.succeed(null),
    plan: () => Effect.die("not planned here"),
    apply: () => Stream.die("not applied here"),
    live: Stream.unwrapScoped(Effect.as(
      Effect.acquireRelease(Effect.sync(() => counts.starts++), () => Effect.sync(() => counts.stops++)),
      Stream.fromQueue(feed)
    ))
  }
  return { feed, counts, backend }
})

const settle = Effect.repeatN(Effect.yieldNow(), 50)

/** A popup following the account: what it received so far. */
const follow = (backend: BackendShape) =>
  Effect.gen(function*() {
    const received: Array<LiveMessage> = []
    const fiber = yield* Effect.fork(Stream.runForEach(backend.live, (m) => Effect.sync(() => received.push(m))))
    yield* settle
    return { received, fiber }
  })

describe("LiveShare", () => {
  it.scoped("shares one stream between popups; one that joins gets the settings as they are now", () =>
    Effect.gen(function*() {
      const { backend, counts, feed } = yield* fake
      const live = yield* shared(backend)
      const first = yield* follow(live)
      yield* Queue.offer(feed, { _tag: "LiveState", overview: read, live: true })
      yield* Queue.offer(feed, { _tag: "LiveChange", change: { _tag: "MultiAssets", multiAssets: true } })
      yield* settle
      const second = yield* follow(live)
      assert.strictEqual(counts.starts, 1)
      assert.deepStrictEqual(second.received, [{ _tag: "LiveState", overview: { ...read, multiAssets: true }, live: true }])
      yield* Queue.offer(feed, { _tag: "LiveChange", change: { _tag: "PositionMode", hedgeMode: true } })
      yield* settle
      assert.strictEqual(first.received.length, 3)
      assert.deepStrictEqual(first.received.at(-1), second.received.at(-1))
    }))

  it.scoped("answers the first overview from the stream it starts, then from the stream while it is live, and from the backend otherwise", () =>
    Effect.gen(function*() {
      const { backend, counts, feed } = yield* fake
      const live = yield* shared(backend)
      const first = yield* Effect.fork(live.overview)
      yield* settle
      assert.strictEqual(counts.starts, 1)
      yield* Queue.offer(feed, { _tag: "LiveState", overview: pushed, live: true })
      assert.deepStrictEqual(yield* Fiber.join(first), pushed)
      assert.strictEqual(counts.reads, 0)
      yield* follow(live)
      assert.deepStrictEqual(yield* live.overview, { ...pushed, readWeight: 0 })
      yield* Queue.offer(feed, { _tag: "LiveStatus", live: false })
      yield* settle
      assert.deepStrictEqual(yield* live.overview, read)
      assert.strictEqual(counts.reads, 1)
    }))

  it.scoped("reads from the backend when the stream it starts fails before its first state", () =>
    Effect.gen(function*() {
      const { backend, counts, feed } = yield* fake
      const live = yield* shared(backend)
      const first = yield* Effect.fork(live.overview)
      yield* settle
      yield* Queue.offer(feed, { _tag: "LiveStatus", live: false, reason: "the key was refused" })
      assert.deepStrictEqual(yield* Fiber.join(first), read)
      assert.strictEqual(counts.reads, 1)
    }))

  it.scoped("stops the stream LIVE_GRACE after the last popup left, unless one comes back before", () =>
    Effect.gen(function*() {
      const { backend, counts } = yield* fake
      const live = yield* shared(backend)
      const first = yield* follow(live)
      yield* Fiber.interrupt(first.fiber)
      yield* TestClock.adjust(Duration.subtract(LIVE_GRACE, Duration.millis(1)))
      assert.strictEqual(counts.stops, 0)
      const again = yield* follow(live)
      yield* TestClock.adjust(Duration.times(LIVE_GRACE, 2))
      assert.deepStrictEqual([counts.starts, counts.stops], [1, 0])
      yield* Fiber.interrupt(again.fiber)
      yield* TestClock.adjust(LIVE_GRACE)
      yield* settle
      assert.deepStrictEqual([counts.starts, counts.stops], [1, 1])
      yield* follow(live)
      assert.strictEqual(counts.starts, 2)
    }))
})
