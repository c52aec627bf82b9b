/**
 * Live truth: the accounts' setting changes as the gateway learns them — from Binance's user-data
 * stream, from the re-read after a reconnection, or from the position-mode poll — whoever made them
 * (`origin`: through this gateway, or elsewhere: Binance's app, another bot, a colleague). Served as
 * Server-Sent Events per account, for any token with the read scope.
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { MarginType, SymbolId } from "@marginctl/core/Domain"
import * as Schema from "effect/Schema"
import { AccountName, AccountPath } from "./Accounts.js"
import { Authentication } from "./Auth.js"
import { AccountErrors } from "./Errors.js"
import { StreamMode } from "./StreamMode.js"

/** Who made a change: a caller of this gateway, or someone elsewhere. */
export const ChangeOrigin = Schema.Literal("gateway", "external").annotations({ identifier: "ChangeOrigin" })
export type ChangeOrigin = typeof ChangeOrigin.Type

const Change = <Tag extends string, Fields extends Schema.Struct.Fields>(tag: Tag, fields: Fields) =>
  Schema.TaggedStruct(tag, {
    account: AccountName,
    ...fields,
    origin: ChangeOrigin,
    /** Binance's time of the change (ms); for a change found by a re-read or the poll, when it was found. */
    time: Schema.Number,
    /** `stream`: Binance pushed it; `resync`: found by the re-read after a reconnection; `poll`: found by the position-mode poll. */
    via: Schema.Literal("stream", "resync", "poll")
  })

export const MultiAssetsChange = Change("MultiAssets", { multiAssetsMargin: Schema.Boolean })
export const MarginTypeChange = Change("MarginType", { symbol: SymbolId, marginType: MarginType })
export const LeverageChange = Change("Leverage", { symbol: SymbolId, leverage: Schema.Number })
export const PositionModeChange = Change("PositionMode", { dualSidePosition: Schema.Boolean })

/** One setting change of an account. */
export const SettingChange = Schema.Union(MultiAssetsChange, MarginTypeChange, LeverageChange, PositionModeChange)
  .annotations({ identifier: "SettingChange" })
export type SettingChange = typeof SettingChange.Type

/** The account's settings as the gateway holds them, and how it keeps them current. */
export const SettingsState = Schema.Struct({
  account: AccountName,
  mode: StreamMode,
  /** Null until the settings were read once. */
  settings: Schema.NullOr(Schema.Struct({
    multiAssetsMargin: Schema.Boolean,
    dualSidePosition: Schema.Boolean,
    symbols: Schema.Array(Schema.Struct({ symbol: SymbolId, marginType: MarginType, leverage: Schema.optional(Schema.Number) }))
  }))
}).annotations({ identifier: "SettingsState" })
export type SettingsState = typeof SettingsState.Type

export class EventsGroup extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.get("account", "/v1/accounts/:account/events")
      .setPath(AccountPath)
      .addSuccess(HttpApiSchema.Text({ contentType: "text/event-stream" }))
      .annotate(
        OpenApi.Description,
        "Server-Sent Events: first `event: state` with a SettingsState (JSON), then `event: change` with a SettingChange for " +
          "every change of the account's settings, whoever made it, and `event: state` again whenever the mode changes " +
          "(live: the user-data stream is connected; polling: it is not). A comment line every 15 s keeps the connection open."
      )
      .annotate(OpenApi.Summary, "The account's setting changes as they happen (text/event-stream)")
  )
  .addError(AccountErrors[0])
  .addError(AccountErrors[1])
  .addError(AccountErrors[2])
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Events")
{}
