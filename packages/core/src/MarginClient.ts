/**
 * Reads and changes Multi-Assets Mode, position mode, margin types and leverage, idempotently. Reads
 * use the cheap endpoints (accountConfig and symbolConfig, weight 5; both together are `settings`;
 * leverage brackets, weight 1, only when asked); setters answer `changed` or `unchanged` ("already
 * set" is success), and when an answer is lost they re-read the account and report what is true.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { BinanceHttp } from "./BinanceHttp.js"
import * as Catalog from "./Catalog.js"
import { isDualSide, type MarginType, type PositionMode, type SymbolId } from "./Domain.js"
import {
  type BinanceError,
  type ExecutionUnknown,
  MarginTypeBlocked,
  UnexpectedResponse,
  UnknownSymbol
} from "./Errors.js"
import { changed, type SetResult, unchanged } from "./Outcome.js"
import type { ExchangeInfo, SymbolLeverageBrackets } from "./Responses.js"
import type { AccountSettings, AccountSnapshot, SymbolState } from "./Snapshot.js"

/**
 * The account's settings alone, from accountConfig and symbolConfig (weight 5 + 5): Multi-Assets
 * Mode, position mode, each symbol's margin type and leverage. `MarginClient.settings`, the
 * snapshot and the user-data stream's re-read all read them here.
 */
export const readSettings = (http: BinanceHttp): Effect.Effect<AccountSettings, BinanceError> =>
  Effect.all([http.call(Catalog.accountConfig, {}), http.call(Catalog.symbolConfig, {})], { concurrency: "unbounded" }).pipe(
    Effect.map(([config, symbols]): AccountSettings => ({
      multiAssetsMargin: config.multiAssetsMargin,
      dualSidePosition: config.dualSidePosition,
      symbols: symbols.map((s) => ({
        symbol: s.symbol as SymbolId,
        marginType: s.marginType,
        ...(s.leverage === undefined ? {} : { leverage: s.leverage })
      })),
      readWeight: Catalog.accountConfig.weight({}) + Catalog.symbolConfig.weight({})
    }))
  )

export interface SymbolMarginType {
  readonly symbol: SymbolId
  readonly marginType: MarginType
}

export interface SymbolMaxLeverage {
  readonly symbol: SymbolId
  /** The first bracket's initialLeverage: the highest leverage the symbol allows. */
  readonly maxLeverage: number
}

export interface SnapshotOptions {
  /** Also read the leverage brackets (weight 1) and fill each symbol's `maxLeverage`. */
  readonly leverageBrackets?: boolean | undefined
}

/** The snapshot with each symbol's maximum leverage from the brackets (and their read weight, 1, added). */
export const withMaxLeverage = (
  snapshot: AccountSnapshot,
  brackets: ReadonlyArray<SymbolMaxLeverage>
): AccountSnapshot => {
  const max = new Map(brackets.map((b) => [b.symbol as string, b.maxLeverage]))
  return {
    ...snapshot,
    symbols: snapshot.symbols.map((s) => (max.has(s.symbol) ? { ...s, maxLeverage: max.get(s.symbol)! } : s)),
    readWeight: snapshot.readWeight + Catalog.leverageBrackets.weight({})
  }
}

/** Where the Multi-Assets flag is read from: accountConfig (weight 5, default) or the seeds' GET (weight 30). */
export type ModeSource = "accountConfig" | "multiAssetsMargin"

const reconciled = (outcome: SetResult["outcome"]): SetResult => ({ outcome, reconciled: true })

export class MarginClient extends Effect.Service<MarginClient>()("@marginctl/core/MarginClient", {
  effect: Effect.gen(function*() {
    const http = yield* BinanceHttp

    const exchangeInfo: Effect.Effect<ExchangeInfo, BinanceError> = yield* Effect.cachedWithTTL(
      http.call(Catalog.exchangeInfo, {}).pipe(
        Effect.tap((info) => {
          const weight = info.rateLimits.find((l) =>
            l.rateLimitType === "REQUEST_WEIGHT" && l.interval === "MINUTE" && l.intervalNum === 1
          )
          return weight === undefined ? Effect.void : http.budget.setLimit(weight.limit)
        })
      ),
      "10 minutes"
    )

    const getMultiAssetsMode = (source: ModeSource = "accountConfig"): Effect.Effect<boolean, BinanceError> =>
      source === "accountConfig"
        ? Effect.map(http.call(Catalog.accountConfig, {}), (c) => c.multiAssetsMargin)
        : Effect.map(http.call(Catalog.getMultiAssetsMargin, {}), (c) => c.multiAssetsMargin)

    const getMarginTypes = (
      symbols?: ReadonlyArray<SymbolId>
    ): Effect.Effect<ReadonlyArray<SymbolMarginType>, BinanceError> =>
      Effect.gen(function*() {
        const only = symbols !== undefined && symbols.length === 1 ? symbols[0] : undefined
        const entries = yield* http.call(Catalog.symbolConfig, only === undefined ? {} : { symbol: only }).pipe(
          Effect.catchTag("UnknownSymbol", (e) => Effect.fail(new UnknownSymbol({ ...withoutTag(e), symbol: only })))
        )
        const all = entries.map((e): SymbolMarginType => ({ symbol: e.symbol as SymbolId, marginType: e.marginType }))
        if (symbols === undefined || symbols.length === 0) return all
        const bySymbol = new Map(all.map((e) => [e.symbol as string, e]))
        const missing = symbols.find((s) => !bySymbol.has(s))
        if (missing !== undefined) {
          return yield* new UnknownSymbol({
            status: 400,
            code: -1121,
            msg: "Invalid symbol.",
            endpoint: Catalog.symbolConfig.method + " " + Catalog.symbolConfig.path,
            symbol: missing
          })
        }
        return symbols.map((s) => bySymbol.get(s)!)
      })

    /**
     * Sends a write; on an unknown outcome re-reads the state, and if the change is not there sends it
     * once more (setting a desired value is idempotent), then re-reads again.
     */
    const settle = (
      send: Effect.Effect<SetResult, BinanceError>,
      isSet: Effect.Effect<boolean, BinanceError>
    ): Effect.Effect<SetResult, BinanceError> => {
      const resolve = (unknown: ExecutionUnknown, again: boolean): Effect.Effect<SetResult, BinanceError> =>
        isSet.pipe(
          Effect.mapError(() => unknown),
          Effect.flatMap((done) =>
            done
              ? Effect.succeed(reconciled("changed"))
              : again
              ? send.pipe(
                Effect.map((r) => ({ ...r, reconciled: true })),
                Effect.catchTag("ExecutionUnknown", (e) => resolve(e, false))
              )
              : Effect.fail(unknown)
          )
        )
      return send.pipe(Effect.catchTag("ExecutionUnknown", (e) => resolve(e, true)))
    }

    const setMultiAssetsMode = (on: boolean): Effect.Effect<SetResult, BinanceError> =>
      settle(
        http.call(Catalog.setMultiAssetsMargin, { multiAssetsMargin: on }).pipe(
          Effect.as(changed),
          Effect.catchTag("NoChangeNeeded", () => Effect.succeed(unchanged))
        ),
        Effect.map(getMultiAssetsMode(), (flag) => flag === on)
      ).pipe(Effect.withSpan("MarginClient.setMultiAssetsMode", { captureStackTrace: false }))

    const marginTypeOf = (symbol: SymbolId) =>
      Effect.map(getMarginTypes([symbol]), (entries) => entries[0]?.marginType)

    const setMarginType = (symbol: SymbolId, marginType: MarginType): Effect.Effect<SetResult, BinanceError> =>
      settle(
        http.call(Catalog.setMarginType, { symbol, marginType }).pipe(
          Effect.as(changed),
          Effect.catchTag("NoChangeNeeded", () => Effect.succeed(unchanged)),
          Effect.catchTag("UnknownSymbol", (e) => Effect.fail(new UnknownSymbol({ ...withoutTag(e), symbol }))),
          Effect.catchTag("MarginTypeBlocked", (e) => Effect.fail(new MarginTypeBlocked({ ...withoutTag(e), symbol }))),
          // Binance answers a no-op change on a flat symbol with -4067: re-read before believing it.
          Effect.catchTag("PositionModeBlocked", (e) =>
            e.code === -4067
              ? Effect.flatMap(marginTypeOf(symbol), (current) =>
                current === marginType
                  ? Effect.succeed(reconciled("unchanged"))
                  : Effect.fail(new MarginTypeBlocked({ ...withoutTag(e), reason: "open-orders", symbol })))
              : Effect.fail(e))
        ),
        Effect.map(marginTypeOf(symbol), (current) => current === marginType)
      ).pipe(Effect.withSpan("MarginClient.setMarginType", { attributes: { symbol, marginType }, captureStackTrace: false }))

    const positionModeIs = (mode: PositionMode) =>
      Effect.map(http.call(Catalog.accountConfig, {}), (c) => c.dualSidePosition === isDualSide(mode))

    /** Account-wide; -4059 (already in this mode) is `unchanged`. */
    const setPositionMode = (mode: PositionMode): Effect.Effect<SetResult, BinanceError> =>
      settle(
        http.call(Catalog.setPositionMode, { dualSidePosition: isDualSide(mode) }).pipe(
          Effect.as(changed),
          Effect.catchTag("NoChangeNeeded", () => Effect.succeed(unchanged))
        ),
        positionModeIs(mode)
      ).pipe(Effect.withSpan("MarginClient.setPositionMode", { attributes: { mode }, captureStackTrace: false }))

    const leverageOf = (symbol: SymbolId): Effect.Effect<number | undefined, BinanceError> =>
      http.call(Catalog.symbolConfig, { symbol }).pipe(
        Effect.catchTag("UnknownSymbol", (e) => Effect.fail(new UnknownSymbol({ ...withoutTag(e), symbol }))),
        Effect.map((entries) => entries.find((e) => e.symbol === symbol)?.leverage)
      )

    /**
     * Binance answers a leverage change with the asked value whether or not it changed anything, so
     * "unchanged" comes from the current leverage: `current` when the caller knows it (a plan step's
     * `from`), else read first (symbolConfig for the symbol, weight 5).
     */
    const setLeverage = (
      symbol: SymbolId,
      leverage: number,
      current?: number
    ): Effect.Effect<SetResult, BinanceError> =>
      Effect.gen(function*() {
        const before = current ?? (yield* leverageOf(symbol))
        if (before === leverage) return unchanged
        return yield* settle(
          http.call(Catalog.setLeverage, { symbol, leverage }).pipe(
            Effect.as(changed),
            Effect.catchTag("UnknownSymbol", (e) => Effect.fail(new UnknownSymbol({ ...withoutTag(e), symbol })))
          ),
          Effect.map(leverageOf(symbol), (now) => now === leverage)
        )
      }).pipe(Effect.withSpan("MarginClient.setLeverage", { attributes: { symbol, leverage }, captureStackTrace: false }))

    /** Each symbol's highest leverage (GET /fapi/v1/leverageBracket, weight 1). */
    const getLeverageBrackets: Effect.Effect<ReadonlyArray<SymbolMaxLeverage>, BinanceError> = http.call(
      Catalog.leverageBrackets,
      {}
    ).pipe(
      Effect.map((answer) => {
        const list: ReadonlyArray<SymbolLeverageBrackets> = "symbol" in answer ? [answer] : answer
        return list.map((s): SymbolMaxLeverage => ({
          symbol: s.symbol as SymbolId,
          maxLeverage: Math.max(0, ...s.brackets.map((b) => b.initialLeverage))
        }))
      }),
      Effect.withSpan("MarginClient.getLeverageBrackets", { captureStackTrace: false })
    )

    const settings = readSettings(http).pipe(Effect.withSpan("MarginClient.settings", { captureStackTrace: false }))

    const noLeverage = (symbol: string) =>
      new UnexpectedResponse({
        status: 200,
        code: null,
        msg: `symbolConfig did not give ${symbol}'s leverage`,
        endpoint: Catalog.symbolConfig.method + " " + Catalog.symbolConfig.path
      })

    const getAccountSnapshotWith = (
      options: SnapshotOptions = {}
    ): Effect.Effect<AccountSnapshot, BinanceError> => Effect.gen(function*() {
      const [config, orders, algoOrders, account, info, brackets] = yield* Effect.all([
        settings,
        http.call(Catalog.openOrders, {}),
        http.call(Catalog.openAlgoOrders, {}),
        http.call(Catalog.account, {}),
        exchangeInfo,
        options.leverageBrackets === true ? getLeverageBrackets : Effect.succeed([])
      ], { concurrency: "unbounded" })
      const missing = config.symbols.find((s) => s.leverage === undefined)
      if (missing !== undefined) return yield* noLeverage(missing.symbol)
      const count = new Map<string, number>()
      for (const o of [...orders, ...algoOrders]) count.set(o.symbol, (count.get(o.symbol) ?? 0) + 1)
      const position = new Map<string, { amt: number; im: number }>()
      for (const p of account.positions) {
        const prev = position.get(p.symbol) ?? { amt: 0, im: 0 }
        position.set(p.symbol, { amt: prev.amt + Math.abs(p.positionAmt), im: prev.im + (p.initialMargin ?? 0) })
      }
      const marginAsset = new Map(info.symbols.map((s) => [s.symbol, s.marginAsset ?? s.quoteAsset ?? "USDT"]))
      const marginAvailable = new Map(info.assets.map((a) => [a.asset, a.marginAvailable]))
      const snapshot: AccountSnapshot = {
        multiAssetsMargin: config.multiAssetsMargin,
        dualSidePosition: config.dualSidePosition,
        symbols: config.symbols.map((s): SymbolState => ({
          symbol: s.symbol,
          marginType: s.marginType,
          leverage: s.leverage!,
          openOrders: count.get(s.symbol) ?? 0,
          positionAmt: position.get(s.symbol)?.amt ?? 0,
          initialMargin: position.get(s.symbol)?.im ?? 0,
          marginAsset: marginAsset.get(s.symbol) ?? "USDT"
        })),
        balances: account.assets.map((a) => ({
          asset: a.asset,
          walletBalance: a.walletBalance,
          marginAvailable: marginAvailable.get(a.asset) ?? false
        })),
        creditsMode: account.assets.some((a) => a.asset === "BNFCR"),
        readWeight: config.readWeight + [
          Catalog.openOrders.weight({}),
          Catalog.openAlgoOrders.weight({}),
          Catalog.account.weight({}),
          Catalog.exchangeInfo.weight({})
        ].reduce((a, b) => a + b, 0)
      }
      return options.leverageBrackets === true ? withMaxLeverage(snapshot, brackets) : snapshot
    }).pipe(Effect.withSpan("MarginClient.getAccountSnapshot", { captureStackTrace: false }))

    const getAccountSnapshot = getAccountSnapshotWith()

    return {
      getMultiAssetsMode,
      setMultiAssetsMode,
      getMarginTypes,
      setMarginType,
      setPositionMode,
      setLeverage,
      getLeverageBrackets,
      getAccountSnapshot,
      /** The snapshot, with each symbol's `maxLeverage` when `leverageBrackets` (see `Planner.needsLeverageBrackets`). */
      getAccountSnapshotWith,
      /** Multi-Assets, position mode, every symbol's margin type and leverage (weight 10): no orders, positions or balances. */
      settings,
      exchangeInfo,
      /** Position mode and Multi-Assets in one cheap read (accountConfig, weight 5). */
      getAccountConfig: http.call(Catalog.accountConfig, {}),
      /** Measures the server time offset now (GET /fapi/v1/time). */
      syncClock: http.clock.sync,
      budgetStatus: http.budget.status,
      /** Used by setters that must prove an unknown outcome; exported for callers that reconcile themselves. */
      findSymbol: (symbol: SymbolId) => Effect.map(getMarginTypes([symbol]), (e) => Option.fromNullable(e[0]))
    } as const
  }),
  dependencies: [BinanceHttp.Default]
}) {}

const withoutTag = <A extends { readonly _tag: string }>(e: A): Omit<A, "_tag"> => {
  const { _tag: _, ...rest } = e
  return rest
}
