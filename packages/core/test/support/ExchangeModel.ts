/**
 * A pure model of the exchange rules for Multi-Assets Mode, position mode, margin type and leverage (reference
 * binance-usdm.md §7.4, check order §8), over an AccountSnapshot-shaped state, plus a Planner runner
 * built on it. Written from the rules, not from the planner, so the planner can be tested against it.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Ref from "effect/Ref"
import { messageOf } from "../../src/BinanceCodes.js"
import { isDualSide, type MarginType, type PositionMode, type SymbolId } from "../../src/Domain.js"
import {
  AccountRejected,
  type BinanceError,
  InvalidParameter,
  MarginTypeBlocked,
  MultiAssetsBlocked,
  PositionModeBlocked,
  UnknownSymbol
} from "../../src/Errors.js"
import * as Outcome from "../../src/Outcome.js"
import type * as Planner from "../../src/Planner.js"
import type { AccountSnapshot } from "../../src/Snapshot.js"

export type ModelState = AccountSnapshot

const MARGIN_TYPE_ENDPOINT = "POST /fapi/v1/marginType"
const MULTI_ASSETS_ENDPOINT = "POST /fapi/v1/multiAssetsMargin"

/** The idempotent no-op answers (0: leverage, which Binance answers as a success either way). */
type NoChangeCode = -4046 | -4171 | -4059 | 0

/** What the exchange answers: a change, an idempotent no-op, or a refusal with its code. */
export type Verdict =
  | { readonly _tag: "Change" }
  | { readonly _tag: "NoChange"; readonly code: NoChangeCode }
  | { readonly _tag: "Reject"; readonly code: number }

const change: Verdict = { _tag: "Change" }
const reject = (code: number): Verdict => ({ _tag: "Reject", code })

/** POST /fapi/v1/marginType: -1121 unknown → -4046 same type → -4168 → -4047 → -4048. */
export const checkMarginType = (state: ModelState, symbol: string, type: MarginType): Verdict => {
  const s = state.symbols.find((x) => x.symbol === symbol)
  if (s === undefined) return reject(-1121)
  if (s.marginType === type) return { _tag: "NoChange", code: -4046 }
  if (type === "ISOLATED" && state.multiAssetsMargin) return reject(-4168)
  if (s.openOrders > 0) return reject(-4047)
  if (s.positionAmt !== 0) return reject(-4048)
  return change
}

/** POST /fapi/v1/multiAssetsMargin: -4171 → -4167 (enabling) → -4170 → -4172 → -4169. */
export const checkMultiAssets = (state: ModelState, on: boolean): Verdict => {
  if (state.multiAssetsMargin === on) return { _tag: "NoChange", code: -4171 }
  if (on && state.symbols.some((s) => s.marginType === "ISOLATED")) return reject(-4167)
  if (state.symbols.some((s) => s.openOrders > 0)) return reject(-4170)
  if (state.balances.some((b) => b.marginAvailable && b.walletBalance < 0)) return reject(-4172)
  if (!on && state.creditsMode) return reject(-4169)
  if (!on) {
    // Without Multi-Assets Mode each margin asset must carry its own positions' initial margin.
    const assets = new Set(state.symbols.map((s) => s.marginAsset))
    for (const asset of assets) {
      const need = state.symbols.filter((s) => s.marginAsset === asset).reduce((n, s) => n + s.initialMargin, 0)
      const have = state.balances.find((b) => b.asset === asset)?.walletBalance ?? 0
      if (need > 0 && need > have) return reject(-4169)
    }
  }
  return change
}

/** POST /fapi/v1/positionSide/dual: -4059 same mode → -4067 any open order → -4068 any position. */
export const checkPositionMode = (state: ModelState, mode: PositionMode): Verdict => {
  if (state.dualSidePosition === isDualSide(mode)) return { _tag: "NoChange", code: -4059 }
  if (state.symbols.some((s) => s.openOrders > 0)) return reject(-4067)
  if (state.symbols.some((s) => s.positionAmt !== 0)) return reject(-4068)
  return change
}

/** POST /fapi/v1/leverage: -1121 unknown → -4028 above the maximum → -4161 reducing an ISOLATED position's. */
export const checkLeverage = (state: ModelState, symbol: string, leverage: number): Verdict => {
  const s = state.symbols.find((x) => x.symbol === symbol)
  if (s === undefined) return reject(-1121)
  if (s.maxLeverage !== undefined && leverage > s.maxLeverage) return reject(-4028)
  if (leverage < s.leverage && s.marginType === "ISOLATED" && s.positionAmt !== 0) return reject(-4161)
  return leverage === s.leverage ? { _tag: "NoChange", code: 0 } : change
}

const otherError = (code: number, endpoint: string, symbol?: string): BinanceError => {
  const base = { status: 400, code, msg: messageOf(code), endpoint }
  switch (code) {
    case -1121:
      return new UnknownSymbol({ ...base, symbol })
    case -4067:
      return new PositionModeBlocked({ ...base, reason: "open-orders" })
    case -4068:
      return new PositionModeBlocked({ ...base, reason: "position" })
    case -4028:
      return new InvalidParameter({ ...base, reason: "leverage" })
    default:
      return new AccountRejected({ ...base, reason: "leverage" })
  }
}

const marginTypeError = (code: number, symbol: string): BinanceError => {
  const base = { status: 400, code, msg: messageOf(code), endpoint: MARGIN_TYPE_ENDPOINT }
  switch (code) {
    case -1121:
      return new UnknownSymbol({ ...base, symbol })
    case -4168:
      return new MarginTypeBlocked({ ...base, reason: "multi-assets", symbol })
    case -4047:
      return new MarginTypeBlocked({ ...base, reason: "open-orders", symbol })
    default:
      return new MarginTypeBlocked({ ...base, reason: "position", symbol })
  }
}

const multiAssetsError = (code: number, state: ModelState): BinanceError => {
  const base = { status: 400, code, msg: messageOf(code), endpoint: MULTI_ASSETS_ENDPOINT }
  switch (code) {
    case -4167:
      return new MultiAssetsBlocked({ ...base, reason: "isolated-symbols" })
    case -4170:
      return new MultiAssetsBlocked({ ...base, reason: "open-orders" })
    case -4172:
      return new MultiAssetsBlocked({ ...base, reason: "negative-balance" })
    default:
      return new MultiAssetsBlocked({ ...base, reason: state.creditsMode ? "credits-lock" : "insufficient-margin" })
  }
}

/** Applies a margin-type change to the state, as the exchange would. */
export const setMarginType = (
  state: ModelState,
  symbol: string,
  type: MarginType
): Either.Either<readonly [Outcome.SetResult, ModelState], BinanceError> => {
  const verdict = checkMarginType(state, symbol, type)
  switch (verdict._tag) {
    case "NoChange":
      return Either.right([Outcome.unchanged, state] as const)
    case "Reject":
      return Either.left(marginTypeError(verdict.code, symbol))
    case "Change":
      return Either.right(
        [
          Outcome.changed,
          { ...state, symbols: state.symbols.map((s) => (s.symbol === symbol ? { ...s, marginType: type } : s)) }
        ] as const
      )
  }
}

/** Applies a Multi-Assets switch to the state, as the exchange would. */
export const setMultiAssets = (
  state: ModelState,
  on: boolean
): Either.Either<readonly [Outcome.SetResult, ModelState], BinanceError> => {
  const verdict = checkMultiAssets(state, on)
  switch (verdict._tag) {
    case "NoChange":
      return Either.right([Outcome.unchanged, state] as const)
    case "Reject":
      return Either.left(multiAssetsError(verdict.code, state))
    case "Change":
      return Either.right([Outcome.changed, { ...state, multiAssetsMargin: on }] as const)
  }
}

/** Applies a verdict's change with `next`. */
const applied = (
  verdict: Verdict,
  state: ModelState,
  error: (code: number) => BinanceError,
  next: () => ModelState
): Either.Either<readonly [Outcome.SetResult, ModelState], BinanceError> =>
  verdict._tag === "NoChange"
    ? Either.right([Outcome.unchanged, state] as const)
    : verdict._tag === "Reject"
    ? Either.left(error(verdict.code))
    : Either.right([Outcome.changed, next()] as const)

export const setPositionMode = (state: ModelState, mode: PositionMode) =>
  applied(
    checkPositionMode(state, mode),
    state,
    (code) => otherError(code, "POST /fapi/v1/positionSide/dual"),
    () => ({ ...state, dualSidePosition: isDualSide(mode) })
  )

export const setLeverage = (state: ModelState, symbol: string, leverage: number) =>
  applied(
    checkLeverage(state, symbol, leverage),
    state,
    (code) => otherError(code, "POST /fapi/v1/leverage", symbol),
    () => ({ ...state, symbols: state.symbols.map((s) => (s.symbol === symbol ? { ...s, leverage } : s)) })
  )

/** One call the runner received, with the code the model answered (200 for a change). */
export type Call =
  | { readonly kind: "multi-assets"; readonly on: boolean; readonly code: number }
  | { readonly kind: "margin-type"; readonly symbol: SymbolId; readonly type: MarginType; readonly code: number }
  | { readonly kind: "position-mode"; readonly mode: PositionMode; readonly code: number }
  | { readonly kind: "leverage"; readonly symbol: SymbolId; readonly leverage: number; readonly code: number }

export interface ModelRunner {
  readonly runner: Planner.Runner
  readonly state: Effect.Effect<ModelState>
  readonly calls: Effect.Effect<ReadonlyArray<Call>>
  readonly maxInFlight: Effect.Effect<number>
}

/** The code the exchange answered: 200 for a change, the no-op code for "unchanged", else the error's. */
const codeOf = (
  e: Either.Either<readonly [Outcome.SetResult, ModelState], BinanceError>,
  noChange: NoChangeCode
): number =>
  Either.isRight(e)
    ? e.right[0].outcome === "unchanged" ? noChange : 200
    : "code" in e.left && typeof e.left.code === "number"
    ? e.left.code
    : 0

/**
 * A runner over the model. `delay` runs inside each call (while it counts as in flight), to let
 * concurrent calls overlap; `fail` replaces the answer of chosen calls (to inject transport errors).
 */
export const makeRunner = (
  initial: ModelState,
  options: {
    readonly delay?: Effect.Effect<void>
    readonly fail?: (call: { readonly symbol?: SymbolId; readonly on?: boolean }) => BinanceError | undefined
  } = {}
): Effect.Effect<ModelRunner> =>
  Effect.gen(function*() {
    const state = yield* Ref.make(initial)
    const calls = yield* Ref.make<ReadonlyArray<Call>>([])
    const inFlight = yield* Ref.make(0)
    const maxInFlight = yield* Ref.make(0)
    const delay = options.delay ?? Effect.void

    const run = (
      record: (code: number) => Call,
      noChange: NoChangeCode,
      injected: BinanceError | undefined,
      step: (s: ModelState) => Either.Either<readonly [Outcome.SetResult, ModelState], BinanceError>
    ): Effect.Effect<Outcome.SetResult, BinanceError> =>
      Effect.gen(function*() {
        const now = yield* Ref.updateAndGet(inFlight, (n) => n + 1)
        yield* Ref.update(maxInFlight, (m) => Math.max(m, now))
        // An injected failure answers at once; the model's answers take `delay`.
        if (injected === undefined) yield* delay
        const result = injected !== undefined
          ? Either.left(injected)
          : yield* Ref.modify(state, (s) => {
            const r = step(s)
            return [r, Either.isRight(r) ? r.right[1] : s] as const
          })
        yield* Ref.update(calls, (cs) => [...cs, record(codeOf(result, noChange))])
        yield* Ref.update(inFlight, (n) => n - 1)
        return yield* Either.match(result, {
          onLeft: (e) => Effect.fail(e),
          onRight: ([r]) => Effect.succeed(r)
        })
      })

    const runner: Planner.Runner = {
      setMultiAssetsMode: (on) =>
        run(
          (code) => ({ kind: "multi-assets", on, code }),
          -4171,
          options.fail?.({ on }),
          (s) => setMultiAssets(s, on)
        ),
      setMarginType: (symbol, type) =>
        run(
          (code) => ({ kind: "margin-type", symbol, type, code }),
          -4046,
          options.fail?.({ symbol }),
          (s) => setMarginType(s, symbol, type)
        ),
      setPositionMode: (mode) =>
        run((code) => ({ kind: "position-mode", mode, code }), -4059, undefined, (s) => setPositionMode(s, mode)),
      setLeverage: (symbol, leverage) =>
        run(
          (code) => ({ kind: "leverage", symbol, leverage, code }),
          0,
          options.fail?.({ symbol }),
          (s) => setLeverage(s, symbol, leverage)
        )
    }
    return { runner, state: Ref.get(state), calls: Ref.get(calls), maxInFlight: Ref.get(maxInFlight) }
  })
