/**
 * An account's setting changes as the gateway learns them, from its events stream
 * (`GET /v1/accounts/:account/events`, read by `GatewaySse`), as the popup takes them: `event: state`
 * (the gateway's settings and whether its user-data stream is connected) replaces what the popup
 * shows, `event: change` is applied to it. A cut stream is opened again 2 s later, for as long as
 * the popup is open; a refusal (token, account) ends it with the refusal's words.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { SettingChange, SettingsState } from "@marginctl/gateway-api/Events"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { GatewayFailure } from "./GatewayErrors.js"
import * as GatewaySse from "./GatewaySse.js"
import type { LiveMessage, OverviewChange } from "./Messages.js"
import type { UserError } from "./UserErrors.js"

/** The gateway ended the stream (a restart, a proxy's timeout): it is opened again. */
class EventsEnded extends Data.TaggedError("EventsEnded") {}

const decodeState = Schema.decode(Schema.parseJson(SettingsState))
const decodeChange = Schema.decode(Schema.parseJson(SettingChange))

const POLLING = "The gateway is not connected to Binance's account stream: changes made elsewhere show when the popup is opened again."
const CUT = "The connection to the gateway was lost; reconnecting."

/** What the popup shows of the gateway's settings (they cost this popup no read). */
export const liveStateOf = (state: SettingsState): LiveMessage =>
  state.settings === null
    ? { _tag: "LiveStatus", live: state.mode === "live", ...(state.mode === "live" ? {} : { reason: POLLING }) }
    : {
      _tag: "LiveState",
      live: state.mode === "live",
      overview: {
        multiAssets: state.settings.multiAssetsMargin,
        hedgeMode: state.settings.dualSidePosition,
        symbols: state.settings.symbols,
        readWeight: 0
      }
    }

export const overviewChangeOf = (change: SettingChange): OverviewChange => {
  switch (change._tag) {
    case "MultiAssets":
      return { _tag: "MultiAssets", multiAssets: change.multiAssetsMargin }
    case "MarginType":
      return { _tag: "MarginType", symbol: change.symbol, marginType: change.marginType }
    case "Leverage":
      return { _tag: "Leverage", symbol: change.symbol, leverage: change.leverage }
    case "PositionMode":
      return { _tag: "PositionMode", hedgeMode: change.dualSidePosition }
  }
}

const transient = (e: GatewayFailure | EventsEnded) =>
  e._tag === "EventsEnded" || e._tag === "RequestError" || e._tag === "ResponseError"

/**
 * The changes of the gateway's account `account`, over `client` (base URL and bearer token);
 * `plain` words a refusal. Never fails: a refusal is the last `LiveStatus`.
 */
export const follow = (
  client: HttpClient.HttpClient,
  account: string,
  plain: (effect: Effect.Effect<never, GatewayFailure>) => Effect.Effect<never, UserError>
): Stream.Stream<LiveMessage> => {
  const link = `/v1/accounts/${encodeURIComponent(account)}/events`
  const session: Stream.Stream<LiveMessage, GatewayFailure | EventsEnded> = GatewaySse.events(client, link).pipe(
    // `flatMap`, not `mapEffect`: `Stream.mapEffect` brings its keyed variant into the bundle.
    Stream.flatMap((e) =>
      e.event === "state"
        ? Stream.fromEffect(Effect.map(decodeState(e.data), liveStateOf))
        : e.event === "change"
        ? Stream.fromEffect(Effect.map(decodeChange(e.data), (c): LiveMessage => ({ _tag: "LiveChange", change: overviewChangeOf(c) })))
        : Stream.empty
    ),
    Stream.concat(Stream.fail(new EventsEnded())),
    Stream.catchAll((e) =>
      transient(e)
        ? Stream.concat(Stream.succeed<LiveMessage>({ _tag: "LiveStatus", live: false, reason: CUT }), Stream.fail(e))
        : Stream.fromEffect(Effect.flip(plain(Effect.fail(e as GatewayFailure)))).pipe(
          Stream.map((u): LiveMessage => ({ _tag: "LiveStatus", live: false, reason: u.title }))
        )
    )
  )
  return Stream.retry(session, Schedule.spaced("2 seconds")).pipe(Stream.catchAll(() => Stream.empty))
}

