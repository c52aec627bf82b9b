/**
 * Configuration as code: each account's desired state (Multi-Assets Mode, position mode, margin types,
 * leverage: core's `DesiredState`), kept in the gateway's store — set here or loaded from a fleet file
 * named in its configuration — and the drift of the account from it: `in-sync`, `drifted` (with the
 * plan that would reach it), `blocked` (with what blocks it), `locked` (the account's mode forbids it)
 * or `unknown` (not read yet, or no desired state). With the account's user-data stream live, drift shows within a second of a change.
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { DesiredState, Plan } from "@marginctl/core/Planner"
import * as Schema from "effect/Schema"
import { AccountName, AccountPath } from "./Accounts.js"
import { Authentication } from "./Auth.js"
import { AccountErrors, PolicyViolation, StoreUnavailable } from "./Errors.js"

/** What the gateway does when an account drifts: nothing, say so (log and metric), or apply the plan. */
export const ReconcileMode = Schema.Literal("off", "alert", "auto").annotations({ identifier: "ReconcileMode" })
export type ReconcileMode = typeof ReconcileMode.Type

export const AccountDesired = Schema.Struct({
  account: AccountName,
  /** Null when none is set: the account is left as it is. */
  desired: Schema.NullOr(DesiredState),
  /** Who set it: a token's name, or `(fleet file)`. */
  setBy: Schema.NullOr(Schema.String),
  updatedAt: Schema.NullOr(Schema.String),
  reconcile: ReconcileMode
}).annotations({ identifier: "AccountDesired" })
export type AccountDesired = typeof AccountDesired.Type

export const SetDesired = Schema.Struct({ desired: DesiredState }).annotations({ identifier: "SetDesired" })

/**
 * `locked`: the only thing in the way is a state the account cannot leave by any change of its own —
 * Credits Trading Mode (BNFCR), which only runs in Multi-Assets Mode — rather than something that can
 * be cleared (orders, positions: `blocked`).
 */
export const DriftStatus = Schema.Literal("in-sync", "drifted", "blocked", "locked", "unknown").annotations({ identifier: "DriftStatus" })
export type DriftStatus = typeof DriftStatus.Type

export const Drift = Schema.Struct({
  account: AccountName,
  status: DriftStatus,
  /** The plan from the account's state to its desired state (null when in sync or unknown). */
  plan: Schema.NullOr(Plan),
  /** Plain lines: what differs, what blocks it and how to fix it. */
  lines: Schema.Array(Schema.String),
  /** When the account's state behind this answer was read (ISO 8601), or null. */
  checkedAt: Schema.NullOr(Schema.String),
  detail: Schema.String
}).annotations({ identifier: "Drift" })
export type Drift = typeof Drift.Type

export const FleetDrift = Schema.Struct({ accounts: Schema.Array(Drift) }).annotations({ identifier: "FleetDrift" })

export class DesiredGroup extends HttpApiGroup.make("desired")
  .add(
    HttpApiEndpoint.get("get", "/v1/accounts/:account/desired")
      .setPath(AccountPath)
      .addSuccess(AccountDesired)
      .annotate(OpenApi.Summary, "The account's desired state and reconcile mode")
  )
  .add(
    HttpApiEndpoint.put("set", "/v1/accounts/:account/desired")
      .setPath(AccountPath)
      .setPayload(SetDesired)
      .addSuccess(AccountDesired)
      .addError(PolicyViolation)
      .annotate(OpenApi.Summary, "Set the account's desired state (needs scope write; checked against its policy)")
  )
  .add(
    HttpApiEndpoint.get("drift", "/v1/accounts/:account/drift")
      .setPath(AccountPath)
      .addSuccess(Drift)
      .annotate(OpenApi.Summary, "How the account differs from its desired state")
  )
  .add(
    HttpApiEndpoint.get("fleet", "/v1/drift")
      .addSuccess(FleetDrift)
      .annotate(OpenApi.Summary, "The drift of every account the token may read")
  )
  .addError(AccountErrors[0])
  .addError(AccountErrors[1])
  .addError(AccountErrors[2])
  .addError(AccountErrors[3])
  .addError(AccountErrors[4])
  .addError(StoreUnavailable)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Desired state and drift")
{}
