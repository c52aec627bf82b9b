import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import * as ServerClock from "../src/ServerClock.js"

/** The request takes 40 ms to reach the server and 60 ms to come back: RTT 100 ms, asymmetric. */
const UP_MS = 40
const DOWN_MS = 60
const RTT_MS = UP_MS + DOWN_MS

/** A fake `GET /fapi/v1/time` whose server clock is `skewMs` ahead of the TestClock, counting its calls. */
const fakeServer = (skewMs: number) =>
  Effect.map(Ref.make(0), (fetches) => ({
    fetches: Ref.get(fetches),
    fetchServerTime: Effect.gen(function*() {
      yield* Effect.sleep(UP_MS)
      const serverTime = (yield* Clock.currentTimeMillis) + skewMs
      yield* Ref.update(fetches, (n) => n + 1)
      yield* Effect.sleep(DOWN_MS)
      return serverTime
    })
  }))

/** Runs `effect` in a fiber and moves the TestClock past one round trip. */
const afterRoundTrip = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust(RTT_MS)
    return yield* Fiber.join(fiber)
  })

describe("ServerClock.make", () => {
  for (const skewMs of [5_000, -3_000]) {
    it.effect(`measures a ${skewMs} ms skew within half the round trip`, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(1_700_000_000_000)
        const server = yield* fakeServer(skewMs)
        const clock = yield* ServerClock.make(server.fetchServerTime, { refreshMs: 60_000 })
        const sample = yield* afterRoundTrip(clock.sync)
        assert.strictEqual(sample.rttMs, RTT_MS)
        assert.strictEqual(sample.measuredAt, 1_700_000_000_000 + RTT_MS)
        assert.isAtMost(Math.abs(sample.offsetMs - skewMs), sample.rttMs / 2)
        assert.deepStrictEqual(yield* clock.offset, Option.some(sample))

        // `now` is local time plus the offset, without another request while the sample is fresh.
        yield* TestClock.adjust(1_234)
        const local = yield* Clock.currentTimeMillis
        assert.strictEqual(yield* clock.now, local + sample.offsetMs)
        assert.strictEqual(yield* server.fetches, 1)
      }))
  }

  it.effect("measures again, exactly once, when the sample is older than refreshMs", () =>
    Effect.gen(function*() {
      const server = yield* fakeServer(5_000)
      const clock = yield* ServerClock.make(server.fetchServerTime, { refreshMs: 30_000 })
      yield* afterRoundTrip(clock.sync)
      yield* TestClock.adjust(29_999)
      yield* clock.now
      assert.strictEqual(yield* server.fetches, 1)

      yield* TestClock.adjust(1)
      const fiber = yield* Effect.fork(Effect.all([clock.now, clock.now, clock.now], { concurrency: "unbounded" }))
      yield* TestClock.adjust(RTT_MS)
      yield* Fiber.join(fiber)
      yield* clock.now
      assert.strictEqual(yield* server.fetches, 2)
    }))

  it.effect("50 concurrent `now` on a cold clock make one request and agree", () =>
    Effect.gen(function*() {
      const server = yield* fakeServer(-3_000)
      const clock = yield* ServerClock.make(server.fetchServerTime, { refreshMs: 30_000 })
      const times = yield* afterRoundTrip(
        Effect.all(Array.from({ length: 50 }, () => clock.now), { concurrency: "unbounded" })
      )
      assert.strictEqual(yield* server.fetches, 1)
      assert.strictEqual(new Set(times).size, 1)
      assert.isAtMost(Math.abs(times[0]! - (RTT_MS - 3_000)), RTT_MS / 2)
    }))

  it.effect("invalidate drops the sample, so the next `now` measures again", () =>
    Effect.gen(function*() {
      const server = yield* fakeServer(5_000)
      const clock = yield* ServerClock.make(server.fetchServerTime, { refreshMs: 60_000 })
      yield* afterRoundTrip(clock.now)
      yield* clock.invalidate
      assert.deepStrictEqual(yield* clock.offset, Option.none())
      yield* afterRoundTrip(clock.now)
      assert.strictEqual(yield* server.fetches, 2)
      assert.isTrue(Option.isSome(yield* clock.offset))
    }))

  it.effect("a failed request fails `now`, keeps no sample, and the next call tries again", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const failing = Effect.zipRight(Ref.update(attempts, (n) => n + 1), Effect.fail("time endpoint down" as const))
      const clock = yield* ServerClock.make(failing, { refreshMs: 60_000 })
      const errors = yield* Effect.all(
        Array.from({ length: 5 }, () => Effect.flip(clock.now)),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(errors, Array.from({ length: 5 }, () => "time endpoint down"))
      assert.deepStrictEqual(yield* clock.offset, Option.none())
      assert.isAtLeast(yield* Ref.get(attempts), 1)
      const before = yield* Ref.get(attempts)
      yield* Effect.flip(clock.now)
      assert.strictEqual(yield* Ref.get(attempts), before + 1)
    }))
})

describe("ServerClock.describeOffset", () => {
  it("says the local clock is behind when the server is ahead", () => {
    assert.deepStrictEqual(ServerClock.describeOffset(1_234), {
      side: "local-behind",
      text: "your clock is 1,234 ms behind the server"
    })
  })

  it("says the local clock is ahead when the server is behind", () => {
    assert.deepStrictEqual(ServerClock.describeOffset(-2_500_000), {
      side: "local-ahead",
      text: "your clock is 2,500,000 ms ahead of the server"
    })
  })

  it("says in sync within the tolerance, which can be changed", () => {
    assert.strictEqual(ServerClock.describeOffset(100).side, "in-sync")
    assert.strictEqual(ServerClock.describeOffset(-100).side, "in-sync")
    assert.strictEqual(ServerClock.describeOffset(-42).text, "your clock is in sync with the server (42 ms apart, within 100 ms)")
    assert.strictEqual(ServerClock.describeOffset(101).side, "local-behind")
    assert.strictEqual(ServerClock.describeOffset(250, 500).side, "in-sync")
    assert.strictEqual(ServerClock.describeOffset(-501, 500).side, "local-ahead")
  })
})
