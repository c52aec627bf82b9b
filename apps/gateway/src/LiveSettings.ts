/**
 * What this process knows of each account's settings and how it keeps them current: the settings
 * (from the user-data stream's re-reads and changes, or from the replica that holds the stream), the
 * mode (`live` while a stream is connected, `polling` otherwise), and the frames of the events stream.
 * Every update also goes to the read cache: while live, the settings' cache entries are pinned and
 * replaced by each change, so reads need no upstream call; in polling mode they age out by the TTL.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Stream from "effect/Stream"
import type { SettingChange, SettingsState } from "@marginctl/gateway-api/Events"
import type { StreamCheck, StreamMode } from "@marginctl/gateway-api/StreamMode"
import { GatewayConfig } from "./Config.js"
import { Metrics } from "./Metrics.js"
import { keys, ReadCache } from "./ReadCache.js"
import { apply, type Settings, stateOf } from "./SettingChanges.js"

/** A frame of an account's events stream. */
export type Frame = { readonly _tag: "state"; readonly state: SettingsState } | { readonly _tag: "change"; readonly change: SettingChange }

export interface Status {
  readonly mode: StreamMode
  /** The instance holding the account's stream, or null. */
  readonly holder: string | null
  readonly detail: string
}

export interface LiveSettingsShape {
  readonly settings: (account: string) => Settings | null
  readonly status: (account: string) => Status
  /** Replaces the settings (a re-read, or the holder's announcement) and the status; tells the events stream if either changed. */
  readonly replace: (account: string, settings: Settings | null, status: Status) => Effect.Effect<void>
  /** Applies a change to the settings and tells the events stream. */
  readonly change: (account: string, change: SettingChange) => Effect.Effect<void>
  /** Sets the status (mode and holder) and tells the events stream when it changed. */
  readonly setStatus: (account: string, status: Status) => Effect.Effect<void>
  /** The current state, then every frame, for as long as it is consumed. */
  readonly frames: (account: string) => Stream.Stream<Frame>
  readonly checks: () => ReadonlyArray<StreamCheck>
}

export class LiveSettings extends Context.Tag("@marginctl/gateway/LiveSettings")<LiveSettings, LiveSettingsShape>() {}

interface AccountLive {
  settings: Settings | null
  status: Status
  readonly frames: PubSub.PubSub<Frame>
}

export const layer: Layer.Layer<LiveSettings, never, GatewayConfig | ReadCache | Metrics> = Layer.effect(
  LiveSettings,
  Effect.gen(function*() {
    const config = yield* GatewayConfig
    const cache = yield* ReadCache
    const metrics = yield* Metrics
    const initial: Status = config.stream.enabled
      ? { mode: "polling", holder: null, detail: "the stream is not connected yet" }
      : { mode: "polling", holder: null, detail: "streams are disabled in the configuration (stream.enabled)" }
    const accounts = new Map<string, AccountLive>()
    for (const a of config.accounts) {
      accounts.set(a.name, { settings: null, status: initial, frames: yield* PubSub.unbounded<Frame>() })
    }
    const of = (account: string) => accounts.get(account)!
    const stateFrame = (account: string): Frame => {
      const a = of(account)
      return { _tag: "state", state: stateOf(account, a.status.mode, a.settings) }
    }

    /** The cache follows the settings: their values put, pinned while live; the snapshot re-read on its next use. */
    const toCache = (account: string) =>
      Effect.gen(function*() {
        const a = of(account)
        cache.pin(keys.settings(account), a.status.mode === "live" && a.settings !== null)
        yield* cache.invalidate([keys.snapshot(account)])
        if (a.settings === null) return
        yield* cache.put(keys.multiAssets(account), a.settings.multiAssetsMargin)
        yield* cache.put(keys.marginTypes(account), a.settings.symbols.map(({ marginType, symbol }) => ({ symbol, marginType })))
      })

    const setStatus = (account: string, status: Status) =>
      Effect.suspend(() => {
        const a = of(account)
        const changed = a.status.mode !== status.mode || a.status.holder !== status.holder
        a.status = status
        cache.pin(keys.settings(account), status.mode === "live" && a.settings !== null)
        return changed ? PubSub.publish(a.frames, stateFrame(account)) : Effect.void
      })

    metrics.addGauge({
      name: "marginctl_gateway_stream_live",
      help: "1 while the account's settings are kept current by a live user-data stream, 0 while reads fall back to the cache TTL",
      read: Effect.sync(() => [...accounts.entries()].map(([account, a]) => [{ account }, a.status.mode === "live" ? 1 : 0] as const))
    })

    return {
      settings: (account) => of(account).settings,
      status: (account) => of(account).status,
      replace: (account, settings, status) =>
        Effect.suspend(() => {
          const a = of(account)
          if (JSON.stringify(stateOf(account, "live", a.settings)) === JSON.stringify(stateOf(account, "live", settings))) {
            // The same settings: going live, the cache takes them again (it may hold a read made while not live).
            const goingLive = status.mode === "live" && a.status.mode !== "live"
            return Effect.zipRight(setStatus(account, status), goingLive ? toCache(account) : Effect.void)
          }
          a.settings = settings
          a.status = status
          return Effect.zipRight(toCache(account), PubSub.publish(a.frames, stateFrame(account)))
        }),
      change: (account, change) =>
        Effect.suspend(() => {
          const a = of(account)
          if (a.settings !== null) a.settings = apply(a.settings, change)
          return Effect.zipRight(toCache(account), PubSub.publish(a.frames, { _tag: "change", change }))
        }),
      setStatus,
      frames: (account) =>
        Stream.unwrapScoped(Effect.map(PubSub.subscribe(of(account).frames), (queue) =>
          Stream.concat(Stream.succeed(stateFrame(account)), Stream.fromQueue(queue)))),
      checks: () =>
        [...accounts.entries()].map(([account, a]) => ({ account, mode: a.status.mode, holder: a.status.holder, detail: a.status.detail }))
    } satisfies LiveSettingsShape
  })
)
