/**
 * The weight budget's stores: one contract for the in-memory store and the Redis one (a real
 * redis-server), then what only Redis has — replicas on separate connections, keys per upstream,
 * and a Redis that cannot be reached or goes away.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as BudgetStore from "@marginctl/core/BudgetStore"
import * as WeightBudget from "@marginctl/core/WeightBudget"
import * as crypto from "node:crypto"
import * as RedisBudgetStore from "../src/RedisBudgetStore.js"
import { budgetStoreContract } from "./support/budgetStoreContract.js"
import { freePort, hasRedis, startRedis } from "./support/servers.js"

budgetStoreContract("memory", BudgetStore.layerMemory({ limit: WeightBudget.DEFAULT_LIMIT }))

describe.skipIf(!hasRedis() && !process.env.CI)("RedisBudgetStore", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  let scope: Scope.CloseableScope
  let a: RedisBudgetStore.RedisClient
  let b: RedisBudgetStore.RedisClient
  const connect = (url: string, into: Scope.Scope) =>
    Effect.runPromise(Scope.extend(RedisBudgetStore.connect(Redacted.make(url)), into))
  beforeAll(async () => {
    redis = await startRedis()
    scope = Effect.runSync(Scope.make())
    a = await connect(redis!.url, scope)
    b = await connect(redis!.url, scope)
  }, 30_000)
  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await redis?.stop()
  })
  const storeOf = (client: RedisBudgetStore.RedisClient, key: string) =>
    RedisBudgetStore.make(client, key, { defaultLimit: WeightBudget.DEFAULT_LIMIT })

  // A fresh upstream key for every test.
  budgetStoreContract(
    "redis",
    Layer.effect(BudgetStore.BudgetStore, Effect.sync(() => storeOf(a, `https://fapi.example|${crypto.randomUUID()}`)))
  )

  const run = Effect.runPromise
  const flip = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(Effect.flip(e))
  /** Two replicas (two connections) on one upstream, in real time. */
  const replicas = async (key: string, limit: number) => {
    const one = await run(WeightBudget.make(storeOf(a, key)))
    const two = await run(WeightBudget.make(storeOf(b, key)))
    await run(one.setLimit(limit))
    return [one, two] as const
  }

  it("replicas on two connections share one window: the last room goes to exactly one caller", async () => {
    const [one, two] = await replicas("https://fapi.example|ip-1", 100)
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => Effect.runPromiseExit((i % 2 === 0 ? one : two).reserve(5, 0)))
    )
    expect(results.filter(Exit.isSuccess).length).toBe(20)
    const refused = await flip(two.reserve(1, 0))
    expect(refused).toMatchObject({ _tag: "RateLimited", source: "budget" })
    expect(await run(one.status)).toMatchObject({ limit: 100, used: 100, remaining: 0 })
  })

  it("a waiter wakes when a pause set by another replica ends", async () => {
    const [one, two] = await replicas("https://fapi.example|ip-2", 100)
    await run(one.pause(1))
    expect((await flip(two.reserve(1, 0))).message).toContain("paused")
    const t0 = Date.now()
    await run(two.reserve(1, 3000))
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900)
    expect((await run(one.status)).pausedUntil).toBeNull()
  })

  it("keeps budgets of different upstreams apart", async () => {
    const [one] = await replicas("https://fapi.example|ip-3", 10)
    const [other] = await replicas("https://fapi.example|ip-4", 10)
    await run(one.reserve(10, 0))
    await run(other.reserve(10, 0))
    expect(RedisBudgetStore.keysFor("https://fapi.example|ip-3").window)
      .not.toBe(RedisBudgetStore.keysFor("https://fapi.example|ip-4").window)
  })

  it("a Redis that cannot be reached is BudgetStoreUnavailable, and the budget refuses calls", async () => {
    const port = await freePort()
    const error = await flip(Effect.scoped(RedisBudgetStore.connect(Redacted.make(`redis://user:hunter2@127.0.0.1:${port}`))))
    expect(error).toMatchObject({ _tag: "BudgetStoreUnavailable", status: 503 })
    expect(error.reason).toContain("cannot connect to Redis")
    expect(error.reason).not.toContain("hunter2")
  })

  it("a Redis that goes away fails every primitive with BudgetStoreUnavailable; calls are refused, not sent", async () => {
    const server = (await startRedis())!
    const scope2 = Effect.runSync(Scope.make())
    const client = await connect(server.url, scope2)
    const store = storeOf(client, "https://fapi.example|ip-5")
    const budget = await run(WeightBudget.make(store))
    await run(budget.reserve(1, 0))
    await server.stop()
    const now = Date.now()
    for (const primitive of [store.reserve(1, now), store.read(now), store.observeUsed(10, now), store.pauseUntil(now), store.setLimit(10)]) {
      expect(await flip(primitive)).toMatchObject({ _tag: "BudgetStoreUnavailable", status: 503 })
    }
    const refused = await flip(budget.reserve(1, 0))
    expect(refused).toMatchObject({ _tag: "RateLimited", source: "budget" })
    expect(refused.message).toContain("weight budget store unavailable")
    await run(budget.observeUsed(10)) // a correction that cannot be recorded is logged, not thrown
    await Effect.runPromise(Scope.close(scope2, Exit.void))
  }, 30_000)
})
