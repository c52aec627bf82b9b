/**
 * A replica that does not hold an account's stream mirrors the holder's announcements: every change
 * reaches the replica's events stream once — also one told in an announcement it did not hear (Redis
 * away, its subscriber reconnecting), found from the next announcement's settings, and none twice when
 * an announcement's settings are ahead of its change (the holder's re-read).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { type MarginType, SymbolId } from "@marginctl/core/Domain"
import type { SettingChange } from "@marginctl/gateway-api/Events"
import { mirror } from "../src/AccountStreams.js"
import * as Config from "../src/Config.js"
import * as ConfigFile from "../src/ConfigFile.js"
import { type Frame, LiveSettings } from "../src/LiveSettings.js"
import * as LiveSettingsLayer from "../src/LiveSettings.js"
import * as Metrics from "../src/Metrics.js"
import * as ReadCache from "../src/ReadCache.js"
import type { Announcement } from "../src/StreamLease.js"
import { configFile, env, tmpDir } from "./support/harness.js"

const config = Layer.effect(
  Config.GatewayConfig,
  Effect.suspend(() => {
    const dir = tmpDir()
    const file = ConfigFile.decodeFile(configFile(dir, "http://sim.invalid", { stream: { enabled: true }, redisUrl: "redis://127.0.0.1:1" }))
    return file._tag === "Left" ? Effect.die(file.left.text) : Effect.orDie(Config.resolve(file.right, env, dir))
  })
)
const layer = LiveSettingsLayer.layer.pipe(Layer.provide(ReadCache.layer), Layer.provide(Layer.merge(config, Metrics.layer)))

const BTCUSDT = SymbolId.make("BTCUSDT")
const SOLUSDT = SymbolId.make("SOLUSDT")

/** The holder's announcement: the account's settings (BTCUSDT's and SOLUSDT's margin types) and the change that led there. */
const announcement = (btcusdt: MarginType, solusdt: MarginType, change: SettingChange | null): Announcement => ({
  instance: "replica-a",
  detail: "connected",
  change,
  state: {
    account: "demo",
    mode: "live",
    settings: {
      multiAssetsMargin: false,
      dualSidePosition: false,
      symbols: [{ symbol: BTCUSDT, marginType: btcusdt }, { symbol: SOLUSDT, marginType: solusdt }]
    }
  }
})

const marginType = (symbol: SymbolId, to: MarginType, time: number, via: SettingChange["via"], origin: SettingChange["origin"] = "external"): SettingChange =>
  ({ _tag: "MarginType", account: "demo", symbol, marginType: to, origin, time, via })

const asGateway = (c: SettingChange) => Effect.succeed({ ...c, origin: "gateway" as const })

/** A LiveSettings that mirrored a first announcement, and the change frames of its events stream from then on. */
const mirroring = Effect.gen(function*() {
  const live = yield* LiveSettings
  yield* mirror(live, announcement("CROSSED", "CROSSED", null), 1000, asGateway)
  const frames: Array<Frame> = []
  yield* Effect.forkScoped(Stream.runForEach(live.frames("demo"), (f) => Effect.sync(() => frames.push(f))))
  // Subscribed once the first frame (the state) is there.
  while (frames.length === 0) yield* Effect.yieldNow()
  /** The changes told so far, once the events stream's fiber took what was published (at most 100 turns). */
  const changes = (n: number) =>
    Effect.gen(function*() {
      const told = () => frames.flatMap((f) => (f._tag === "change" ? [f.change] : []))
      for (let i = 0; i < 100 && told().length < n; i++) yield* Effect.yieldNow()
      return told()
    })
  return { live, changes }
})

describe("a replica mirroring the holder's announcements", () => {
  it.effect("a change told in an announcement it did not hear reaches its events stream from the next one", () =>
    Effect.gen(function*() {
      const { changes, live } = yield* mirroring
      // The announcement of SOLUSDT's change was not heard; a heartbeat with the new settings is.
      yield* mirror(live, announcement("CROSSED", "ISOLATED", null), 2000, asGateway)
      expect(yield* changes(1)).toEqual([marginType(SOLUSDT, "ISOLATED", 2000, "resync", "gateway")])
      expect(live.settings("demo")?.symbols.find((s) => s.symbol === SOLUSDT)?.marginType).toBe("ISOLATED")
      expect(live.status("demo")).toMatchObject({ mode: "live", holder: "replica-a" })
      // Heard: the announced change is told as the holder told it, nothing more.
      const told = marginType(SOLUSDT, "CROSSED", 3000, "stream")
      yield* mirror(live, announcement("CROSSED", "CROSSED", told), 3000, asGateway)
      expect(yield* changes(3)).toEqual([marginType(SOLUSDT, "ISOLATED", 2000, "resync", "gateway"), told])
    }).pipe(Effect.provide(layer), Effect.scoped))

  it.effect("announcements whose settings are ahead of their change (the holder's re-read) tell each change once", () =>
    Effect.gen(function*() {
      const { changes, live } = yield* mirroring
      // The holder's re-read found two changes: it announces each with the settings after both.
      const first = marginType(BTCUSDT, "ISOLATED", 2000, "resync")
      const second = marginType(SOLUSDT, "ISOLATED", 2000, "resync")
      yield* mirror(live, announcement("ISOLATED", "ISOLATED", first), 2000, asGateway)
      yield* mirror(live, announcement("ISOLATED", "ISOLATED", second), 2000, asGateway)
      yield* mirror(live, announcement("ISOLATED", "ISOLATED", null), 2500, asGateway)
      expect(yield* changes(3)).toEqual([first, { ...second, origin: "gateway" }])
    }).pipe(Effect.provide(layer), Effect.scoped))
})
