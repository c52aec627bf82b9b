/**
 * Live truth: each account's user-data stream, held by one replica (`StreamLease`), keeps the
 * account's settings (`LiveSettings`, and through it the read cache) current the moment Binance
 * changes them, whoever made the change.
 *
 * The holder consumes the core's `UserDataStream`: after every (re)connection the settings read
 * again replace what was known (the differences are changes missed while disconnected), each pushed
 * change is applied, and position mode — which has no event — is polled through accountConfig
 * (weight 5) every `stream.positionModePollMs`. A change the gateway did not attempt itself (no
 * audit row of its own for it in the last minute) is `external`: counted, and recorded in the audit
 * log. The holder announces each state to the other replicas, which mirror it; a replica that hears
 * nothing from the holder for a lease time falls back to polling (TTL reads) until one does.
 */
import * as Socket from "@effect/platform/Socket"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { BinanceHttp } from "@marginctl/core/BinanceHttp"
import * as Catalog from "@marginctl/core/Catalog"
import { UserDataStream } from "@marginctl/core/UserDataStream"
import type { UserDataEvent } from "@marginctl/core/UserDataEvent"
import type { SettingChange } from "@marginctl/gateway-api/Events"
import { type AccountRuntime, Accounts } from "./Accounts.js"
import { storeBackoff } from "./audit/Unavailable.js"
import { AuditStore } from "./AuditStore.js"
import { GatewayConfig } from "./Config.js"
import { LiveSettings, type LiveSettingsShape, type Status } from "./LiveSettings.js"
import { Metrics } from "./Metrics.js"
import { apply, auditOf, beforeOf, describe, diff, fromEvent, settingsOf, stateOf } from "./SettingChanges.js"
import { type Announcement, StreamLease } from "./StreamLease.js"

/** How far back an attempt of the gateway's own explains a change the stream shows (clock skew included). */
export const OWN_CHANGE_WINDOW_MS = 60_000

/** After the stream failed for good (a rejected key, a ban), the next attempt waits this long. */
const RESTART_AFTER = "1 minute"

/**
 * A replica that does not hold the account's stream mirrors the holder's announcement: its change,
 * unless what this replica knows has it already (an earlier announcement's settings told it), then
 * whatever else the announced settings hold that this replica did not know — changes told in
 * announcements it did not hear (Redis away, a reconnection of its subscriber), or not yet (the
 * holder's re-read announces its final settings with the first change it found) — as a re-read finds
 * them, then the state. Each change is told once. The holder has audited and counted them; `classify`
 * tells the origin of those found here as far as this replica's audit store knows it.
 */
export const mirror = (
  live: LiveSettingsShape,
  a: Announcement,
  now: number,
  classify: (c: SettingChange) => Effect.Effect<SettingChange>
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const account = a.state.account
    const before = live.settings(account)
    const change = a.change
    if (change !== null && (before === null || diff(account, before, apply(before, change), now, "resync").length > 0)) {
      yield* live.change(account, change)
    }
    const known = live.settings(account)
    const announced = settingsOf(a.state)
    const missed = known === null || announced === null ? [] : diff(account, known, announced, now, "resync")
    for (const c of missed) yield* live.change(account, yield* classify(c))
    yield* live.replace(account, announced, { mode: a.state.mode, holder: a.instance, detail: a.detail })
  })

export const layer: Layer.Layer<
  never,
  never,
  GatewayConfig | Accounts | LiveSettings | StreamLease | AuditStore | Metrics | Socket.WebSocketConstructor
> = Layer.scopedDiscard(Effect.gen(function*() {
  const config = yield* GatewayConfig
  if (!config.stream.enabled) return
  const accounts = yield* Accounts
  const live = yield* LiveSettings
  const lease = yield* StreamLease
  const audit = yield* AuditStore
  const metrics = yield* Metrics
  const webSocket = yield* Socket.WebSocketConstructor
  const instance = config.instance
  const pendingAudit = yield* FiberSet.make()
  const tick = Math.max(100, Math.floor(config.stream.leaseMs / 3))

  /** `gateway` when this gateway attempted the same change lately, else `external`. */
  const classify = (account: string, c: SettingChange): Effect.Effect<SettingChange> => {
    const { action, made, request } = auditOf(c)
    if (!made) return Effect.succeed(c)
    return audit.attemptedSince(account, action, request, c.time - OWN_CHANGE_WINDOW_MS).pipe(
      Effect.map((own) => (own ? { ...c, origin: "gateway" as const } : c)),
      Effect.catchTag("StoreUnavailable", (e) =>
        Effect.as(Effect.logWarning(`${account}: whether the gateway made a change is not known (${e.message}); counted as external`), c))
    )
  }

  /** Applies a change the holder learned: settings and cache, events stream, audit row and metric when external, announcement. */
  const learned = (account: string, raw: SettingChange): Effect.Effect<void> =>
    Effect.gen(function*() {
      const c = yield* classify(account, raw)
      const before = beforeOf(live.settings(account), c)
      yield* live.change(account, c)
      yield* Effect.logInfo(`change seen: ${describe(c)}`)
      if (c.origin === "external") {
        metrics.count("marginctl_gateway_external_changes_total", { account, setting: c._tag })
        const { action, request } = auditOf(c)
        const write = audit.external({ account, action, request, before, timeMs: c.time, message: `changed outside the gateway (seen via ${c.via})` })
        yield* FiberSet.run(pendingAudit, Effect.retry(write, storeBackoff.pipe(Schedule.upTo("10 minutes"))).pipe(
          Effect.catchAll((e) => Effect.logError(`${account}: a change made elsewhere could not be audited: ${e.message}`))
        ))
      }
      yield* announce(account, c)
    })

  const announce = (account: string, change: SettingChange | null) =>
    Effect.suspend(() => {
      const status = live.status(account)
      return lease.announce({ instance, state: stateOf(account, status.mode, live.settings(account)), detail: status.detail, change })
    })

  const held = (detail: string, mode: Status["mode"]): Status => ({ mode, holder: instance, detail })

  const handle = (account: string) => (e: UserDataEvent): Effect.Effect<void> => {
    switch (e._tag) {
      case "Connected":
        return Effect.logInfo(`${account}: user-data stream connected`)
      case "Disconnected":
        return Effect.zipRight(live.setStatus(account, held(`disconnected (${e.reason}); reconnecting`, "polling")), announce(account, null))
      case "Resynced":
        return Effect.gen(function*() {
          const before = live.settings(account)
          const missed = before === null ? [] : diff(account, before, e.settings, e.at, "resync")
          yield* live.replace(account, e.settings, held("connected", "live"))
          yield* Effect.forEach(missed, (c) => learned(account, c), { discard: true })
          if (missed.length === 0) yield* announce(account, null)
        })
      default:
        metrics.count("marginctl_gateway_stream_events_total", { account })
        return learned(account, fromEvent(account, e, "external"))
    }
  }

  /** Position mode has no event: read through accountConfig (weight 5) and compared with what is known. */
  const pollPositionMode = (account: AccountRuntime) =>
    Effect.gen(function*() {
      const known = live.settings(account.name)
      if (known === null) return
      const read = yield* Context.get(account.context, BinanceHttp).call(Catalog.accountConfig, {})
      const now = yield* Clock.currentTimeMillis
      const current = live.settings(account.name) ?? known
      const found = diff(account.name, current, { ...current, dualSidePosition: read.dualSidePosition }, now, "poll")
      yield* Effect.forEach(found, (c) => learned(account.name, c), { discard: true })
    }).pipe(
      Effect.catchAll((e) => Effect.logWarning(`${account.name}: position mode could not be read: ${e.message}`)),
      Effect.repeat(Schedule.spaced(config.stream.positionModePollMs)),
      Effect.delay(config.stream.positionModePollMs)
    )

  /** The account's stream while this replica holds it; restarted after it fails for good. */
  const hold = (account: AccountRuntime, websocketUrl: string | undefined): Effect.Effect<never> => {
    const events = Stream.unwrapScoped(Effect.map(
      Layer.build(UserDataStream.Default({ websocketUrl }).pipe(Layer.provide(Layer.succeedContext(account.context)))),
      (context) => Context.get(context, UserDataStream).events
    )).pipe(Stream.provideService(Socket.WebSocketConstructor, webSocket))
    const run = Stream.runForEach(events, handle(account.name)).pipe(
      Effect.catchAll((e) =>
        Effect.logError(`${account.name}: the user-data stream stopped: ${e.message}; retrying in ${RESTART_AFTER}`).pipe(
          Effect.zipRight(live.setStatus(account.name, held(`stopped: ${e.message}`, "polling"))),
          Effect.zipRight(announce(account.name, null)),
          Effect.zipRight(Effect.sleep(RESTART_AFTER))
        )),
      Effect.forever
    )
    // The other replicas hear from the holder at least every third of the lease (none without Redis).
    const heartbeat = lease.shared ? Effect.repeat(Effect.suspend(() => announce(account.name, null)), Schedule.spaced(tick)) : Effect.void
    return Effect.raceAll([run, pollPositionMode(account).pipe(Effect.zipRight(Effect.never)), heartbeat.pipe(Effect.zipRight(Effect.never))]).pipe(
      Effect.ensuring(live.setStatus(account.name, { mode: "polling", holder: null, detail: "the stream was handed over" }))
    )
  }

  for (const account of accounts.list) {
    const websocketUrl = config.accounts.find((a) => a.name === account.name)?.websocketUrl
    yield* Effect.forkScoped(lease.run(account.name, hold(account, websocketUrl)))
  }

  if (!lease.shared) return
  // The other replicas' announcements, mirrored; silence for a lease time means nobody holds the stream.
  const heard = new Map<string, number>()
  yield* Effect.forkScoped(Stream.runForEach(lease.announcements, (a) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      heard.set(a.state.account, now)
      if (live.status(a.state.account).holder === instance) return
      yield* mirror(live, a, now, (c) => classify(a.state.account, c))
    })))
  yield* Effect.forkScoped(Effect.repeat(
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      for (const account of accounts.list) {
        const status = live.status(account.name)
        if (status.holder === instance || status.holder === null) continue
        if (now - (heard.get(account.name) ?? 0) > config.stream.leaseMs) {
          yield* live.setStatus(account.name, { mode: "polling", holder: null, detail: `no replica announced the stream for ${config.stream.leaseMs} ms` })
        }
      }
    }),
    Schedule.spaced(tick)
  ))
}))
