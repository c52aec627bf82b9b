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
 *   500 ms to 30 s); after a connection that lasted a minute, at once and the schedule anew. Binance closes a
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
import { BinanceHttp } from "./BinanceHttp.js"
import * as Catalog from "./Catalog.js"
import { type BinanceError, InvalidInput } from "./Errors.js"
import { connections } from "./internal/userDataConnection.js"
import { readSettings } from "./MarginClient.js"
import { isTransient as isTransientCall } from "./RetryPolicy.js"
import { Connected, Disconnected, Resynced, type StreamConnectionLost, type UserDataEvent } from "./UserDataEvent.js"

export interface Options {
  /**
   * Where the stream's WebSocket is (the stream's path is added): by default derived from the REST
   * base URL, `BinanceConfig.baseUrl` (`wss://fstream.binance.com` for production, `wss://fstream.binancefuture.com` for the testnet,
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
/** Jittered exponential back-off: 500 ms doubling up to 30 s, each delay ± 20 %. */
export const RECONNECT_DEFAULT: Schedule.Schedule<unknown, unknown> = Schedule.exponential("500 millis").pipe(
  Schedule.union(Schedule.spaced("30 seconds")),
  Schedule.jittered
)
/** A connection that lasted this long ends a row of failures: the back-off starts over. */
export const STABLE_AFTER = Duration.minutes(1)

/** -1125: the listen key expired or was closed; the next connection gets a new one. */
const isKeyGone = (e: StreamFailure): boolean => e._tag === "InvalidParameter" && e.reason === "listen-key"

/** Does reconnecting help after this failure? */
export const isTransient = (e: StreamFailure): boolean =>
  e._tag === "StreamConnectionLost" ||
  isKeyGone(e) ||
  e._tag === "RateLimited" ||
  e._tag === "TimestampOutsideWindow" ||
  isTransientCall(false)(e)

const TESTNET_HOSTS: Readonly<Record<string, string>> = {
  "testnet.binancefuture.com": "wss://fstream.binancefuture.com",
  "demo-fapi.binance.com": "wss://demo-fstream.binance.com"
}

const parseUrl = (raw: string): URL | null => {
  try {
    return new URL(raw)
  } catch {
    return null
  }
}

/** The stream's URL for a key, from the REST base URL and the options (InvalidInput for a bad `websocketUrl`). */
export const streamUrl = (
  baseUrl: string,
  options: Pick<Options, "websocketUrl" | "path">
): Effect.Effect<(listenKey: string) => string, InvalidInput> => {
  const rest = new URL(baseUrl)
  const testnet = TESTNET_HOSTS[rest.host]
  const given = options.websocketUrl === undefined ? undefined : parseUrl(options.websocketUrl)
  if (given === null || (given !== undefined && ((given.protocol !== "ws:" && given.protocol !== "wss:") || given.search !== "" || given.hash !== ""))) {
    return Effect.fail(
      new InvalidInput({
        field: "websocketUrl",
        accepted: "a ws:// or wss:// URL without query or fragment, e.g. wss://fstream.binance.com",
        received: JSON.stringify(options.websocketUrl)
      })
    )
  }
  const base = (options.websocketUrl ??
    (rest.host === "fapi.binance.com"
      ? "wss://fstream.binance.com"
      : testnet ?? `${rest.protocol === "https:" ? "wss:" : "ws:"}//${rest.host}`)).replace(/\/+$/, "")
  const path = options.path ?? (testnet === undefined ? "private" : "legacy")
  return Effect.succeed((listenKey: string): string =>
    path === "private"
      ? `${base}/private/ws?listenKey=${encodeURIComponent(listenKey)}`
      : `${base}/ws/${encodeURIComponent(listenKey)}`
  )
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
      const webSocket = yield* Socket.WebSocketConstructor
      const keepAliveEvery = yield* duration("keepAliveEvery", options.keepAliveEvery, KEEP_ALIVE_DEFAULT, Duration.minutes(1), Duration.minutes(59))
      const rolloverAfter = yield* duration("rolloverAfter", options.rolloverAfter, ROLLOVER_DEFAULT, Duration.seconds(1), Duration.hours(24))
      const openTimeout = yield* duration("openTimeout", options.openTimeout, Duration.seconds(10), Duration.millis(1), Duration.minutes(5))
      const urlOf = yield* streamUrl(http.baseUrl, options)
      const reconnect = options.reconnect ?? RECONNECT_DEFAULT

      /** The settings, read once: Multi-Assets and position mode, and each symbol's margin type and leverage. */
      const events: Stream.Stream<UserDataEvent, StreamFailure> = Stream.unwrapScoped(Effect.gen(function*() {
        const out = yield* Mailbox.make<UserDataEvent, StreamFailure>()
        // When the current connection opened, and whether the last one lost had lasted (see `supervise`).
        const connectedAt = yield* Ref.make<number | undefined>(undefined)
        const lastWasStable = yield* Ref.make(false)
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
          Effect.gen(function*() {
            const since = yield* Ref.getAndSet(connectedAt, undefined)
            const at = yield* now
            yield* Ref.set(lastWasStable, since !== undefined && at - since >= Duration.toMillis(STABLE_AFTER))
            if (since !== undefined) yield* out.offer(new Disconnected({ reason, at }))
          })

        // A PUT that failed for a passing reason is sent again a minute later, while the key lives
        // (if it expires all the same, Binance says so and the stream gets a new one); -1125 means
        // the key is gone: the connection ends and the next one has a new key.
        const passing = (e: BinanceError) => isTransient(e) && !isKeyGone(e)
        const keepAlive = http.call(Catalog.keepAliveListenKey, {}).pipe(
          Effect.tapError((e) => passing(e) ? Effect.logWarning(`the user-data stream's key could not be extended: ${e.message}`) : Effect.void),
          Effect.retry({ schedule: Schedule.spaced("1 minute"), times: 15, while: passing }),
          Effect.catchIf(passing, () => Effect.void),
          Effect.delay(keepAliveEvery),
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
              const at = yield* now
              yield* Ref.set(connectedAt, at)
              yield* out.offer(new Connected({ at }))
              const settings = yield* readSettings(http)
              yield* out.offer(new Resynced({ settings, at: yield* now }))
            }),
            onChange: (change) => out.offer(change),
            alongside: keepAlive
          }).pipe(Effect.provideService(Socket.WebSocketConstructor, webSocket))
        })).pipe(
          Effect.tapError((e) => lost(describe(e)))
        )

        // Failures in a row follow the schedule; a connection that had lasted `STABLE_AFTER` ends
        // the row: the next attempt is at once, and the one after that the schedule's first.
        const supervise = (): Effect.Effect<never, StreamFailure> =>
          session.pipe(
            Effect.retry({ schedule: reconnect, while: (e) => Effect.map(Ref.get(lastWasStable), (stable) => !stable && isTransient(e)) }),
            Effect.catchAll((e) =>
              Effect.flatMap(Ref.get(lastWasStable), (stable) => (stable && isTransient(e) ? supervise() : Effect.fail(e)))
            )
          )
        yield* supervise().pipe(
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
