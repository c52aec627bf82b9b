/**
 * The weight budget of each upstream (origin + egress IP label): core's `WeightBudget` policy over a
 * store in this process, or over the Redis store shared by every replica when `redisUrl` is configured.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { BudgetStoreUnavailable } from "@marginctl/core/BudgetStore"
import * as WeightBudget from "@marginctl/core/WeightBudget"
import { GatewayConfig } from "./Config.js"
import * as RedisBudgetStore from "./RedisBudgetStore.js"

export interface UpstreamBudgetsShape {
  readonly kind: "memory" | "redis"
  /** The budget of one upstream key (each call makes a budget of its own over the key's store). */
  readonly make: (upstreamKey: string) => Effect.Effect<WeightBudget.WeightBudgetShape>
}

export class UpstreamBudgets extends Context.Tag("@marginctl/gateway/UpstreamBudgets")<UpstreamBudgets, UpstreamBudgetsShape>() {}

export const layerMemory: Layer.Layer<UpstreamBudgets> = Layer.succeed(UpstreamBudgets, {
  kind: "memory",
  make: () => WeightBudget.makeMemory()
})

export const layerRedis = (url: Parameters<typeof RedisBudgetStore.connect>[0]): Layer.Layer<UpstreamBudgets, BudgetStoreUnavailable> =>
  Layer.scoped(
    UpstreamBudgets,
    Effect.map(RedisBudgetStore.connect(url), (redis) => ({
      kind: "redis" as const,
      make: (upstreamKey: string) =>
        WeightBudget.make(RedisBudgetStore.make(redis, upstreamKey, { defaultLimit: WeightBudget.DEFAULT_LIMIT }))
    }))
  )

/** Redis when `redisUrl` is configured, memory otherwise. */
export const layer: Layer.Layer<UpstreamBudgets, BudgetStoreUnavailable, GatewayConfig> = Layer.unwrapEffect(
  Effect.map(GatewayConfig, (c) => (c.redisUrl === undefined ? layerMemory : layerRedis(c.redisUrl)))
)
