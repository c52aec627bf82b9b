/**
 * A replica that does not hold an account's stream mirrors the holder's announcements. One it did
 * not hear (Redis away, its subscriber reconnecting) must not cost the replica's events stream the
 * change it told: the next announcement's settings, compared with what the replica knew, tell it.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { SymbolId } from "@marginctl/core/Domain"
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

const SOLUSDT = SymbolId.make("SOLUSDT")

const announcement = (solusdt: "ISOLATED" | "CROSSED", change: SettingChange | null): Announcement => ({
  instance: "replica-a",
  detail: "connected",
  change,
  state: {
    account: "demo",
    mode: "live",
    settings: {
      multiAssetsMargin: false,
      dualSidePosition: false,
      symbols: [{ symbol: SymbolId.make("BTCUSDT"), marginType: "CROSSED" }, { symbol: SOLUSDT, marginType: solusdt }]
    }
  }
})

const asGateway = (c: SettingChange) => Effect.succeed({ ...c, origin: "gateway" as const })

describe("a replica mirroring the holder's announcements", () => {
  it.effect("a change told in an announcement it did not hear reaches its events stream from the next one", () =>
    Effect.gen(function*() {
      const live = yield* LiveSettings
      yield* mirror(live, announcement("CROSSED", null), 1000, asGateway)
      const frames: Array<Frame> = []
      yield* Effect.forkScoped(Stream.runForEach(live.frames("demo"), (f) => Effect.sync(() => frames.push(f))))
      /** Lets the events stream's fiber take the frames published so far (at most 100 turns). */
      const received = (n: number) =>
        Effect.gen(function*() {
          for (let i = 0; i < 100 && frames.length < n; i++) yield* Effect.yieldNow()
        })
      yield* received(1)

      // The announcement of the change was not heard; a heartbeat with the new settings is.
      yield* mirror(live, announcement("ISOLATED", null), 2000, asGateway)
      yield* received(2)
      const changes = frames.filter((f) => f._tag === "change")
      expect(changes).toEqual([{
        _tag: "change",
        change: { _tag: "MarginType", account: "demo", symbol: "SOLUSDT", marginType: "ISOLATED", origin: "gateway", time: 2000, via: "resync" }
      }])
      expect(live.settings("demo")?.symbols.find((s) => s.symbol === "SOLUSDT")?.marginType).toBe("ISOLATED")
      expect(live.status("demo")).toMatchObject({ mode: "live", holder: "replica-a" })

      // Heard: the announced change is told once, nothing more.
      const told: SettingChange = { _tag: "MarginType", account: "demo", symbol: SOLUSDT, marginType: "CROSSED", origin: "external", time: 3000, via: "stream" }
      yield* mirror(live, announcement("CROSSED", told), 3000, asGateway)
      yield* received(3)
      expect(frames.filter((f) => f._tag === "change").map((f) => f._tag === "change" && f.change)).toEqual([changes[0]!._tag === "change" && changes[0]!.change, told])
    }).pipe(Effect.provide(layer), Effect.scoped))
})
