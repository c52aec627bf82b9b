/**
 * Desired state → ordered plan → apply.
 *
 * A desired state says what Multi-Assets Mode, position mode, margin types and leverage the account
 * should have. The planner compares it with an `AccountSnapshot`, and produces the steps that get
 * there in an order that can never hit -4167 or -4168, each step with its weight and the blockers the
 * snapshot already shows (open orders, positions, negative balances, a leverage above the symbol's
 * maximum, …) explained in plain words with a fix. The order, phase by phase:
 *
 * 1. Multi-Assets off (before any ISOLATED step: Multi-Assets allows only cross margin);
 * 2. position mode (account-wide; independent of Multi-Assets, reference §7.4);
 * 3. margin-type steps;
 * 4. leverage steps — after the margin types, because whether a leverage reduction is refused
 *    (-4161: ISOLATED with an open position) depends on the symbol's margin type;
 * 5. Multi-Assets on (after every ISOLATED symbol is crossed).
 *
 * `apply` runs the steps phase by phase, margin-type and leverage steps with bounded concurrency, and
 * streams progress events that are plain, Schema-encodable data.
 */
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import { LeverageValue, MarginType, PositionMode, SymbolId } from "./Domain.js"
import type { BinanceError, DesiredStateRejected } from "./Errors.js"
import type { Context, Vocabulary } from "./Explain.js"
import * as apply_ from "./internal/plannerApply.js"
import * as describe_ from "./internal/plannerDescribe.js"
import * as plan_ from "./internal/plannerPlan.js"
import type { SetResult } from "./Outcome.js"
import type { AccountSnapshot } from "./Snapshot.js"

// ---------------------------------------------------------------------------------------------
// Desired state

export const SymbolMarginType = Schema.Struct({
  symbol: SymbolId,
  marginType: MarginType
}).annotations({ identifier: "SymbolMarginType" })
export type SymbolMarginType = typeof SymbolMarginType.Type

export const DesiredMarginTypes = Schema.Struct({
  /** Applies to every symbol of the account (as listed by the snapshot). */
  all: Schema.optional(MarginType),
  /** Per-symbol types; they override `all`. */
  symbols: Schema.optional(Schema.Array(SymbolMarginType))
}).annotations({ identifier: "DesiredMarginTypes" })
export type DesiredMarginTypes = typeof DesiredMarginTypes.Type

export const SymbolLeverage = Schema.Struct({
  symbol: SymbolId,
  leverage: LeverageValue
}).annotations({ identifier: "SymbolLeverage" })
export type SymbolLeverage = typeof SymbolLeverage.Type

export const DesiredLeverage = Schema.Struct({
  /** Applies to every symbol of the account (as listed by the snapshot). */
  all: Schema.optional(LeverageValue),
  /** Per-symbol leverage; it overrides `all`. */
  symbols: Schema.optional(Schema.Array(SymbolLeverage))
}).annotations({ identifier: "DesiredLeverage" })
export type DesiredLeverage = typeof DesiredLeverage.Type

/** What the account should look like. Anything left out is left as it is (except what a rule requires). */
export const DesiredState = Schema.Struct({
  multiAssets: Schema.optional(Schema.Boolean),
  positionMode: Schema.optional(PositionMode),
  marginTypes: Schema.optional(DesiredMarginTypes),
  leverage: Schema.optional(DesiredLeverage)
}).annotations({ identifier: "DesiredState" })
export type DesiredState = typeof DesiredState.Type

/** Whether planning `desired` needs each symbol's maximum leverage (read the snapshot with the leverage brackets). */
export const needsLeverageBrackets = (desired: DesiredState): boolean =>
  desired.leverage !== undefined && (desired.leverage.all !== undefined || (desired.leverage.symbols ?? []).length > 0)

/**
 * Rejects a desired state that cannot exist on Binance: one symbol asked to be both ISOLATED and
 * CROSSED, or to have two leverages, a leverage outside 1..125, or Multi-Assets Mode on together
 * with an ISOLATED symbol (or `all: ISOLATED`).
 */
export const validateDesired: (desired: DesiredState) => Either.Either<DesiredState, DesiredStateRejected> =
  plan_.validateDesired

// ---------------------------------------------------------------------------------------------
// Plan

export const BlockerReason = Schema.Literal(
  "open-orders",
  "position",
  "multi-assets",
  "isolated-symbols",
  "negative-balance",
  "insufficient-margin",
  "credits-lock",
  "leverage-above-max",
  "leverage-reduction",
  "blocked-dependency"
)
export type BlockerReason = typeof BlockerReason.Type

/** Something in the account that would make Binance refuse a step, with what to do about it. */
export const Blocker = Schema.Struct({
  /** The Binance error code the step would hit. */
  code: Schema.Number,
  reason: BlockerReason,
  symbol: Schema.optional(SymbolId),
  /** What is in the way, in plain words. */
  text: Schema.String,
  /** What to do about it. */
  fix: Schema.String
}).annotations({ identifier: "Blocker" })
export type Blocker = typeof Blocker.Type

const StepIndex = Schema.Int.pipe(Schema.positive())

const stepCommon = {
  /** 1-based position in the plan; progress events refer to it. */
  index: StepIndex,
  /** Short human description ("Turn Multi-Assets Mode off"). */
  title: Schema.String,
  /** Request weight of the call (POST multiAssetsMargin / positionSide/dual / marginType / leverage: 1). */
  weight: Schema.Literal(1),
  /** Empty when nothing in the snapshot stands in the way. */
  blockers: Schema.Array(Blocker),
  /** Indices of the steps that must succeed first (skipped with them under continueOnBlocked). */
  dependsOn: Schema.Array(StepIndex)
}

export const SetMultiAssetsStep = Schema.TaggedStruct("SetMultiAssets", {
  ...stepCommon,
  value: Schema.Boolean,
  reason: Schema.Literal("requested")
}).annotations({ identifier: "SetMultiAssetsStep" })
export type SetMultiAssetsStep = typeof SetMultiAssetsStep.Type

export const SetMarginTypeStep = Schema.TaggedStruct("SetMarginType", {
  ...stepCommon,
  symbol: SymbolId,
  from: MarginType,
  to: MarginType,
  /** `required-for-multi-assets`: not asked for, but Multi-Assets Mode cannot go on while it is ISOLATED. */
  reason: Schema.Literal("requested", "required-for-multi-assets")
}).annotations({ identifier: "SetMarginTypeStep" })
export type SetMarginTypeStep = typeof SetMarginTypeStep.Type

/** Account-wide: open orders or a position on any symbol block it. */
export const SetPositionModeStep = Schema.TaggedStruct("SetPositionMode", {
  ...stepCommon,
  value: PositionMode,
  from: PositionMode
}).annotations({ identifier: "SetPositionModeStep" })
export type SetPositionModeStep = typeof SetPositionModeStep.Type

export const SetLeverageStep = Schema.TaggedStruct("SetLeverage", {
  ...stepCommon,
  symbol: SymbolId,
  from: Schema.Number,
  to: LeverageValue
}).annotations({ identifier: "SetLeverageStep" })
export type SetLeverageStep = typeof SetLeverageStep.Type

export const Step = Schema.Union(SetMultiAssetsStep, SetPositionModeStep, SetMarginTypeStep, SetLeverageStep).annotations({
  identifier: "Step"
})
export type Step = typeof Step.Type

export const Plan = Schema.Struct({
  /** Ordered: Multi-Assets off, position mode, margin-type steps, leverage steps, Multi-Assets on. */
  steps: Schema.Array(Step),
  /** Weight the reads behind the snapshot cost. */
  readWeight: Schema.Number,
  /** Sum of the steps' weights. */
  applyWeight: Schema.Number,
  /** True when at least one step has blockers. */
  blocked: Schema.Boolean,
  /** Symbols the desired state names (or covers with `all`) that already have the asked type. */
  unchanged: Schema.Array(SymbolId),
  /** True when the desired state asks for the Multi-Assets value the account already has. */
  multiAssetsUnchanged: Schema.Boolean,
  /** The Multi-Assets flag before and after the plan. */
  multiAssets: Schema.Struct({ before: Schema.Boolean, after: Schema.Boolean }),
  /** True when the desired state asks for the position mode the account already has. */
  positionModeUnchanged: Schema.optional(Schema.Boolean),
  /** Symbols the desired state names (or covers with `all`) that already have the asked leverage. */
  leverageUnchanged: Schema.optional(Schema.Array(SymbolId))
}).annotations({ identifier: "Plan" })
export type Plan = typeof Plan.Type

/**
 * Plans the steps from `snapshot` to `desired`. Rejects a contradictory desired state and symbols
 * the account does not have; everything else becomes steps, blocked or not.
 */
export const plan: (desired: DesiredState, snapshot: AccountSnapshot) => Either.Either<Plan, DesiredStateRejected> =
  plan_.plan

/**
 * A plan that nothing the account can do will unblock: every blocker is the credits lock (Credits
 * Trading Mode, BNFCR, only runs in Multi-Assets Mode). Surfaces say "locked" rather than "blocked".
 */
export const isLocked = (plan: Plan): boolean => {
  const blockers = plan.steps.flatMap((s) => s.blockers)
  return blockers.length > 0 && blockers.every((b) => b.reason === "credits-lock")
}

// ---------------------------------------------------------------------------------------------
// Apply

export const StepOutcome = Schema.Literal("changed", "unchanged", "blocked", "failed", "skipped")
export type StepOutcome = typeof StepOutcome.Type

/**
 * An error reduced to data: tag, Binance code (null when none) and the error's own message. Tag
 * `PlannedBlocker` for a step blocked in the plan (code and text of its blockers), `Defect` for an
 * unexpected failure of the runner itself.
 */
export const StepError = Schema.Struct({
  tag: Schema.String,
  code: Schema.NullOr(Schema.Number),
  message: Schema.String
}).annotations({ identifier: "StepError" })
export type StepError = typeof StepError.Type

export const StepStarted = Schema.TaggedStruct("StepStarted", { index: StepIndex })
export type StepStarted = typeof StepStarted.Type

export const StepFinished = Schema.TaggedStruct("StepFinished", {
  index: StepIndex,
  outcome: StepOutcome,
  reconciled: Schema.optional(Schema.Boolean),
  error: Schema.optional(StepError)
})
export type StepFinished = typeof StepFinished.Type

export const ApplySummary = Schema.Struct({
  changed: Schema.Number,
  unchanged: Schema.Number,
  blocked: Schema.Number,
  failed: Schema.Number,
  skipped: Schema.Number,
  /** Every step ended changed or unchanged: the account is in the desired state. */
  complete: Schema.Boolean
}).annotations({ identifier: "ApplySummary" })
export type ApplySummary = typeof ApplySummary.Type

export const Done = Schema.TaggedStruct("Done", { summary: ApplySummary })
export type Done = typeof Done.Type

/**
 * Progress of an apply: `StepStarted` only for steps actually sent; exactly one `StepFinished` per
 * step of the plan (steps blocked in the plan or never started finish without starting); `Done` last.
 */
export const ProgressEvent = Schema.Union(StepStarted, StepFinished, Done).annotations({ identifier: "ProgressEvent" })
export type ProgressEvent = typeof ProgressEvent.Type

/** The setters apply needs (MarginClient provides them; tests use a model). */
export interface Runner<R = never> {
  readonly setMultiAssetsMode: (on: boolean) => Effect.Effect<SetResult, BinanceError, R>
  readonly setPositionMode: (mode: PositionMode) => Effect.Effect<SetResult, BinanceError, R>
  readonly setMarginType: (symbol: SymbolId, type: MarginType) => Effect.Effect<SetResult, BinanceError, R>
  /** `from` is the leverage the plan saw (Binance answers a leverage change alike whether or not it changed it). */
  readonly setLeverage: (symbol: SymbolId, leverage: number, from: number) => Effect.Effect<SetResult, BinanceError, R>
}

export interface ApplyOptions {
  /** How many margin-type (and leverage) steps run at once (default 5). */
  readonly concurrency?: number | undefined
  /** Skip blocked steps (and the steps that depend on them) and go on (default false: stop before the next phase). */
  readonly continueOnBlocked?: boolean | undefined
}

export const DEFAULT_CONCURRENCY = 5

/**
 * Runs the plan and calls `onEvent` for every progress event (the last one is `Done`); returns the
 * summary. Never fails: errors become `blocked` / `failed` steps.
 */
export const applyWith: <R = never, R2 = never>(
  plan: Plan,
  runner: Runner<R>,
  options: ApplyOptions,
  onEvent: (event: ProgressEvent) => Effect.Effect<void, never, R2>
) => Effect.Effect<ApplySummary, never, R | R2> = apply_.applyWith

/** Runs the plan as a stream of progress events ending with `Done`. */
export const apply: <R = never>(plan: Plan, runner: Runner<R>, options?: ApplyOptions) => Stream.Stream<
  ProgressEvent,
  never,
  R
> = apply_.apply

// ---------------------------------------------------------------------------------------------
// Describe

/** One line: what blocks, the Binance code, and the fix in the surface's words (`Explain.explainBlocker`). */
export const describeBlocker: (blocker: Blocker, vocabulary: Vocabulary, context?: Context) => string = describe_.describeBlocker

/** Short human lines for a plan: numbered steps with weights, blockers with fixes, unchanged settings, totals. */
export const describePlan: (plan: Plan, vocabulary: Vocabulary, context?: Context) => Array<string> =
  describe_.describePlan

/** One human line for a progress event (the plan gives the step titles). */
export const describeEvent: (event: ProgressEvent, plan?: Plan) => string = describe_.describeEvent
