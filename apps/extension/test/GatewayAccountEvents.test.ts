/**
 * Following a gateway account's events: the frames are those the gateway writes (`event: state` with
 * a SettingsState, `event: change` with a SettingChange, comments), served by an HttpClient in place
 * of the network, with the TestClock for the reconnection.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import type { SymbolId } from "@marginctl/core/Domain"
import type { SettingChange, SettingsState } from "@marginctl/gateway-api/Events"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as GatewayAccountEvents from "../src/GatewayAccountEvents.js"
import { worded } from "../src/GatewayErrors.js"
import type { LiveMessage } from "../src/Messages.js"
import { serve } from "./support/scriptedGateway.js"

const ACCOUNT = "team"
const LINK = `/v1/accounts/${ACCOUNT}/events`

const state = (mode: "live" | "polling"): SettingsState => ({
  account: ACCOUNT,
  mode,
  settings: { multiAssetsMargin: false, dualSidePosition: true, symbols: [{ symbol: "BNBUSDT" as SymbolId, marginType: "ISOLATED", leverage: 10 }] }
})
const change = (c: Record<string, unknown>) =>
  `event: change\ndata: ${JSON.stringify({ account: ACCOUNT, origin: "external", time: 1_700_000_000_000, via: "stream", ...c } as SettingChange)}\n\n`
const stateFrame = (mode: "live" | "polling") => `event: state\ndata: ${JSON.stringify(state(mode))}\n\n`


const follow = (client: HttpClient.HttpClient, take: number) =>
  Effect.map(
    Stream.runCollect(Stream.take(GatewayAccountEvents.follow(client, ACCOUNT, worded("gw.test", ACCOUNT)), take)),
    Chunk.toReadonlyArray
  )

const shown: LiveMessage = {
  _tag: "LiveState",
  live: true,
  overview: { multiAssets: false, hedgeMode: true, symbols: state("live").settings!.symbols, readWeight: 0 }
}

describe("GatewayAccountEvents.follow", () => {
  it.effect("replaces the settings on `state` and passes each `change` on, every kind of setting", () =>
    Effect.gen(function*() {
      const { client, urls } = serve([{
        body: `: hello\n\n${stateFrame("live")}${change({ _tag: "MultiAssets", multiAssetsMargin: true })}${
          change({ _tag: "MarginType", symbol: "ETHUSDT", marginType: "ISOLATED" })
        }${change({ _tag: "Leverage", symbol: "BNBUSDT", leverage: 20 })}${change({ _tag: "PositionMode", dualSidePosition: false })}`
      }])
      assert.deepStrictEqual(yield* follow(client, 5), [
        shown,
        { _tag: "LiveChange", change: { _tag: "MultiAssets", multiAssets: true } },
        { _tag: "LiveChange", change: { _tag: "MarginType", symbol: "ETHUSDT", marginType: "ISOLATED" } },
        { _tag: "LiveChange", change: { _tag: "Leverage", symbol: "BNBUSDT", leverage: 20 } },
        { _tag: "LiveChange", change: { _tag: "PositionMode", hedgeMode: false } }
      ])
      assert.deepStrictEqual(urls, [LINK])
    }))

  it.effect("is not live while the gateway polls", () =>
    Effect.gen(function*() {
      const { client } = serve([{ body: stateFrame("polling") }])
      const [first] = yield* follow(client, 1)
      assert.deepInclude(first, { _tag: "LiveState", live: false })
    }))

  it.effect("says it is not live when the stream is cut, and opens it again 2 s later", () =>
    Effect.gen(function*() {
      const { client, urls } = serve([{ body: stateFrame("live") }, { body: stateFrame("live") }])
      const fiber = yield* Effect.fork(follow(client, 3))
      yield* TestClock.adjust("2 seconds")
      const messages = yield* Fiber.join(fiber)
      assert.deepStrictEqual(messages[0], shown)
      assert.deepInclude(messages[1], { _tag: "LiveStatus", live: false })
      assert.deepStrictEqual(messages[2], shown)
      assert.strictEqual(urls.length, 2)
    }))

  it.effect("ends with the refusal in words when the gateway refuses the token", () =>
    Effect.gen(function*() {
      const { client, urls } = serve([{ status: 401, body: JSON.stringify({ _tag: "Unauthenticated", message: "unknown token" }) }])
      const messages = yield* Effect.map(
        Stream.runCollect(GatewayAccountEvents.follow(client, ACCOUNT, worded("gw.test", ACCOUNT))),
        Chunk.toReadonlyArray
      )
      assert.deepStrictEqual(messages, [{ _tag: "LiveStatus", live: false, reason: "The gateway did not accept the token" }])
      assert.strictEqual(urls.length, 1)
    }))
})
