/**
 * The direct backend: core's MarginClient in the worker, over `fetch` (FetchHttpClient), signing with
 * WebCrypto, spending from a weight budget shared by every account on the same Binance host.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as BrowserSocket from "@effect/platform-browser/BrowserSocket"
import * as Client from "@marginctl/core/Client"
import type { UserDataEvent } from "@marginctl/core/UserDataEvent"
import { UserDataStream } from "@marginctl/core/UserDataStream"
import { MarginClient } from "@marginctl/core/MarginClient"
import * as Planner from "@marginctl/core/Planner"
import type { AccountSettings } from "@marginctl/core/Snapshot"
import { WeightBudget, type WeightBudgetShape } from "@marginctl/core/WeightBudget"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { DirectAccount } from "./Accounts.js"
import type { BackendShape } from "./Backend.js"
import { hostOf } from "./Hosts.js"
import type { ApplyStarted, LiveMessage, Overview } from "./Messages.js"
import { fromBinance, fromDesired, fromInvalidInput, type UserError } from "./UserErrors.js"

export interface DirectCredentials {
  readonly apiKey: Redacted.Redacted<string>
  readonly key: Redacted.Redacted<string>
}

/** What the popup shows, from the account's settings (no orders, positions or balances). */
export const overviewOf = (settings: AccountSettings): Overview => ({
  multiAssets: settings.multiAssetsMargin,
  hedgeMode: settings.dualSidePosition,
  symbols: settings.symbols,
  readWeight: settings.readWeight
})

/** A user-data stream's event as the popup takes it (`Connected` says nothing yet: `Resynced` follows). */
export const liveMessageOf = (event: UserDataEvent): LiveMessage | undefined => {
  switch (event._tag) {
    case "Connected":
      return undefined
    case "Resynced":
      return { _tag: "LiveState", overview: overviewOf(event.settings), live: true }
    case "Disconnected":
      return { _tag: "LiveStatus", live: false, reason: "The connection to Binance's account stream was lost; reconnecting." }
    case "MultiAssetsChanged":
      return { _tag: "LiveChange", change: { _tag: "MultiAssets", multiAssets: event.multiAssets } }
    case "MarginTypeChanged":
      return { _tag: "LiveChange", change: { _tag: "MarginType", symbol: event.symbol, marginType: event.marginType } }
    case "LeverageChanged":
      return { _tag: "LiveChange", change: { _tag: "Leverage", symbol: event.symbol, leverage: event.leverage } }
  }
}

/** Builds the backend of one direct account; its client lives as long as `scope`. */
export const make = (
  account: DirectAccount,
  credentials: DirectCredentials,
  budget: WeightBudgetShape
): Effect.Effect<BackendShape, UserError, Scope.Scope> =>
  Effect.gen(function*() {
    const host = hostOf(account.baseUrl)
    const binance = (e: Parameters<typeof fromBinance>[0]) => fromBinance(e, host)
    const layer = Client.layerSharedBudget({
      target: account.baseUrl,
      apiKey: credentials.apiKey,
      ...(account.keyType === "HMAC" ? { secret: credentials.key } : { privateKey: credentials.key })
    }).pipe(Layer.provide(Layer.mergeAll(Layer.succeed(WeightBudget, budget), FetchHttpClient.layer)))
    const context = yield* Layer.build(layer).pipe(Effect.mapError(fromInvalidInput))
    const client = Context.get(context, MarginClient)
    // Showing the account reads its settings alone (weight 10); only a plan reads the orders,
    // positions and balances its blockers come from (the snapshot, weight 96; the leverage brackets,
    // weight 1, only when the desired state names leverage).
    const snapshotFor = (desired: Planner.DesiredState) =>
      Effect.mapError(client.getAccountSnapshotWith({ leverageBrackets: Planner.needsLeverageBrackets(desired) }), binance)

    const runner: Planner.Runner = {
      setMultiAssetsMode: client.setMultiAssetsMode,
      setMarginType: client.setMarginType,
      setPositionMode: client.setPositionMode,
      setLeverage: client.setLeverage
    }

    // The core's user-data stream over the browser's WebSocket, opened for each consumer (a popup):
    // its listen key is created then and DELETEd when the consumer stops.
    const live: Stream.Stream<LiveMessage> = Stream.unwrapScoped(Effect.map(
      Layer.build(UserDataStream.Default({}).pipe(
        Layer.provide(Layer.mergeAll(Layer.succeedContext(context), BrowserSocket.layerWebSocketConstructor))
      )),
      (built) => Context.get(built, UserDataStream).events
    )).pipe(
      Stream.filterMap((event) => Option.fromNullable(liveMessageOf(event))),
      Stream.catchAll((e) =>
        Stream.succeed<LiveMessage>({
          _tag: "LiveStatus",
          live: false,
          reason: e._tag === "StreamConnectionLost"
            ? "Binance's account stream could not be kept open."
            : e._tag === "InvalidInput"
            ? fromInvalidInput(e).title
            : binance(e).title
        })
      )
    )

    return {
      getMode: Effect.mapError(client.getMultiAssetsMode(), binance),
      overview: Effect.map(Effect.mapError(client.settings, binance), overviewOf),
      // Binance keeps no desired state: only a gateway does.
      drift: Effect.succeed(null),
      plan: (desired) =>
        Effect.flatMap(snapshotFor(desired), (s) =>
          Either.match(Planner.plan(desired, s), {
            onLeft: (e) => Effect.fail(fromDesired(e)),
            onRight: Effect.succeed
          })),
      apply: (plan) =>
        Stream.concat(
          Stream.succeed<ApplyStarted>({ _tag: "ApplyStarted", plan }),
          Planner.apply(plan, runner)
        ),
      live
    } satisfies BackendShape
  })
