/**
 * The Redis WeightBudget, with two connections standing for two gateway replicas on the same
 * upstream: one sliding window, shared pauses and bans, observed usage, fail-closed without Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as RedisBudget from "../src/RedisBudget.js"
import { freePort, hasRedis, startRedis } from "./support/servers.js"

describe.skipIf(!hasRedis() && !process.env.CI)("RedisBudget", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  let scope: Scope.CloseableScope
  let a: RedisBudget.RedisClient
  let b: RedisBudget.RedisClient
  beforeAll(async () => {
    redis = await startRedis()
    scope = Effect.runSync(Scope.make())
    a = await Effect.runPromise(Scope.extend(RedisBudget.connect(Redacted.make(redis!.url)), scope))
    b = await Effect.runPromise(Scope.extend(RedisBudget.connect(Redacted.make(redis!.url)), scope))
  }, 30_000)
  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await redis?.stop()
  })

  const pair = async (key: string, limit: number) => {
    const one = RedisBudget.make(a, key)
    const two = RedisBudget.make(b, key)
    await Effect.runPromise(one.setLimit(limit))
    return [one, two] as const
  }
  const run = Effect.runPromise
  const flip = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(Effect.flip(e))

  it("one window for every replica: the last room goes to exactly one caller", async () => {
    const [one, two] = await pair("https://fapi.example|ip-1", 100)
    await run(one.reserve(60, 0))
    const refused = await flip(two.reserve(60, 0))
    expect(refused).toMatchObject({ _tag: "RateLimited", source: "budget" })
    expect(refused.message).toContain("longer than the 0 ms")
    expect((refused as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(59)
    await run(two.reserve(40, 0))
    expect(await run(one.status)).toMatchObject({ limit: 100, used: 100, remaining: 0 })
    expect(await run(two.status)).toMatchObject({ used: 100 })
    const heavy = await flip(one.reserve(101, 1000))
    expect(heavy.message).toContain("can never fit")
  })

  it("concurrent reservations from two replicas never exceed the limit", async () => {
    const [one, two] = await pair("https://fapi.example|ip-2", 100)
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => Effect.runPromiseExit((i % 2 === 0 ? one : two).reserve(5, 0)))
    )
    expect(results.filter(Exit.isSuccess).length).toBe(20)
    expect((await run(one.status)).used).toBe(100)
  })

  it("waits (bounded) for room, and a pause from one replica holds the other", async () => {
    const [one, two] = await pair("https://fapi.example|ip-3", 100)
    await run(one.pause(1))
    const paused = await flip(two.reserve(1, 0))
    expect(paused.message).toContain("paused")
    const t0 = Date.now()
    await run(two.reserve(1, 3000))
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800)
    expect((await run(one.status)).pausedUntil).toBeNull()
  })

  it("a ban from one replica stops the other until it ends", async () => {
    const [one, two] = await pair("https://fapi.example|ip-4", 100)
    const until = Date.now() + 60_000
    await run(one.ban(until))
    const banned = await flip(two.reserve(1, 10_000))
    expect(banned).toMatchObject({ _tag: "IpBanned", until })
    expect((await run(two.status)).bannedUntil).toBe(until)
  })

  it("counts what the exchange reports beyond the replicas' own reservations", async () => {
    const [one, two] = await pair("https://fapi.example|ip-5", 100)
    await run(one.reserve(10, 0))
    await run(two.observeUsed(50))
    expect((await run(one.status)).used).toBe(50)
    await run(two.observeUsed(20)) // less than counted: nothing to add
    expect((await run(one.status)).used).toBe(50)
    await flip(one.reserve(51, 0))
    await run(one.reserve(50, 0))
  })

  it("keeps budgets of different upstreams apart", async () => {
    const [one] = await pair("https://fapi.example|ip-6", 10)
    const [other] = await pair("https://fapi.example|ip-7", 10)
    await run(one.reserve(10, 0))
    await run(other.reserve(10, 0))
    expect(RedisBudget.keysFor("https://fapi.example|ip-6")[0]).not.toBe(RedisBudget.keysFor("https://fapi.example|ip-7")[0])
  })

  it("fails closed when Redis is unreachable", async () => {
    const port = await freePort()
    const error = await Effect.runPromise(Effect.flip(Effect.scoped(RedisBudget.connect(Redacted.make(`redis://127.0.0.1:${port}`)))))
    expect(error.message).toContain("cannot connect to Redis")
    // A budget whose connection is gone refuses calls instead of letting them through.
    const lost = RedisBudget.make(a, "https://fapi.example|ip-8")
    const scope2 = Effect.runSync(Scope.make())
    const c = await Effect.runPromise(Scope.extend(RedisBudget.connect(Redacted.make(redis!.url)), scope2))
    await c.quit()
    const refused = await flip(RedisBudget.make(c, "https://fapi.example|ip-8").reserve(1, 0))
    expect(refused).toMatchObject({ _tag: "RateLimited", source: "budget" })
    expect(refused.message).toContain("shared weight budget unavailable")
    await run(lost.reserve(1, 0))
    await Effect.runPromise(Scope.close(scope2, Exit.void))
  })
})
