/**
 * Following a gateway account's events: the frames are those the gateway writes (`event: state` with
 * a SettingsState, `event: change` with a SettingChange, comments), served by an HttpClient in place
 * of the network, with the TestClock for the reconnection.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
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

/** A client answering each request with the next of `answers` (the last one again when they run out), recording the URLs. */
const serve = (answers: ReadonlyArray<{ readonly status?: number; readonly body: string }>) => {
  const urls: Array<string> = []
  let n = 0
  const client = HttpClient.make((request, url) =>
    Effect.sync(() => {
      urls.push(url.pathname)
      const answer = answers[Math.min(n++, answers.length - 1)]!
      const type = (answer.status ?? 200) === 200 ? "text/event-stream" : "application/json"
      return HttpClientResponse.fromWeb(request, new Response(answer.body, { status: answer.status ?? 200, headers: { "content-type": type } }))
    })
  ).pipe(HttpClient.mapRequest(HttpClientRequest.prependUrl("http://gw.test")))
  return { client, urls }
}

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
