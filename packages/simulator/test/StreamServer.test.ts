import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import WebSocket from "ws"
import * as Server from "../src/Server.js"
import { API_KEYS, creds, seedWith } from "./support/Client.js"

const ADMIN = { Authorization: "Bearer admin-token", "Content-Type": "application/json" }

/** A stream client that records messages, pings and how the connection ended. */
const open = (url: string, options: WebSocket.ClientOptions = {}) =>
  Effect.async<{ ws: WebSocket; messages: Array<any>; pings: Array<number>; closed: Promise<{ code: number; reason: string }> }, Error>((resume) => {
    const ws = new WebSocket(url, options)
    const messages: Array<any> = []
    const pings: Array<number> = []
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })))
    ws.on("message", (data) => messages.push(JSON.parse(String(data))))
    ws.on("ping", () => pings.push(Date.now()))
    ws.once("open", () => resume(Effect.succeed({ ws, messages, pings, closed })))
    ws.once("unexpected-response", (_req, res) => {
      let body = ""
      res.on("data", (c) => (body += c))
      res.on("end", () => resume(Effect.fail(new Error(`${res.statusCode} ${body}`))))
    })
  })

const wsUrl = (server: Server.RunningServer, path: string) => `${server.url.replace("http", "ws")}${path}`

const rest = (server: Server.RunningServer, method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
  Effect.promise(() => fetch(`${server.url}${path}`, { method, ...init }).then(async (r) => ({ status: r.status, json: await r.json() })))

const newKey = (server: Server.RunningServer, apiKey = API_KEYS.HMAC) =>
  Effect.map(rest(server, "POST", "/fapi/v1/listenKey", { headers: { "X-MBX-APIKEY": apiKey } }), (r) => r.json.listenKey as string)

const setLeverage = (server: Server.RunningServer, symbol: string, leverage: number) =>
  Effect.gen(function*() {
    const c = yield* creds("ED25519")
    const payload = `symbol=${symbol}&leverage=${leverage}&timestamp=${Date.now()}`
    const signature = encodeURIComponent(yield* Effect.orDie(c.signer.sign(payload)))
    return yield* rest(server, "POST", "/fapi/v1/leverage", {
      headers: { "X-MBX-APIKEY": c.apiKey, "Content-Type": "application/x-www-form-urlencoded" },
      body: `${payload}&signature=${signature}`
    })
  })

const until = (check: () => boolean, ms = 3000) =>
  Effect.promise(async () => {
    const end = Date.now() + ms
    while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
    return check()
  })

const serve = (config: Record<string, unknown> = {}) =>
  Server.scoped({ seed: seedWith({}, config), adminToken: "admin-token", keyExpiryCheckMs: 20 })

describe("user-data stream over WebSocket", () => {
  it.scopedLive("both paths deliver the events of a change made with another key and through the control API; an unknown key is refused", () =>
    Effect.gen(function*() {
      const server = yield* serve()
      const key = yield* newKey(server)
      const modern = yield* open(wsUrl(server, `/private/ws?listenKey=${key}`))
      const legacy = yield* open(wsUrl(server, `/ws/${key}`))
      const combined = yield* open(wsUrl(server, `/private/stream?listenKey=${key}`))
      assert.strictEqual((yield* setLeverage(server, "BTCUSDT", 33)).status, 200)
      yield* rest(server, "PUT", "/_sim/accounts/main/settings", { headers: ADMIN, body: JSON.stringify({ multiAssetsMargin: true }) })
      assert.isTrue(yield* until(() => modern.messages.length === 2 && legacy.messages.length === 2 && combined.messages.length === 2))
      assert.deepStrictEqual(combined.messages.map((m) => m.stream), [key, key])
      assert.deepStrictEqual(combined.messages.map((m) => m.data), modern.messages)
      for (const client of [modern, legacy]) {
        assert.deepStrictEqual(client.messages.map(({ E, T, ...rest }) => (assert.strictEqual(E, T), rest)), [
          { e: "ACCOUNT_CONFIG_UPDATE", ac: { s: "BTCUSDT", l: 33 } },
          { e: "ACCOUNT_CONFIG_UPDATE", ai: { j: true } }
        ])
      }
      assert.strictEqual((yield* setLeverage(server, "BTCUSDT", 126)).status, 400)
      const refused = yield* Effect.flip(open(wsUrl(server, "/private/ws?listenKey=doesNotExist")))
      assert.strictEqual(refused.message, "400 {\"code\":-1125,\"msg\":\"This listenKey does not exist.\"}")
      assert.match((yield* Effect.flip(open(wsUrl(server, "/other")))).message, /^404 /)
      yield* Effect.sleep(50)
      assert.strictEqual(modern.messages.length, 2)
      yield* rest(server, "DELETE", "/fapi/v1/listenKey", { headers: { "X-MBX-APIKEY": API_KEYS.RSA } })
      assert.deepStrictEqual(yield* Effect.promise(() => modern.closed), { code: 1000, reason: "listenKey closed" })
    }))

  it.scopedLive("an expired key sends listenKeyExpired, then closes; a connection is closed at its maximum lifetime", () =>
    Effect.gen(function*() {
      const server = yield* serve({ listenKeyTtlMs: 300 })
      const created = Date.now()
      const key = yield* newKey(server)
      const client = yield* open(wsUrl(server, `/ws/${key}`))
      assert.deepStrictEqual(yield* Effect.promise(() => client.closed), { code: 1000, reason: "listenKey expired" })
      assert.isAtLeast(Date.now() - created, 300)
      assert.deepStrictEqual(client.messages.map((m) => [m.e, typeof m.E, m.listenKey]), [["listenKeyExpired", "string", key]])
      yield* rest(server, "PUT", "/_sim/config", { headers: ADMIN, body: JSON.stringify({ listenKeyTtlMs: 60_000, streamMaxConnectionMs: 150 }) })
      const short = yield* open(wsUrl(server, `/private/ws?listenKey=${yield* newKey(server)}`))
      assert.deepStrictEqual(yield* Effect.promise(() => short.closed), { code: 1000, reason: "connection lifetime reached" })
    }))

  it.scopedLive("the server pings; a client that does not answer is closed after the pong timeout", () =>
    Effect.gen(function*() {
      const server = yield* serve({ streamPingIntervalMs: 50, streamPongTimeoutMs: 400 })
      const key = yield* newKey(server)
      const answering = yield* open(wsUrl(server, `/ws/${key}`))
      const silent = yield* open(wsUrl(server, `/ws/${key}`), { autoPong: false })
      const closed = yield* Effect.promise(() => silent.closed)
      assert.strictEqual(closed.code, 1006)
      assert.isAtLeast(silent.pings.length, 2)
      assert.isAtLeast(answering.pings.length, 2)
      assert.strictEqual(answering.ws.readyState, WebSocket.OPEN)
    }))

  it.scopedLive("faults: delayed events, dropped connections, keys expired now", () =>
    Effect.gen(function*() {
      const server = yield* serve()
      const key = yield* newKey(server)
      const client = yield* open(wsUrl(server, `/ws/${key}`))
      yield* rest(server, "PUT", "/_sim/stream/delay", { headers: ADMIN, body: JSON.stringify({ ms: 300 }) })
      const sent = Date.now()
      yield* setLeverage(server, "ETHUSDT", 9)
      yield* rest(server, "DELETE", "/_sim/stream/delay", { headers: ADMIN })
      yield* setLeverage(server, "ETHUSDT", 10)
      assert.isTrue(yield* until(() => client.messages.length === 2))
      assert.isAtLeast(Date.now() - sent, 290)
      assert.deepStrictEqual(client.messages.map((m) => m.ac.l), [9, 10])
      const dropped = yield* rest(server, "POST", "/_sim/stream/drop", { headers: ADMIN, body: JSON.stringify({ account: "main" }) })
      assert.deepStrictEqual(dropped.json, { dropped: 1 })
      assert.strictEqual((yield* Effect.promise(() => client.closed)).code, 1006)
      const again = yield* open(wsUrl(server, `/ws/${key}`))
      assert.deepStrictEqual((yield* rest(server, "POST", "/_sim/stream/expire", { headers: ADMIN })).json, { expired: 1 })
      assert.strictEqual((yield* Effect.promise(() => again.closed)).reason, "listenKey expired")
      assert.strictEqual(again.messages[0].e, "listenKeyExpired")
      assert.strictEqual((yield* rest(server, "PUT", "/fapi/v1/listenKey", { headers: { "X-MBX-APIKEY": API_KEYS.HMAC } })).json.code, -1125)
    }))
})
