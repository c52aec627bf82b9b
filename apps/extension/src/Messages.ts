/**
 * What the pages and the service worker say to each other, typed with Schema and decoded on receipt
 * on both sides. A request is a tagged struct sent with `chrome.runtime.sendMessage` and answered with
 * `{ _tag: "Ok", value }` or `{ _tag: "Err", error }`; an apply streams its progress over a
 * `chrome.runtime.connect` port named "apply", and the account's setting changes made elsewhere
 * come over a port named "live" while the popup is open.
 *
 * Plain structs only (no Schema classes): this module is in the popup's bundle, which has a budget.
 * Nothing here ever carries a secret back to a page; the passphrase goes one way, page → worker.
 */
import { MarginType } from "@marginctl/core/Domain"
import * as Explain from "@marginctl/core/Explain"
import { DesiredState, Plan, ProgressEvent } from "@marginctl/core/Planner"
import * as Schema from "effect/Schema"

/** An error as the person sees it: what happened, in plain words, and what to do about it. */
export const userErrorFields = {
  /** Short: "Binance rejected the API key". */
  title: Schema.String,
  /** One or two sentences; may quote Binance's message (never a URL with a query, never a secret). */
  detail: Schema.String,
  /** What to do. */
  fix: Schema.optional(Schema.String),
  /** Binance's error code when there is one. */
  code: Schema.optional(Schema.Number),
  /** Lets pages react: `locked` shows the passphrase form, `setup` points at the options page. */
  kind: Schema.Union(Explain.Kind, Schema.Literal("locked", "setup", "internal"))
}
export const UserErrorData = Schema.TaggedStruct("UserError", userErrorFields)
export type UserErrorData = typeof UserErrorData.Type

export const VaultStatus = Schema.Literal("missing", "locked", "unlocked")
export type VaultStatus = typeof VaultStatus.Type

export const AccountSummary = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  backend: Schema.Literal("direct", "gateway"),
  /** "Production", "Testnet", "Demo", the custom host, or "gateway <host>". */
  where: Schema.String
})
export type AccountSummary = typeof AccountSummary.Type

export const PopupState = Schema.Struct({
  accounts: Schema.Array(AccountSummary),
  selected: Schema.NullOr(Schema.String),
  vault: VaultStatus
})
export type PopupState = typeof PopupState.Type

/** One symbol's settings: a pushed change of its margin type or leverage replaces its row. */
export const SymbolRow = Schema.Struct({
  symbol: Schema.String,
  marginType: MarginType,
  /** Absent when the backend does not say (a gateway lists margin types only). */
  leverage: Schema.optional(Schema.Number)
})
export type SymbolRow = typeof SymbolRow.Type

/**
 * The account's settings as the popup shows them on open (weight 10 on the direct backend): no
 * orders, positions or balances, which only a plan reads.
 */
export const Overview = Schema.Struct({
  multiAssets: Schema.Boolean,
  /** Hedge mode (true) or one-way mode (false); null when the backend does not say. */
  hedgeMode: Schema.NullOr(Schema.Boolean),
  /** Every symbol of the account (the popup shows the isolated ones and searches the rest). */
  symbols: Schema.Array(SymbolRow),
  /** Weight the reads behind it cost. */
  readWeight: Schema.Number
})
export type Overview = typeof Overview.Type


// ---------------------------------------------------------------------------------------------
// Requests

const account = Schema.String

/** Accounts, the selected one and whether the vault is locked. */
export const GetState = Schema.TaggedStruct("GetState", {})
export const SelectAccount = Schema.TaggedStruct("SelectAccount", { account })
/** Unlocks the vault for this browser session (the worker wraps the passphrase in a Redacted at once). */
export const Unlock = Schema.TaggedStruct("Unlock", { passphrase: Schema.String })
/** Multi-Assets Mode only (one cheap read: weight 5). */
export const GetMode = Schema.TaggedStruct("GetMode", { account })
/** Mode, position mode, every symbol's margin type and leverage (`Overview`). */
export const GetOverview = Schema.TaggedStruct("GetOverview", { account })
/** The account's drift from its desired state (null: the backend keeps none: direct, or an older gateway). */
export const GetDrift = Schema.TaggedStruct("GetDrift", { account })
/** Plans the way from the account's current state to `desired` (nothing is changed). */
export const MakePlan = Schema.TaggedStruct("MakePlan", { account, desired: DesiredState })

export const Request = Schema.Union(GetState, SelectAccount, Unlock, GetMode, GetOverview, GetDrift, MakePlan)
export type Request = typeof Request.Type
export type RequestTag = Request["_tag"]

/** A step's blocker in the extension's words (the worker words it: the popup does not carry the core's words). */
export const BlockerWords = Schema.Struct({ step: Schema.Number, what: Schema.String, fix: Schema.String })
export type BlockerWords = typeof BlockerWords.Type

/** A plan and its blockers in words. */
export const PlanPreview = Schema.Struct({ plan: Plan, blockers: Schema.Array(BlockerWords) })
export type PlanPreview = typeof PlanPreview.Type

/**
 * How a gateway account differs from the desired state the gateway keeps for it (the gateway's
 * `Drift` without its plan): the plan's step titles and blockers in words, and the gateway's plain
 * lines (what differs, what blocks it, the fix).
 */
export const DriftSummary = Schema.Struct({
  status: Schema.Literal("in-sync", "drifted", "blocked", "locked", "unknown"),
  steps: Schema.Array(Schema.String),
  blockers: Schema.Array(BlockerWords),
  lines: Schema.Array(Schema.String),
  detail: Schema.String
})
export type DriftSummary = typeof DriftSummary.Type

/** What each request answers with when it succeeds. */
export const Success = {
  GetState: PopupState,
  SelectAccount: Schema.Null,
  Unlock: Schema.Null,
  GetMode: Schema.Boolean,
  GetOverview: Overview,
  GetDrift: Schema.NullOr(DriftSummary),
  MakePlan: PlanPreview
} as const
export type Success<T extends RequestTag> = (typeof Success)[T]["Type"]

/** The answer to a request: its success value or a UserError. */
export const Answer = <S extends Schema.Schema.Any>(success: S) =>
  Schema.Union(Schema.TaggedStruct("Ok", { value: success }), Schema.TaggedStruct("Err", { error: UserErrorData }))

// ---------------------------------------------------------------------------------------------
// Apply (port "apply")

export const APPLY_PORT = "apply"

/** Runs the plan the person confirmed (the setters are idempotent: "already set" is an outcome). */
export const ApplyRequest = Schema.Struct({ account, desired: DesiredState, plan: Plan })
export type ApplyRequest = typeof ApplyRequest.Type

/** First message of an apply: the plan actually run (a gateway plans again from a fresh read). */
export const ApplyStarted = Schema.TaggedStruct("ApplyStarted", { plan: Plan })
export type ApplyStarted = typeof ApplyStarted.Type

/** A step that failed, in words: posted right before the step's `StepFinished`. */
export const StepFailed = Schema.TaggedStruct("StepFailed", {
  index: Schema.Number,
  title: Schema.String,
  fix: Schema.optional(Schema.String),
  code: Schema.optional(Schema.Number)
})
export type StepFailed = typeof StepFailed.Type

export const ApplyFailed = Schema.TaggedStruct("ApplyFailed", { error: UserErrorData })
export type ApplyFailed = typeof ApplyFailed.Type

/** What the worker posts while applying: `ApplyStarted`, progress events (`StepFailed` before a failed step's `StepFinished`), then `Done` or `ApplyFailed`. */
export const ApplyMessage = Schema.Union(ApplyStarted, ProgressEvent, StepFailed, ApplyFailed)
export type ApplyMessage = typeof ApplyMessage.Type

// ---------------------------------------------------------------------------------------------
// Live (port "live")

export const LIVE_PORT = "live"

/** The account whose setting changes the popup follows while it is open (first and only message on the port). */
export const LiveRequest = Schema.Struct({ account })
export type LiveRequest = typeof LiveRequest.Type

/** One setting of the account changed (wherever it was changed: this popup, another device, a bot). */
export const OverviewChange = Schema.Union(
  Schema.TaggedStruct("MultiAssets", { multiAssets: Schema.Boolean }),
  Schema.TaggedStruct("MarginType", { symbol: Schema.String, marginType: MarginType }),
  Schema.TaggedStruct("Leverage", { symbol: Schema.String, leverage: Schema.Number }),
  Schema.TaggedStruct("PositionMode", { hedgeMode: Schema.Boolean })
)
export type OverviewChange = typeof OverviewChange.Type

/** The settings read again (after every connection): they replace what the popup shows. */
export const LiveState = Schema.TaggedStruct("LiveState", { overview: Overview, live: Schema.Boolean })
/** A change to apply to what the popup shows. */
export const LiveChange = Schema.TaggedStruct("LiveChange", { change: OverviewChange })
/** Whether changes made elsewhere arrive now (`reason` says why not). */
export const LiveStatus = Schema.TaggedStruct("LiveStatus", { live: Schema.Boolean, reason: Schema.optional(Schema.String) })

/** What the worker posts on the live port. */
export const LiveMessage = Schema.Union(LiveState, LiveChange, LiveStatus)
export type LiveMessage = typeof LiveMessage.Type
