/**
 * Accounts: the list the token may touch, and a status summary of one account (from a cached
 * snapshot: Multi-Assets flag, position mode, isolated symbols, open orders, positions, balances,
 * the upstream weight budget and the clock offset).
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { MarginType, SymbolId } from "@marginctl/core/Domain"
import * as Schema from "effect/Schema"
import { Authentication } from "./Auth.js"
import { AccountErrors } from "./Errors.js"

export const ACCOUNT_NAME_ACCEPTED = "1 to 64 characters: letters, digits, '-', '_' or '.'"

export const AccountName = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9_.-]{1,64}$/, {
    message: (issue) => `account must be ${ACCOUNT_NAME_ACCEPTED}; got ${JSON.stringify(issue.actual)}`
  })
).annotations({ identifier: "AccountName", description: ACCOUNT_NAME_ACCEPTED })

export const AccountPath = Schema.Struct({ account: AccountName })

export const KeyType = Schema.Literal("HMAC", "RSA", "ED25519")

export const AccountSummary = Schema.Struct({
  name: AccountName,
  /** Host of the upstream (fapi.binance.com, the simulator's 127.0.0.1:PORT, …). */
  upstream: Schema.String,
  keyType: KeyType
}).annotations({ identifier: "AccountSummary" })
export type AccountSummary = typeof AccountSummary.Type

export const AccountList = Schema.Struct({ accounts: Schema.Array(AccountSummary) })

export const BudgetStatus = Schema.Struct({
  limit: Schema.Number,
  used: Schema.Number,
  remaining: Schema.Number,
  pausedUntil: Schema.NullOr(Schema.Number),
  bannedUntil: Schema.NullOr(Schema.Number)
}).annotations({ identifier: "BudgetStatus" })

export const ClockStatus = Schema.Struct({
  offsetMs: Schema.Number,
  rttMs: Schema.Number,
  /** Plain words: which side is off and by how much. */
  text: Schema.String
}).annotations({ identifier: "ClockStatus" })

export const AccountStatus = Schema.Struct({
  account: AccountName,
  multiAssetsMargin: Schema.Boolean,
  dualSidePosition: Schema.Boolean,
  creditsMode: Schema.Boolean,
  symbolCount: Schema.Number,
  isolated: Schema.Array(SymbolId),
  openOrders: Schema.Array(Schema.Struct({ symbol: SymbolId, count: Schema.Number })),
  positions: Schema.Array(Schema.Struct({ symbol: SymbolId, positionAmt: Schema.Number, marginType: MarginType })),
  balances: Schema.Array(Schema.Struct({ asset: Schema.String, walletBalance: Schema.Number, marginAvailable: Schema.Boolean })),
  /** Weight the snapshot behind this answer cost upstream. */
  readWeight: Schema.Number,
  /** Age of the snapshot (0 when just read). */
  ageMs: Schema.Number,
  budget: BudgetStatus,
  clock: Schema.NullOr(ClockStatus)
}).annotations({ identifier: "AccountStatus" })
export type AccountStatus = typeof AccountStatus.Type

export class AccountsGroup extends HttpApiGroup.make("accounts")
  .add(
    HttpApiEndpoint.get("list", "/v1/accounts")
      .addSuccess(AccountList)
      .annotate(OpenApi.Summary, "Accounts the token may touch")
  )
  .add(
    HttpApiEndpoint.get("status", "/v1/accounts/:account/status")
      .setPath(AccountPath)
      .addSuccess(AccountStatus)
      .annotate(OpenApi.Summary, "Account summary (cached snapshot), weight budget and clock offset")
  )
  .addError(AccountErrors[0])
  .addError(AccountErrors[1])
  .addError(AccountErrors[2])
  .addError(AccountErrors[3])
  .addError(AccountErrors[4])
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Accounts")
{}
