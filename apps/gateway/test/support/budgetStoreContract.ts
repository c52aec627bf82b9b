/**
 * What every `BudgetStore` must give core's `WeightBudget` policy, as one suite run against each store
 * (in memory, Redis). Time is the TestClock's; `advance` moves it from one sleeper's wake-up to the
 * next and, between steps, waits (in real time) until no store call is in flight, so a store that
 * answers asynchronously sees exactly the instants an in-memory one sees.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { BudgetStore, type BudgetStoreShape } from "@marginctl/core/BudgetStore"
import * as WeightBudget from "@marginctl/core/WeightBudget"

const WINDOW = 60_000

/** Largest weight admitted in any 60-second window, given admission times and weights. */
const heaviestWindow = (admitted: ReadonlyArray<{ readonly at: number; readonly weight: number }>): number =>
  Math.max(0, ...admitted.map((end) =>
    admitted.filter((a) => a.at > end.at - WINDOW && a.at <= end.at).reduce((n, a) => n + a.weight, 0)))

const isPending = <A, E>(fiber: Fiber.Fiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isNone)

const realTick = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** The store in context, counted while a call is in flight; a budget over it with `limit`. */
const setup = (limit: number) =>
  Effect.gen(function*() {
    const raw = yield* BudgetStore
    let inFlight = 0
    const track = <A, E>(call: Effect.Effect<A, E>) =>
      Effect.suspend(() => {
        inFlight++
        return Effect.ensuring(call, Effect.sync(() => void inFlight--))
      })
    const store: BudgetStoreShape = {
      reserve: (weight, now) => track(raw.reserve(weight, now)),
      read: (now) => track(raw.read(now)),
      observeUsed: (used, now) => track(raw.observeUsed(used, now)),
      pauseUntil: (until) => track(raw.pauseUntil(until)),
      banUntil: (until) => track(raw.banUntil(until)),
      setLimit: (l) => track(raw.setLimit(l))
    }
    /** Until no store call has been in flight for two real-time ticks in a row. */
    const idle = Effect.gen(function*() {
      for (let quiet = 0; quiet < 2;) {
        yield* realTick(inFlight > 0 ? 1 : 0)
        quiet = inFlight === 0 ? quiet + 1 : 0
      }
    })
    const advance = (ms: number) =>
      Effect.gen(function*() {
        const end = (yield* Clock.currentTimeMillis) + ms
        while (true) {
          yield* idle
          const next = Chunk.reduce(yield* TestClock.sleeps(), Number.POSITIVE_INFINITY, (m, t) => Math.min(m, t))
          if (next > end) break
          yield* TestClock.setTime(next)
        }
        yield* TestClock.setTime(end)
        yield* idle
      })
    const budget = yield* WeightBudget.make(store)
    yield* budget.setLimit(limit)
    /** A second process over the same store. */
    const other = yield* WeightBudget.make(store)
    const at = <E>(reserve: Effect.Effect<void, E>) => Effect.fork(Effect.zipRight(reserve, Clock.currentTimeMillis))
    return { budget, other, advance, idle, at }
  })

export const budgetStoreContract = (name: string, store: Layer.Layer<BudgetStore>) =>
  describe(`BudgetStore contract: ${name}`, () => {
    const test = (title: string, body: () => Effect.Effect<void, unknown, BudgetStore>) =>
      it.effect(title, () => Effect.provide(body(), store), 30_000)

    test("counts weight stamped a moment later than the caller's own clock (replicas, callers that read the clock first)", () =>
      Effect.gen(function*() {
        const store = yield* BudgetStore
        yield* store.setLimit(100)
        const t = 1_000_000
        assert.deepStrictEqual(yield* store.reserve(60, t + 5), { _tag: "Granted" })
        const late = yield* store.reserve(50, t)
        assert.strictEqual(late._tag, "Refused")
        assert.deepStrictEqual(yield* store.reserve(40, t), { _tag: "Granted" })
      }))

    test("admits a waiting caller exactly when the oldest weight leaves the window", () =>
      Effect.gen(function*() {
        const { advance, at, budget } = yield* setup(100)
        yield* budget.reserve(60, 0)
        yield* advance(10_000)
        const waiting = yield* at(budget.reserve(60, 60_000))
        yield* advance(49_999)
        assert.isTrue(yield* isPending(waiting))
        yield* advance(1)
        assert.strictEqual(yield* Fiber.join(waiting), 60_000)
        assert.strictEqual((yield* budget.status).used, 60)
      }))

    test("serves waiting callers first come first served", () =>
      Effect.gen(function*() {
        const { advance, at, budget } = yield* setup(100)
        yield* budget.reserve(60, 0)
        const big = yield* at(budget.reserve(80, 200_000))
        yield* advance(1)
        // 30 would fit beside the 60 at once, but the 80 came first: it is not overtaken.
        const small = yield* at(budget.reserve(30, 200_000))
        yield* advance(200_000)
        assert.strictEqual(yield* Fiber.join(big), 60_000)
        assert.strictEqual(yield* Fiber.join(small), 120_000)
      }))

    test("refuses at once with RateLimited (source budget) a wait longer than maxWaitMs, recording nothing", () =>
      Effect.gen(function*() {
        const { advance, at, budget } = yield* setup(100)
        yield* budget.reserve(100, 0)
        yield* advance(15_500)
        const error = yield* Effect.flip(budget.reserve(1, 44_000))
        assert.strictEqual(error._tag, "RateLimited")
        if (error._tag !== "RateLimited") return
        assert.strictEqual(error.source, "budget")
        assert.strictEqual(error.retryAfterSeconds, 45) // 44.5 s until room, rounded up
        assert.include(error.msg, "longer than the 44,000 ms this call may wait")
        assert.strictEqual(yield* Clock.currentTimeMillis, 15_500)
        const patient = yield* at(budget.reserve(1, 44_500))
        yield* advance(44_500)
        assert.strictEqual(yield* Fiber.join(patient), 60_000)
        const heavy = yield* Effect.flip(budget.reserve(101, Number.POSITIVE_INFINITY))
        assert.include(heavy.msg, "can never fit the limit of 100 per minute")
      }))

    test("100 concurrent callers never overshoot the limit", () =>
      Effect.gen(function*() {
        const { budget, other } = yield* setup(2400)
        const results = yield* Effect.all(
          Array.from({ length: 100 }, (_, i) => Effect.either((i % 2 === 0 ? budget : other).reserve(30, 0))),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(results.filter(Either.isRight).length, 80)
        assert.deepInclude(yield* other.status, { used: 2400, remaining: 0 })
      }))

    test("waiters of two processes over one store never exceed the limit in any 60 s window", () =>
      Effect.gen(function*() {
        const { advance, budget, other } = yield* setup(100)
        const weights = [5, 40, 10, 30, 20, 40, 5, 10]
        const callers = Array.from({ length: 32 }, (_, i) => ({ arrival: i * 1_500, weight: weights[i % weights.length]! }))
        const fibers = yield* Effect.forEach(callers, (c, i) =>
          Effect.sleep(c.arrival).pipe(
            Effect.zipRight((i % 2 === 0 ? budget : other).reserve(c.weight, Number.POSITIVE_INFINITY)),
            Effect.zipRight(Clock.currentTimeMillis),
            Effect.map((at) => ({ at, weight: c.weight })),
            Effect.fork
          ))
        yield* advance(3_600_000)
        const admitted = yield* Effect.forEach(fibers, Fiber.join)
        assert.isAtMost(heaviestWindow(admitted), 100)
        // All 32 (weight 640, at least 6.4 windows' worth) are admitted, without needless gaps.
        assert.isAtMost(Math.max(...admitted.map((a) => a.at)), 8 * WINDOW)
      }))

    test("an interrupted waiter releases its place", () =>
      Effect.gen(function*() {
        const { advance, at, budget } = yield* setup(100)
        yield* budget.reserve(100, 0)
        const first = yield* Effect.fork(budget.reserve(100, Number.POSITIVE_INFINITY))
        yield* advance(1)
        const second = yield* at(budget.reserve(50, Number.POSITIVE_INFINITY))
        yield* advance(1)
        yield* Fiber.interrupt(first)
        yield* advance(60_000)
        assert.strictEqual(yield* Fiber.join(second), 60_000)
      }))

    test("observeUsed counts what the exchange reports beyond the budget's own, and pushes back a waiter", () =>
      Effect.gen(function*() {
        const { advance, at, budget, other } = yield* setup(100)
        yield* budget.reserve(10, 0)
        yield* other.observeUsed(50)
        assert.strictEqual((yield* budget.status).used, 50)
        yield* budget.observeUsed(30) // less than counted: nothing changes
        yield* budget.observeUsed(50) // the same report again: nothing is counted twice
        assert.strictEqual((yield* other.status).used, 50)
        yield* budget.observeUsed(100)
        yield* advance(30_000)
        // Planned at 60 s (when the first 100 leave); another process then spends 90 more at 30 s.
        const waiting = yield* at(budget.reserve(20, 120_000))
        yield* advance(1)
        yield* other.observeUsed(190)
        yield* advance(120_000)
        assert.strictEqual(yield* Fiber.join(waiting), 90_001)
      }))

    test("a pause holds every caller of every process exactly that long, and refuses those it keeps too long", () =>
      Effect.gen(function*() {
        const { advance, at, budget, other } = yield* setup(10)
        yield* budget.reserve(10, 0)
        const patient = yield* at(other.reserve(5, 200_000))
        const hurried = yield* Effect.fork(Effect.either(budget.reserve(5, 70_000)))
        yield* advance(1_000)
        yield* budget.pause(90) // until 91 s
        yield* budget.pause(1) // a shorter pause does not shorten it
        const refused = yield* Fiber.join(hurried) // at once, not at 60 s
        assert.isTrue(Either.isLeft(refused) && refused.left._tag === "RateLimited" && refused.left.retryAfterSeconds === 90)
        assert.strictEqual((yield* other.status).pausedUntil, 91_000)
        const impatient = yield* Effect.flip(other.reserve(1, 1_000))
        assert.include(impatient.msg, "paused for 90,000 ms after a 429")
        yield* advance(89_999)
        assert.isTrue(yield* isPending(patient))
        yield* advance(1)
        assert.strictEqual(yield* Fiber.join(patient), 91_000)
        assert.isNull((yield* budget.status).pausedUntil)
      }))

    test("a ban refuses every caller with IpBanned until it ends, then admits again", () =>
      Effect.gen(function*() {
        const { advance, budget, other } = yield* setup(10)
        yield* budget.reserve(10, 0)
        const waiting = yield* Effect.fork(budget.reserve(1, Number.POSITIVE_INFINITY))
        yield* advance(1)
        yield* budget.ban(120_000)
        yield* budget.ban(30_000) // a shorter ban does not shorten it
        assert.strictEqual((yield* Effect.flip(Fiber.join(waiting)))._tag, "IpBanned")
        const error = yield* Effect.flip(other.reserve(1, Number.POSITIVE_INFINITY))
        assert.deepInclude(error, { _tag: "IpBanned", status: 418, until: 120_000, retryAfterSeconds: 120 })
        assert.strictEqual((yield* other.status).bannedUntil, 120_000)
        yield* advance(119_998)
        assert.strictEqual((yield* Effect.flip(other.reserve(1, 0)))._tag, "IpBanned")
        yield* advance(1)
        yield* other.reserve(1, 0)
        assert.isNull((yield* budget.status).bannedUntil)
      }))

    test("setLimit changes admission, for new and waiting callers of every process", () =>
      Effect.gen(function*() {
        const { advance, at, budget, other } = yield* setup(100)
        yield* budget.reserve(100, 0)
        const waiting = yield* at(budget.reserve(40, 120_000))
        yield* advance(5_000)
        yield* budget.setLimit(200) // room now: the waiter goes at once
        assert.strictEqual(yield* Fiber.join(waiting), 5_000)
        yield* other.reserve(60, 0)
        assert.deepStrictEqual(yield* other.status, { limit: 200, used: 200, remaining: 0, pausedUntil: null, bannedUntil: null })
        yield* other.setLimit(50)
        yield* advance(WINDOW)
        yield* budget.reserve(50, 0)
        assert.strictEqual((yield* Effect.flip(budget.reserve(1, 0)))._tag, "RateLimited")
      }))
  })
