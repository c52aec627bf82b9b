/**
 * A third-party client's user-data stream, unchanged, pointed at the simulator server: the `binance`
 * package's WebsocketClient gets its listenKey over REST (`restOptions.baseUrl`), connects to
 * `/private/stream?listenKey=` (`wsUrl`) and receives the events that a change made with its
 * USDMClient and one made through the control API send, exactly as the engine sent them.
 */
import { USDMClient, WebsocketClient } from "binance"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { startServer } from "../src/Server.js"
import { API_KEYS, HMAC_SECRET, seedWith } from "./support/Client.js"

const silent = { trace: () => {}, info: () => {}, error: () => {} }

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
  return check()
}

describe("binance (WebsocketClient user-data stream)", () => {
  it("receives ACCOUNT_CONFIG_UPDATE and ACCOUNT_UPDATE unchanged", async () => {
    const server = await startServer({ seed: seedWith(), adminToken: "admin-token" })
    const options = { api_key: API_KEYS.HMAC, api_secret: HMAC_SECRET, beautify: false }
    const ws = new WebsocketClient(
      { ...options, wsUrl: server.url.replace("http", "ws"), restOptions: { baseUrl: server.url, disableTimeSync: true } },
      silent as never
    )
    try {
      const received: Array<Record<string, unknown>> = []
      let opened = false
      ws.on("open", () => (opened = true))
      ws.on("message", (event: unknown) => received.push(event as Record<string, unknown>))
      await ws.subscribeUsdFuturesUserDataStream()
      expect(await until(() => opened)).toBe(true)
      const live = await fetch(`${server.url}/_sim/stream`, { headers: { Authorization: "Bearer admin-token" } }).then((r) => r.json())
      const key: string = live.keys[0].listenKey
      expect(live.keys[0].connections).toBe(1)
      const sent: Array<unknown> = []
      await Effect.runPromise(server.sim.subscribe(key, { event: (text) => sent.push(JSON.parse(text)), close: () => {} }))

      const rest = new USDMClient({ ...options, baseUrl: server.url, disableTimeSync: true, beautifyResponses: false })
      await rest.setMultiAssetsMode({ multiAssetsMargin: "true" })
      await fetch(`${server.url}/_sim/accounts/main/settings`, {
        method: "PUT",
        headers: { Authorization: "Bearer admin-token", "Content-Type": "application/json" },
        body: JSON.stringify({ multiAssetsMargin: false, marginTypes: { BTCUSDT: "ISOLATED" } })
      })
      expect(await until(() => received.length === 3)).toBe(true)
      expect(sent.map((e) => (e as { e: string }).e)).toEqual(["ACCOUNT_CONFIG_UPDATE", "ACCOUNT_CONFIG_UPDATE", "ACCOUNT_UPDATE"])
      // the client adds where the event came from; the rest is the event as sent
      const added = received.map(({ wsMarket, streamName, wsKey, isWSAPIResponse, ...event }) => {
        expect([wsMarket, streamName, isWSAPIResponse, typeof wsKey]).toEqual(["usdm", key, false, "string"])
        return event
      })
      expect(added).toEqual(sent)
    } finally {
      ws.closeAll(true)
      await server.close()
    }
  }, 60_000)
})
