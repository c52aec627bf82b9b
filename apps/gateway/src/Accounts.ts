/**
 * The accounts the gateway holds keys for. Each gets its own MarginClient (its signer, its config)
 * built once at start-up; accounts that call the same upstream from the same egress IP share one
 * WeightBudget, so every request of every caller spends from one budget per upstream IP.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { BinanceConfig } from "@marginctl/core/BinanceConfig"
import { BinanceHttp } from "@marginctl/core/BinanceHttp"
import * as Client from "@marginctl/core/Client"
import { NodeSigner } from "@marginctl/core/node"
import type { BinanceError } from "@marginctl/core/Errors"
import { MarginClient } from "@marginctl/core/MarginClient"
import type { ServerClockShape } from "@marginctl/core/ServerClock"
import * as Signer from "@marginctl/core/Signer"
import { TimedHttpClient } from "@marginctl/core/TimedHttpClient"
import * as WeightBudget from "@marginctl/core/WeightBudget"
import { GatewayConfig } from "./Config.js"
import { ConfigError } from "./ConfigError.js"
import { UpstreamBudgets } from "./UpstreamBudgets.js"
import { Metrics } from "./Metrics.js"
import type { Policy } from "./Policy.js"
import type { ReconcileMode } from "@marginctl/gateway-api/Desired"

export interface AccountRuntime {
  readonly name: string
  /** host[:port] of the upstream, for display and metric labels. */
  readonly upstream: string
  readonly upstreamKey: string
  readonly keyType: Signer.KeyType
  readonly client: MarginClient
  readonly clock: ServerClockShape<BinanceError>
  readonly budget: WeightBudget.WeightBudgetShape
  /** The rules every change of the account must keep (`accounts[].policy`). */
  readonly policy: Policy
  /** What to do when it drifts from its desired state. */
  readonly reconcile: ReconcileMode
  /** The account's core services (its BinanceHttp, BinanceConfig, …), e.g. for its user-data stream. */
  readonly context: Context.Context<BinanceHttp | BinanceConfig>
}

export interface AccountsShape {
  readonly list: ReadonlyArray<AccountRuntime>
  readonly get: (name: string) => AccountRuntime | undefined
  /** One budget per upstream key. */
  readonly budgets: ReadonlyMap<string, { readonly upstream: string; readonly budget: WeightBudget.WeightBudgetShape }>
}

export class Accounts extends Context.Tag("@marginctl/gateway/Accounts")<Accounts, AccountsShape>() {}

/**
 * Builds the accounts; `HttpClient` is the upstream client (undici in production, the simulator in
 * tests). Keys sign with node:crypto (`NodeSigner`); when the upstream layer also provides a
 * `TimedHttpClient` (the core's `NodeClient.layer`), requests are bounded by its timer instead of a fiber.
 */
export const layer: Layer.Layer<Accounts, ConfigError, GatewayConfig | UpstreamBudgets | Metrics | HttpClient.HttpClient> =
  Layer.scoped(
    Accounts,
    Effect.gen(function*() {
      const config = yield* GatewayConfig
      const upstreamBudgets = yield* UpstreamBudgets
      const metrics = yield* Metrics
      const upstreamHttp = yield* HttpClient.HttpClient
      const upstreamTimed = yield* Effect.serviceOption(TimedHttpClient)
      const budgets = new Map<string, { upstream: string; budget: WeightBudget.WeightBudgetShape }>()
      const list: Array<AccountRuntime> = []

      for (const [i, a] of config.accounts.entries()) {
        const upstream = new URL(a.baseUrl).host
        let shared = budgets.get(a.upstreamKey)
        if (shared === undefined) {
          shared = { upstream, budget: yield* upstreamBudgets.make(a.upstreamKey) }
          budgets.set(a.upstreamKey, shared)
        }
        const counted = (client: HttpClient.HttpClient) =>
          HttpClient.tap(client, (res) => Effect.sync(() => metrics.upstream(upstream, res.status)))
        const timed = upstreamTimed._tag === "Some"
          ? Layer.succeed(TimedHttpClient, { withTimeout: (ms) => counted(upstreamTimed.value.withTimeout(ms)) })
          : Layer.empty
        const context = yield* Layer.build(
          Client.layerSharedBudget({
            target: a.baseUrl,
            apiKey: a.apiKey,
            ...Client.credentialOptions(a.credentials),
            recvWindow: a.recvWindow,
            requestTimeoutMs: config.requestTimeoutMs,
            budget: { maxWaitMs: config.maxBudgetWaitMs }
          }).pipe(Layer.provide(Layer.mergeAll(
            Layer.succeed(WeightBudget.WeightBudget, shared.budget),
            Layer.succeed(HttpClient.HttpClient, counted(upstreamHttp)),
            timed,
            NodeSigner.layerMaker
          )))
        ).pipe(Effect.mapError((e) => new ConfigError({ field: `accounts[${i}]`, message: `${a.name}: ${e.message}` })))
        const client = Context.get(context, MarginClient)
        list.push({
          name: a.name,
          upstream,
          upstreamKey: a.upstreamKey,
          keyType: Context.get(context, Signer.Signer).keyType,
          client,
          clock: Context.get(context, BinanceHttp).clock,
          budget: shared.budget,
          policy: a.policy,
          reconcile: a.reconcile,
          context
        })
      }

      // Learn each upstream's weight limit and clock offset in the background (readiness needs the offset).
      for (const account of list) {
        yield* Effect.forkScoped(
          Effect.all([account.client.exchangeInfo, account.client.syncClock], { discard: true }).pipe(
            Effect.tapError((e) => Effect.logWarning(`account ${account.name}: first upstream contact failed: ${e.message}`)),
            Effect.ignore
          )
        )
      }

      const statuses = Effect.forEach([...budgets.values()], ({ budget, upstream }) =>
        Effect.map(budget.status, (s) => ({ upstream, s })))
      const gauges = [["used", "Weight counted in the last 60 s"], ["remaining", "Weight left in the 60 s window"], ["limit", "Weight limit per minute"]] as const
      for (const [field, help] of gauges) {
        metrics.addGauge({
          name: `marginctl_gateway_upstream_weight_${field}`,
          help: `${help}, per upstream`,
          read: Effect.map(statuses, (xs) => xs.map(({ s, upstream }) => [{ upstream }, s[field]] as const))
        })
      }

      const byName = new Map(list.map((a) => [a.name, a]))
      return { list, get: (name) => byName.get(name), budgets } satisfies AccountsShape
    })
  )
