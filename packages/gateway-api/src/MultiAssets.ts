/**
 * Multi-Assets Mode of one account: read (cached, coalesced; weight 5 upstream on a miss) and set
 * (idempotent: `unchanged` when already so; audited).
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import * as Schema from "effect/Schema"
import { AccountName, AccountPath } from "./Accounts.js"
import { Authentication } from "./Auth.js"
import { AccountErrors, BlockedByRule, OutcomeUnknown, PolicyViolation, StoreUnavailable } from "./Errors.js"

export const Outcome = Schema.Literal("changed", "unchanged").annotations({ identifier: "Outcome" })

export const MultiAssetsState = Schema.Struct({
  account: AccountName,
  multiAssetsMargin: Schema.Boolean,
  /** Milliseconds since the value was read upstream (0: read for this request). */
  ageMs: Schema.Number
}).annotations({ identifier: "MultiAssetsState" })
export type MultiAssetsState = typeof MultiAssetsState.Type

export const SetMultiAssets = Schema.Struct({
  multiAssetsMargin: Schema.Boolean.annotations({
    message: () => "multiAssetsMargin must be true or false"
  })
}).annotations({ identifier: "SetMultiAssets" })

export const MultiAssetsChange = Schema.Struct({
  account: AccountName,
  multiAssetsMargin: Schema.Boolean,
  outcome: Outcome,
  /** True when the answer was lost and the outcome was established by re-reading the account. */
  reconciled: Schema.Boolean,
  /** Id of the audit row of this change. */
  auditId: Schema.Number
}).annotations({ identifier: "MultiAssetsChange" })
export type MultiAssetsChange = typeof MultiAssetsChange.Type

export class MultiAssetsGroup extends HttpApiGroup.make("multiAssets")
  .add(
    HttpApiEndpoint.get("get", "/v1/accounts/:account/multi-assets")
      .setPath(AccountPath)
      .addSuccess(MultiAssetsState)
      .annotate(OpenApi.Summary, "Read Multi-Assets Mode (cached and coalesced)")
  )
  .add(
    HttpApiEndpoint.put("set", "/v1/accounts/:account/multi-assets")
      .setPath(AccountPath)
      .setPayload(SetMultiAssets)
      .addSuccess(MultiAssetsChange)
      .addError(PolicyViolation)
      .addError(BlockedByRule)
      .addError(OutcomeUnknown)
      .addError(StoreUnavailable)
      .annotate(OpenApi.Summary, "Turn Multi-Assets Mode on or off (needs scope write)")
  )
  .addError(AccountErrors[0])
  .addError(AccountErrors[1])
  .addError(AccountErrors[2])
  .addError(AccountErrors[3])
  .addError(AccountErrors[4])
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Multi-Assets Mode")
{}
