/**
 * The account's setting changes as they happen, from Binance's user-data stream: a `Stream` of
 * `UserDataEvent`s (changes and the stream's health) that lives as long as its consumer.
 *
 * - **Key**: POST /fapi/v1/listenKey on every connection (Binance answers the active key, extended,
 *   or a new one after it expired), PUT every `keepAliveEvery` (default 40 minutes: the key lives 60),
 *   DELETE when the stream ends. The calls go through `BinanceHttp`, so they are budgeted like any
 *   other. `listenKeyExpired` or a -1125 answer to the PUT ends the connection; the next one has a new key.
 * - **Connection**: a WebSocket (`@effect/platform` `Socket`; the app provides the
 *   `WebSocketConstructor`), reconnected on a `Schedule` (default: jittered exponential back-off from
 *   500 ms to 30 s, starting over once a connection has lasted a minute). Binance closes a
 *   connection at 24 hours: at `rolloverAfter` (default 23 h 30 min) a second connection is opened
 *   and the first closed once it is open; messages seen on both are passed on once.
 * - **Health**: `Connected` on every (re)connection, then `Resynced` with the settings read again
 *   (accountConfig + symbolConfig, weight 10), then the changes received meanwhile and after;
 *   `Disconnected` when the connection is lost.
 * - **Failures**: a transient one (network, 5xx, 429, an expired key) reconnects; anything else —
 *   a rejected key (-2015), an IP ban — ends the stream with that error, as does the schedule giving up.
 */
import * as Socket from "@effect/platform/Socket"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { BinanceConfig } from "./BinanceConfig.js"
import { BinanceHttp } from "./BinanceHttp.js"
import * as Catalog from "./Catalog.js"
import type { SymbolId } from "./Domain.js"
import { type BinanceError, InvalidInput } from "./Errors.js"
import { connections } from "./internal/userDataConnection.js"
import { isTransient as isTransientCall } from "./RetryPolicy.js"
import { type AccountSettings, Connected, Disconnected, Resynced, type StreamConnectionLost, type UserDataEvent } from "./UserDataEvent.js"

export interface Options {
  /**
   * Where the stream's WebSocket is, without path: by default derived from `BinanceConfig.baseUrl`
   * (`wss://fstream.binance.com` for production, `wss://fstream.binancefuture.com` for the testnet,
   * `wss://demo-fstream.binance.com` for the demo exchange, the REST host with ws:// or wss:// otherwise).
   */
  readonly websocketUrl?: string | undefined
  /**
   * `private`: `/private/ws?listenKey=KEY` (production since 2026 and the simulator); `legacy`:
   * `/ws/KEY` (the testnet and the demo exchange). Default: `legacy` for those two hosts, else `private`.
   */
  readonly path?: "private" | "legacy" | undefined
  /** How often the key is extended (default 40 minutes; from 1 to 59 minutes: the key lives 60). */
  readonly keepAliveEvery?: Duration.DurationInput | undefined
  /** The age at which a connection is replaced (default 23 h 30 min; Binance closes it at 24 h). */
  readonly rolloverAfter?: Duration.DurationInput | undefined
  /** When to reconnect after a transient failure; when it gives up, the stream fails. */
  readonly reconnect?: Schedule.Schedule<unknown, StreamFailure> | undefined
  /** How long opening a connection may take (default 10 s). */
  readonly openTimeout?: Duration.DurationInput | undefined
}

/** What can end the stream. */
export type StreamFailure = BinanceError | StreamConnectionLost

export const KEEP_ALIVE_DEFAULT = Duration.minutes(40)
export const ROLLOVER_DEFAULT = Duration.sum(Duration.hours(23), Duration.minutes(30))
/** Jittered exponential back-off, 500 ms doubling up to 30 s, starting over after a minute without failures. */
export const RECONNECT_DEFAULT: Schedule.Schedule<unknown, unknown> = Schedule.exponential("500 millis").pipe(
  Schedule.union(Schedule.spaced("30 seconds")),
  Schedule.jittered,
  Schedule.resetAfter("1 minute")
)

/** Does reconnecting help after this failure? */
export const isTransient = (e: StreamFailure): boolean =>
  e._tag === "StreamConnectionLost" ||
  (e._tag === "InvalidParameter" && e.reason === "listen-key") ||
  e._tag === "RateLimited" ||
  e._tag === "TimestampOutsideWindow" ||
  isTransientCall(false)(e)

const TESTNET_HOSTS: Readonly<Record<string, string>> = {
  "testnet.binancefuture.com": "wss://fstream.binancefuture.com",
  "demo-fapi.binance.com": "wss://demo-fstream.binance.com"
}

/** The stream's URL for a key, from the REST base URL and the options. */
export const streamUrl = (baseUrl: string, options: Pick<Options, "websocketUrl" | "path">) => {
  const rest = new URL(baseUrl)
  const testnet = TESTNET_HOSTS[rest.host]
  const base = (options.websocketUrl ??
    (rest.host === "fapi.binance.com"
      ? "wss://fstream.binance.com"
      : testnet ?? `${rest.protocol === "https:" ? "wss:" : "ws:"}//${rest.host}`)).replace(/\/+$/, "")
  const path = options.path ?? (testnet === undefined ? "private" : "legacy")
  return (listenKey: string): string =>
    path === "private"
      ? `${base}/private/ws?listenKey=${encodeURIComponent(listenKey)}`
      : `${base}/ws/${encodeURIComponent(listenKey)}`
}

const duration = (
  field: string,
  value: Duration.DurationInput | undefined,
  fallback: Duration.Duration,
  min: Duration.Duration,
  max: Duration.Duration
): Effect.Effect<Duration.Duration, InvalidInput> => {
  const chosen = value === undefined ? Option.some(fallback) : Duration.decodeUnknown(value)
  return Option.isSome(chosen) && Duration.between(chosen.value, { minimum: min, maximum: max })
    ? Effect.succeed(chosen.value)
    : Effect.fail(
      new InvalidInput({ field, accepted: `a duration from ${Duration.format(min)} to ${Duration.format(max)}`, received: String(value) })
    )
}

/** A listen key in logs: its first characters only (it lets anyone read the account's stream). */
export const maskKey = (listenKey: string): string => `${listenKey.slice(0, 4)}…`

export class UserDataStream extends Effect.Service<UserDataStream>()("@marginctl/core/UserDataStream", {
  effect: (options: Options = {}) =>
    Effect.gen(function*() {
      const http = yield* BinanceHttp
      const config = yield* BinanceConfig
      const webSocket = yield* Socket.WebSocketConstructor
      const keepAliveEvery = yield* duration("keepAliveEvery", options.keepAliveEvery, KEEP_ALIVE_DEFAULT, Duration.minutes(1), Duration.minutes(59))
      const rolloverAfter = yield* duration("rolloverAfter", options.rolloverAfter, ROLLOVER_DEFAULT, Duration.seconds(1), Duration.hours(24))
      const openTimeout = yield* duration("openTimeout", options.openTimeout, Duration.seconds(10), Duration.millis(1), Duration.minutes(5))
      const urlOf = yield* Effect.try({
        try: () => streamUrl(config.baseUrl, options),
        catch: () =>
          new InvalidInput({
            field: "websocketUrl",
            accepted: "a ws:// or wss:// URL without path, e.g. wss://fstream.binance.com",
            received: String(options.websocketUrl)
          })
      })
      const reconnect = options.reconnect ?? RECONNECT_DEFAULT

      /** The settings, read once: Multi-Assets and position mode, and each symbol's margin type and leverage. */
      const readSettings: Effect.Effect<AccountSettings, BinanceError> = Effect.map(
        Effect.all([http.call(Catalog.accountConfig, {}), http.call(Catalog.symbolConfig, {})], { concurrency: 2 }),
        ([account, symbols]): AccountSettings => ({
          multiAssets: account.multiAssetsMargin,
          dualSidePosition: account.dualSidePosition,
          symbols: symbols.map((s) => ({
            symbol: s.symbol as SymbolId,
            marginType: s.marginType,
            ...(s.leverage === undefined ? {} : { leverage: s.leverage })
          }))
        })
      )

      const events: Stream.Stream<UserDataEvent, StreamFailure> = Stream.unwrapScoped(Effect.gen(function*() {
        const out = yield* Mailbox.make<UserDataEvent, StreamFailure>()
        const connected = yield* Ref.make(false)
        const keyCreated = yield* Ref.make(false)
        const now = Clock.currentTimeMillis

        // DELETE the key when the consumer is done (best effort: it expires on its own within the hour).
        yield* Effect.addFinalizer(() =>
          Effect.whenEffect(
            http.call(Catalog.closeListenKey, {}).pipe(Effect.timeout("5 seconds"), Effect.ignore),
            Ref.get(keyCreated)
          )
        )

        const lost = (reason: string) =>
          Effect.flatMap(Ref.getAndSet(connected, false), (was) =>
            was ? Effect.flatMap(now, (at) => out.offer(new Disconnected({ reason, at }))) : Effect.void)

        const keepAlive = http.call(Catalog.keepAliveListenKey, {}).pipe(
          Effect.delay(keepAliveEvery),
          // A transient failure of one PUT leaves time for the next one; -1125 means the key is gone.
          Effect.catchIf((e) => isTransient(e) && !(e._tag === "InvalidParameter" && e.reason === "listen-key"), (e) =>
            Effect.logWarning(`the user-data stream's key could not be extended: ${e.message}`)),
          Effect.forever
        )

        const session: Effect.Effect<never, StreamFailure> = Effect.scoped(Effect.gen(function*() {
          const { listenKey } = yield* http.call(Catalog.createListenKey, {})
          yield* Ref.set(keyCreated, true)
          yield* Effect.logDebug(`user-data stream: connecting with key ${maskKey(listenKey)}`)
          return yield* connections({
            url: urlOf(listenKey),
            openTimeout,
            rolloverAfter,
            onOpen: Effect.gen(function*() {
              yield* Ref.set(connected, true)
              yield* out.offer(new Connected({ at: yield* now }))
              const settings = yield* readSettings
              yield* out.offer(new Resynced({ settings, at: yield* now }))
            }),
            onChange: (change) => out.offer(change),
            alongside: keepAlive
          }).pipe(Effect.provideService(Socket.WebSocketConstructor, webSocket))
        })).pipe(
          Effect.tapError((e) => lost(describe(e)))
        )

        yield* session.pipe(
          Effect.retry({ schedule: reconnect, while: isTransient }),
          Effect.catchAll((e) => out.fail(e)),
          Effect.forkScoped
        )
        return Mailbox.toStream(out)
      }))

      return {
        /** The account's setting changes and the stream's health, for as long as the stream is consumed. */
        events
      } as const
    })
}) {}

const describe = (e: StreamFailure): string => e._tag === "StreamConnectionLost" ? `${e.reason}: ${e.detail}` : e.message
