import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as BudgetStore from "../src/BudgetStore.js"
import * as WeightBudget from "../src/WeightBudget.js"

const WINDOW = 60_000

/** Largest weight admitted in any 60-second window [t, t + 60 s), given admission times and weights. */
const heaviestWindow = (admitted: ReadonlyArray<{ readonly at: number; readonly weight: number }>): number => {
  let heaviest = 0
  for (const end of admitted) {
    const inWindow = admitted.filter((a) => a.at > end.at - WINDOW && a.at <= end.at)
    heaviest = Math.max(heaviest, inWindow.reduce((n, a) => n + a.weight, 0))
  }
  return heaviest
}

const isPending = <A, E>(fiber: Fiber.Fiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isNone)

describe("WeightBudget.makeMemory", () => {
  it.effect.prop(
    "never admits more than the limit in any 60 s window, and admits every patient caller",
    {
      limit: FastCheck.constantFrom(60, 100, 240),
      callers: FastCheck.array(
        FastCheck.record({
          arrival: FastCheck.integer({ min: 0, max: 180_000 }),
          weight: FastCheck.constantFrom(1, 5, 30, 40),
          maxWaitMs: FastCheck.constantFrom(0, 5_000, 30_000, Number.POSITIVE_INFINITY)
        }),
        { minLength: 1, maxLength: 60 }
      )
    },
    ({ callers, limit }) =>
      Effect.gen(function*() {
        const budget = yield* WeightBudget.makeMemory({ limit })
        const fibers = yield* Effect.forEach(callers, (c) =>
          Effect.sleep(c.arrival).pipe(
            Effect.zipRight(Effect.either(budget.reserve(c.weight, c.maxWaitMs))),
            Effect.zipWith(Clock.currentTimeMillis, (result, at) => ({ ...c, result, at })),
            Effect.fork
          ))
        yield* TestClock.adjust("1 hour")
        const outcomes = yield* Effect.forEach(fibers, Fiber.join)

        const admitted = outcomes.filter((o) => Either.isRight(o.result))
        assert.isAtMost(heaviestWindow(admitted), limit)
        for (const o of outcomes) {
          if (Either.isRight(o.result)) {
            assert.isAtMost(o.at - o.arrival, o.maxWaitMs)
          } else {
            assert.strictEqual(o.result.left._tag, "RateLimited")
            assert.notStrictEqual(o.maxWaitMs, Number.POSITIVE_INFINITY, "a caller without a wait limit was refused")
            assert.strictEqual(o.at, o.arrival, "a refusal is immediate")
          }
        }
      }),
    { timeout: 120_000, fastCheck: { numRuns: 60 } }
  )

  it.effect("admits a waiting caller exactly when the oldest weight leaves the window", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.makeMemory({ limit: 100 })
      yield* budget.reserve(60, 0)
      yield* TestClock.adjust(10_000)
      const waiting = yield* Effect.fork(
        Effect.zipRight(budget.reserve(60, 60_000), Clock.currentTimeMillis)
      )
      yield* TestClock.adjust(49_999)
      assert.isTrue(yield* isPending(waiting))
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* Fiber.join(waiting), 60_000)
      assert.strictEqual((yield* budget.status).used, 60)
    }))

  it.effect("serves waiting callers first come first served", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.makeMemory({ limit: 100 })
      yield* budget.reserve(60, 0)
      const big = yield* Effect.fork(Effect.zipRight(budget.reserve(80, 200_000), Clock.currentTimeMillis))
      yield* TestClock.adjust(1)
      // 30 would fit beside the 60 at once, but the 80 came first: it is not overtaken.
      const small = yield* Effect.fork(Effect.zipRight(budget.reserve(30, 200_000), Clock.currentTimeMillis))
      yield* TestClock.adjust(200_000)
      assert.strictEqual(yield* Fiber.join(big), 60_000)
      assert.strictEqual(yield* Fiber.join(small), 120_000)
    }))

  it.effect("fails at once with RateLimited (source budget) when the wait would exceed maxWaitMs", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.makeMemory({ limit: 100 })
      yield* budget.reserve(100, 0)
      yield* TestClock.adjust(15_500)
      const error = yield* Effect.flip(budget.reserve(1, 44_000))
      assert.strictEqual(error._tag, "RateLimited")
      if (error._tag !== "RateLimited") return
      assert.strictEqual(error.source, "budget")
      assert.strictEqual(error.status, 0)
      assert.isNull(error.code)
      assert.strictEqual(error.retryAfterSeconds, 45) // 44.5 s until room, rounded up
      assert.isTrue(error.msg.startsWith("weight budget full: "))
      // The refusal recorded nothing: a caller that can wait long enough is admitted at 60 s.
      const patient = yield* Effect.fork(Effect.zipRight(budget.reserve(1, 44_500), Clock.currentTimeMillis))
      yield* TestClock.adjust(44_500)
      assert.strictEqual(yield* Fiber.join(patient), 60_000)
    }))

  it.effect("refuses a weight larger than the limit at once", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.makeMemory({ limit: 20 })
      const error = yield* Effect.flip(budget.reserve(30, Number.POSITIVE_INFINITY))
      assert.strictEqual(error._tag, "RateLimited")
      if (error._tag === "RateLimited") {
        assert.strictEqual(error.source, "budget")
        assert.isNull(error.retryAfterSeconds)
      }
    }))

  it.effect("does not overshoot under 100 concurrent callers", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.makeMemory({ limit: 2400 })
      const results = yield* Effect.all(
        Array.from({ length: 100 }, () => Effect.either(budget.reserve(30, 0))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter(Either.isRight).length, 80)
      assert.strictEqual((yield* budget.status).used, 2400)
      assert.strictEqual((yield* budget.status).remaining, 0)
    }))

  it.effect("releases the planned weight of a waiter that is interrupted", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.makeMemory({ limit: 100 })
      yield* budget.reserve(100, 0)
      const first = yield* Effect.fork(budget.reserve(100, Number.POSITIVE_INFINITY))
      yield* TestClock.adjust(1)
      const second = yield* Effect.fork(Effect.zipRight(budget.reserve(50, Number.POSITIVE_INFINITY), Clock.currentTimeMillis))
      yield* TestClock.adjust(1)
      yield* Fiber.interrupt(first)
      yield* TestClock.adjust(60_000)
      assert.strictEqual(yield* Fiber.join(second), 60_000)
    }))

  it.effect("observeUsed counts weight the exchange reports beyond this budget's own", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.makeMemory({ limit: 100 })
      yield* budget.reserve(10, 0)
      assert.strictEqual((yield* budget.status).used, 10)
      yield* budget.observeUsed(50)
      assert.strictEqual((yield* budget.status).used, 50)
      yield* budget.observeUsed(30) // less than counted: nothing changes
      yield* budget.observeUsed(50) // the same report again: nothing is counted twice
      assert.strictEqual((yield* budget.status).used, 50)
      yield* budget.observeUsed(95)
      const refused = yield* Effect.flip(budget.reserve(10, 0))
      assert.strictEqual(refused._tag, "RateLimited")
      // In the next fixed minute the exchange starts again from 0; our window still holds the 95.
      yield* TestClock.adjust(WINDOW)
      assert.strictEqual((yield* budget.status).used, 0)
      yield* budget.observeUsed(20)
      assert.strictEqual((yield* budget.status).used, 20)
    }))

  it.effect("observeUsed pushes back a caller that was waiting", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.makeMemory({ limit: 100 })
      yield* budget.reserve(100, 0)
      yield* TestClock.adjust(30_000)
      // Planned at 60 s; then another process on the same IP spends 90 more at 30 s.
      const waiting = yield* Effect.fork(Effect.zipRight(budget.reserve(20, 120_000), Clock.currentTimeMillis))
      yield* TestClock.adjust(1)
      yield* budget.observeUsed(190)
      yield* TestClock.adjust(120_000)
      assert.strictEqual(yield* Fiber.join(waiting), 90_001)
    }))

  it.effect("pause(Retry-After) makes every caller wait exactly that long", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.makeMemory()
      yield* budget.pause(3)
      assert.strictEqual((yield* budget.status).pausedUntil, 3_000)
      const waiting = yield* Effect.fork(Effect.zipRight(budget.reserve(1, 10_000), Clock.currentTimeMillis))
      const impatient = yield* Effect.flip(budget.reserve(1, 1_000))
      assert.strictEqual(impatient._tag, "RateLimited")
      if (impatient._tag === "RateLimited") {
        assert.strictEqual(impatient.source, "budget")
        assert.strictEqual(impatient.retryAfterSeconds, 3)
      }
      yield* budget.pause(1) // a shorter pause does not shorten the current one
      yield* TestClock.adjust(2_999)
      assert.isTrue(yield* isPending(waiting))
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* Fiber.join(waiting), 3_000)
      assert.isNull((yield* budget.status).pausedUntil)
      yield* budget.reserve(1, 0)
    }))

  it.effect("pause delays callers already waiting, and refuses those it would keep too long", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.makeMemory({ limit: 10 })
      yield* budget.reserve(10, 0)
      const patient = yield* Effect.fork(Effect.zipRight(budget.reserve(5, 200_000), Clock.currentTimeMillis))
      const hurried = yield* Effect.fork(Effect.either(budget.reserve(5, 70_000)))
      yield* TestClock.adjust(1_000)
      yield* budget.pause(90) // until 91 s
      const refused = yield* Fiber.join(hurried) // refused at once, not at 60 s
      assert.isTrue(Either.isLeft(refused))
      if (Either.isLeft(refused) && refused.left._tag === "RateLimited") {
        assert.strictEqual(refused.left.retryAfterSeconds, 90)
      }
      yield* TestClock.adjust(89_999)
      assert.isTrue(yield* isPending(patient))
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* Fiber.join(patient), 91_000)
    }))

  it.effect("ban until T refuses every call with IpBanned until T, then admits again", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.makeMemory({ limit: 10 })
      yield* budget.reserve(10, 0)
      const waiting = yield* Effect.fork(budget.reserve(1, Number.POSITIVE_INFINITY))
      yield* TestClock.adjust(1)
      yield* budget.ban(120_000)
      yield* budget.ban(30_000) // a shorter ban does not shorten the current one
      const waiterError = yield* Effect.flip(Fiber.join(waiting))
      assert.strictEqual(waiterError._tag, "IpBanned")
      const error = yield* Effect.flip(budget.reserve(1, Number.POSITIVE_INFINITY))
      assert.strictEqual(error._tag, "IpBanned")
      if (error._tag === "IpBanned") {
        assert.strictEqual(error.status, 418)
        assert.strictEqual(error.code, -1003)
        assert.strictEqual(error.until, 120_000)
        assert.strictEqual(error.retryAfterSeconds, 120)
        assert.strictEqual(error.msg, "IP banned until 1970-01-01T00:02:00.000Z")
      }
      assert.strictEqual((yield* budget.status).bannedUntil, 120_000)
      yield* TestClock.adjust(119_998)
      assert.strictEqual((yield* Effect.flip(budget.reserve(1, 0)))._tag, "IpBanned")
      yield* TestClock.adjust(1)
      yield* budget.reserve(1, 0)
      assert.isNull((yield* budget.status).bannedUntil)
    }))

  it.effect("setLimit changes admission, for new and waiting callers", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.makeMemory({ limit: 100 })
      yield* budget.reserve(100, 0)
      assert.strictEqual((yield* Effect.flip(budget.reserve(1, 0)))._tag, "RateLimited")
      const waiting = yield* Effect.fork(Effect.zipRight(budget.reserve(40, 120_000), Clock.currentTimeMillis))
      yield* TestClock.adjust(5_000)
      yield* budget.setLimit(200) // room now: the waiter goes at once
      assert.strictEqual(yield* Fiber.join(waiting), 5_000)
      yield* budget.reserve(60, 0)
      assert.deepStrictEqual(yield* budget.status, {
        limit: 200,
        used: 200,
        remaining: 0,
        pausedUntil: null,
        bannedUntil: null
      })
      yield* budget.setLimit(50)
      assert.strictEqual((yield* budget.status).remaining, 0)
      yield* TestClock.adjust(WINDOW)
      yield* budget.reserve(50, 0)
      assert.strictEqual((yield* Effect.flip(budget.reserve(1, 0)))._tag, "RateLimited")
    }))

  it("admits a call that finds room and nobody waiting in one synchronous step", () => {
    const budget = Effect.runSync(WeightBudget.makeMemory({ limit: 10 }))
    // runSync fails on anything asynchronous (a fiber waiting, a signal awaited).
    for (let i = 0; i < 10; i++) Effect.runSync(budget.reserve(1, 60_000))
    assert.strictEqual(Effect.runSync(budget.status).remaining, 0)
    // So is a refusal of a call that may not wait.
    assert.strictEqual(Effect.runSync(Effect.flip(budget.reserve(1, 0)))._tag, "RateLimited")
  })

  it.effect("layerMemory provides the service with the default limit", () =>
    Effect.gen(function*() {
      const budget = yield* WeightBudget.WeightBudget
      assert.strictEqual((yield* budget.status).limit, WeightBudget.DEFAULT_LIMIT)
    }).pipe(Effect.provide(WeightBudget.layerMemory())))
})

describe("BudgetStore.makeMemory", () => {
  it.effect("admissions in the same 100 ms bucket share one entry, so a busy minute stays small", () =>
    Effect.gen(function*() {
      const store = yield* BudgetStore.makeMemory({ limit: 1_000_000 })
      for (let i = 0; i < 20_000; i++) yield* store.reserve(1, i * 3)
      const snapshot = yield* store.read(59_997)
      assert.isAtMost(snapshot.entries.length, 601)
      assert.strictEqual(snapshot.entries.reduce((n, e) => n + e.weight, 0), 20_000)
    }))
})
