/**
 * marginctl's core as a benchmark client: MarginClient with an HMAC Signer, the in-memory WeightBudget
 * and one of three HTTP layers (the core's Node entry point — undici and node:crypto —, @effect/platform-node's
 * node:http client, fetch), held by a ManagedRuntime. Loaded with a
 * dynamic import so that a peer's worker process never loads Effect (and vice versa).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as BinanceConfig from "@marginctl/core/BinanceConfig"
import * as Client from "@marginctl/core/Client"
import { NodeClient, NodeSigner } from "@marginctl/core/node"
import { MarginClient } from "@marginctl/core/MarginClient"
import * as Planner from "@marginctl/core/Planner"
import * as Signer from "@marginctl/core/Signer"
import * as WeightBudget from "@marginctl/core/WeightBudget"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import type { Adapter, MarginctlVariant, Target } from "./clients.js"

/**
 * Diagnostics only (never the reported marginctl figure): swap one part of the core for a trivial one
 * to see what it costs per call. `budget`: a WeightBudget that admits everything; `tracer`: spans disabled.
 */
export type Diag = "budget" | "tracer"

const openBudget = Layer.succeed(WeightBudget.WeightBudget, {
  reserve: () => Effect.void,
  observeUsed: () => Effect.void,
  pause: () => Effect.void,
  ban: () => Effect.void,
  setLimit: () => Effect.void,
  status: Effect.succeed({ limit: 2400, used: 0, remaining: 2400, pausedUntil: null, bannedUntil: null })
})

const httpLayer = (variant: MarginctlVariant): Layer.Layer<HttpClient.HttpClient> =>
  variant === "marginctl-undici"
    ? NodeClient.layer
    : variant === "marginctl-nodehttp"
    ? NodeHttpClient.layer
    : FetchHttpClient.layer

export interface MarginctlHandle {
  readonly runtime: ManagedRuntime.ManagedRuntime<MarginClient, never>
  readonly client: MarginClient
}

/** The core's MarginClient in a ManagedRuntime. `learnLimit` reads exchangeInfo first so the budget knows the limit. */
export const make = async (
  variant: MarginctlVariant,
  target: Target,
  options: { readonly learnLimit?: boolean; readonly maxBudgetWaitMs?: number; readonly diag?: ReadonlyArray<Diag> } = {}
): Promise<MarginctlHandle> => {
  const diag = new Set(options.diag ?? [])
  const maxWaitMs = options.maxBudgetWaitMs === undefined ? {} : { maxBudgetWaitMs: options.maxBudgetWaitMs }
  // The reported figure uses the documented one-call layer; a diagnostic swaps one part by hand.
  const clientLayer = diag.size === 0
    ? Client.layer({ target: target.url, apiKey: target.apiKey, secret: target.secret, budget: { maxWaitMs: options.maxBudgetWaitMs } })
    : MarginClient.Default.pipe(Layer.provide(Layer.mergeAll(
      BinanceConfig.layer({ baseUrl: target.url, apiKey: Redacted.make(target.apiKey), ...maxWaitMs }),
      variant === "marginctl-undici"
        ? NodeSigner.layer(Signer.hmac(Redacted.make(target.secret)))
        : Signer.layer(Signer.hmac(Redacted.make(target.secret))),
      diag.has("budget") ? openBudget : WeightBudget.layerMemory()
    )))
  const layer = clientLayer.pipe(
    Layer.provide(httpLayer(variant)),
    Layer.provideMerge(diag.has("tracer") ? Layer.setTracerEnabled(false) : Layer.empty),
    Layer.orDie
  )
  const runtime = ManagedRuntime.make(layer)
  const client = await runtime.runPromise(MarginClient)
  if (options.learnLimit ?? true) await runtime.runPromise(client.exchangeInfo)
  return { runtime, client }
}

/** Each operation is one `runtime.runPromise`, as a Promise-based caller would use the core. */
export const adapter = async (variant: MarginctlVariant, target: Target, diag: ReadonlyArray<Diag> = []): Promise<Adapter> => {
  const { client, runtime } = await make(variant, target, { diag })
  return {
    name: variant,
    readMultiAssets: () => runtime.runPromise(client.getMultiAssetsMode()),
    setMultiAssets: (on) => runtime.runPromise(client.setMultiAssetsMode(on)),
    readMarginType: (symbol) => runtime.runPromise(client.getMarginTypes([symbol as never])).then((e) => e[0]!.marginType),
    setMarginType: (symbol, type) => runtime.runPromise(client.setMarginType(symbol as never, type)),
    close: () => runtime.dispose()
  }
}

export interface BulkOutcome {
  readonly summary: Planner.ApplySummary
  readonly planSteps: number
  readonly readWeight: number
  readonly timedOut: boolean
}

/**
 * What `marginctl margin-type set ISOLATED S001USDT …` does: snapshot → plan → apply with bounded
 * concurrency inside the weight budget. `deadlineMs` interrupts the apply (bounded benchmark rounds).
 */
export const bulkSet = (
  handle: MarginctlHandle,
  symbols: ReadonlyArray<string>,
  marginType: "ISOLATED" | "CROSSED",
  concurrency: number,
  deadlineMs: number
): Promise<BulkOutcome> =>
  handle.runtime.runPromise(Effect.gen(function*() {
    const snapshot = yield* handle.client.getAccountSnapshot
    const desired = { marginTypes: { symbols: symbols.map((symbol) => ({ symbol: symbol as never, marginType })) } }
    const plan = yield* Either.match(Planner.plan(desired, snapshot), {
      onLeft: (e) => Effect.die(e),
      onRight: Effect.succeed
    })
    // Counted from the events, so that a run cut by the deadline still says how far it got.
    const counts = { changed: 0, unchanged: 0, blocked: 0, failed: 0, skipped: 0 }
    const summary = yield* Planner.applyWith(plan, handle.client, { concurrency }, (event) =>
      Effect.sync(() => {
        if (event._tag === "StepFinished") counts[event.outcome]++
      })).pipe(Effect.timeout(deadlineMs), Effect.option)
    return {
      summary: summary._tag === "Some" ? summary.value : { ...counts, complete: false },
      planSteps: plan.steps.length,
      readWeight: plan.readWeight,
      timedOut: summary._tag === "None"
    }
  }))
