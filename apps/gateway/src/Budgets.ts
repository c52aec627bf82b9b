/**
 * Where weight budgets live: one per upstream (origin + egress IP label), in this process or shared
 * through Redis when `redisUrl` is configured.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as WeightBudget from "@marginctl/core/WeightBudget"
import { GatewayConfig } from "./Config.js"
import * as RedisBudget from "./RedisBudget.js"

export interface BudgetStoreShape {
  readonly kind: "memory" | "redis"
  readonly make: (upstreamKey: string) => Effect.Effect<WeightBudget.WeightBudgetShape>
}

export class BudgetStore extends Context.Tag("@marginctl/gateway/BudgetStore")<BudgetStore, BudgetStoreShape>() {}

export const layerMemory: Layer.Layer<BudgetStore> = Layer.succeed(BudgetStore, {
  kind: "memory",
  make: () => WeightBudget.makeMemory()
})

export const layerRedis = (url: Parameters<typeof RedisBudget.connect>[0]): Layer.Layer<BudgetStore, Error> =>
  Layer.scoped(
    BudgetStore,
    Effect.map(RedisBudget.connect(url), (redis) => ({
      kind: "redis" as const,
      make: (upstreamKey: string) => Effect.succeed(RedisBudget.make(redis, upstreamKey))
    }))
  )

/** Redis when `redisUrl` is configured, memory otherwise. */
export const layer: Layer.Layer<BudgetStore, Error, GatewayConfig> = Layer.unwrapEffect(
  Effect.map(GatewayConfig, (c) => (c.redisUrl === undefined ? layerMemory : layerRedis(c.redisUrl)))
)
