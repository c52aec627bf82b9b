/**
 * Margin types (ISOLATED / CROSSED) per symbol: read all or some (one cached symbolConfig read of
 * weight 5 serves any selection), and set one symbol (idempotent; audited).
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { MarginType, MarginTypeFromInput, SymbolFromInput, SymbolId } from "@marginctl/core/Domain"
import * as Schema from "effect/Schema"
import { AccountName, AccountPath } from "./Accounts.js"
import { Authentication } from "./Auth.js"
import { AccountErrors, BlockedByRule, OutcomeUnknown, PolicyViolation, StoreUnavailable } from "./Errors.js"
import { Outcome } from "./MultiAssets.js"

export const MAX_SYMBOLS = 200

/** `BTCUSDT,ETHUSDT` (case-insensitive, spaces ignored) → symbols. */
export const SymbolList = Schema.split(",").pipe(
  Schema.compose(Schema.Array(SymbolFromInput)),
  Schema.filter((list) =>
    (list.length > 0 && list.length <= MAX_SYMBOLS) || `symbols must list 1 to ${MAX_SYMBOLS} symbols separated by commas`
  )
).annotations({ identifier: "SymbolList", description: "Comma-separated symbols, e.g. BTCUSDT,ETHUSDT" })

export const MarginTypesQuery = Schema.Struct({ symbols: Schema.optional(SymbolList) })

export const SymbolMarginType = Schema.Struct({ symbol: SymbolId, marginType: MarginType })
  .annotations({ identifier: "SymbolMarginTypeEntry" })

export const MarginTypesState = Schema.Struct({
  account: AccountName,
  marginTypes: Schema.Array(SymbolMarginType),
  ageMs: Schema.Number
}).annotations({ identifier: "MarginTypesState" })
export type MarginTypesState = typeof MarginTypesState.Type

export const SymbolPath = Schema.Struct({ account: AccountName, symbol: SymbolFromInput })

export const SetMarginType = Schema.Struct({ marginType: MarginTypeFromInput })
  .annotations({ identifier: "SetMarginType" })

export const MarginTypeChange = Schema.Struct({
  account: AccountName,
  symbol: SymbolId,
  marginType: MarginType,
  outcome: Outcome,
  reconciled: Schema.Boolean,
  auditId: Schema.Number
}).annotations({ identifier: "MarginTypeChange" })
export type MarginTypeChange = typeof MarginTypeChange.Type

export class MarginTypesGroup extends HttpApiGroup.make("marginTypes")
  .add(
    HttpApiEndpoint.get("list", "/v1/accounts/:account/margin-types")
      .setPath(AccountPath)
      .setUrlParams(MarginTypesQuery)
      .addSuccess(MarginTypesState)
      .annotate(OpenApi.Summary, "Read margin types of all symbols, or of ?symbols=A,B (cached and coalesced)")
  )
  .add(
    HttpApiEndpoint.put("set", "/v1/accounts/:account/margin-types/:symbol")
      .setPath(SymbolPath)
      .setPayload(SetMarginType)
      .addSuccess(MarginTypeChange)
      .addError(PolicyViolation)
      .addError(BlockedByRule)
      .addError(OutcomeUnknown)
      .addError(StoreUnavailable)
      .annotate(OpenApi.Summary, "Set one symbol's margin type (needs scope write)")
  )
  .addError(AccountErrors[0])
  .addError(AccountErrors[1])
  .addError(AccountErrors[2])
  .addError(AccountErrors[3])
  .addError(AccountErrors[4])
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Margin types")
{}
