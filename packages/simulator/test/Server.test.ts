import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as http from "node:http"
import { tmpdir } from "node:os"
import * as path from "node:path"
import * as Server from "../src/Server.js"
import { API_KEYS, creds, type Creds, HMAC_SECRET, RSA_PUBLIC, seedWith } from "./support/Client.js"

const signedFetch = (url: string, c: Creds, method: "GET" | "POST", pathname: string, params: string) =>
  Effect.gen(function*() {
    const payload = `${params}${params ? "&" : ""}timestamp=${Date.now()}`
    const raw = yield* Effect.orDie(c.signer.sign(payload))
    const sig = c.signer.keyType === "HMAC" ? raw : encodeURIComponent(raw)
    const response = yield* Effect.promise(() =>
      method === "GET"
        ? fetch(`${url}${pathname}?${payload}&signature=${sig}`, { headers: { "X-MBX-APIKEY": c.apiKey } })
        : fetch(`${url}${pathname}`, {
          method,
          headers: { "X-MBX-APIKEY": c.apiKey, "Content-Type": "application/x-www-form-urlencoded" },
          body: `${payload}&signature=${sig}`
        })
    )
    return { status: response.status, headers: response.headers, json: yield* Effect.promise(() => response.json()) }
  })

/** A raw node:http request; resolves with the socket error when the server drops the connection. */
const rawRequest = (url: string, pathname: string) =>
  Effect.async<{ readonly status?: number; readonly error?: NodeJS.ErrnoException }>((resume) => {
    const req = http.get(`${url}${pathname}`, { agent: false }, (res) => {
      res.resume()
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode! })))
    })
    req.on("error", (error) => resume(Effect.succeed({ error })))
  })

describe("server over a socket", () => {
  it.scopedLive("binds 127.0.0.1 on a random port and serves the exchange and the control API", () =>
    Effect.gen(function*() {
      const server = yield* Server.scoped({ seed: seedWith(), adminToken: "admin-token" })
      assert.strictEqual(server.host, "127.0.0.1")
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
      const time = yield* Effect.promise(() => fetch(`${server.url}/fapi/v1/time`))
      assert.strictEqual(time.status, 200)
      assert.strictEqual(time.headers.get("x-mbx-used-weight-1m"), "1")
      for (const kind of ["HMAC", "RSA", "ED25519"] as const) {
        const c = yield* creds(kind)
        const read = yield* signedFetch(server.url, c, "GET", "/fapi/v1/accountConfig", "")
        assert.strictEqual(read.status, 200, kind)
      }
      const change = yield* signedFetch(server.url, yield* creds("RSA"), "POST", "/fapi/v1/marginType", "symbol=%E5%B8%81%E5%AE%89%E4%BA%BA%E7%94%9FUSDT&marginType=ISOLATED")
      assert.deepStrictEqual(change.json, { code: 200, msg: "success" })
      const log = yield* Effect.promise(() =>
        fetch(`${server.url}/_sim/log`, { headers: { Authorization: "Bearer admin-token" } }).then((r) => r.json())
      )
      assert.strictEqual(log[0].after.symbol, "币安人生USDT")
      const unauthorized = yield* Effect.promise(() => fetch(`${server.url}/_sim/log`))
      assert.strictEqual(unauthorized.status, 401)
    }))

  it.scopedLive("a dropped-connection fault destroys the socket: the client sees a socket error", () =>
    Effect.gen(function*() {
      const server = yield* Server.scoped({ seed: seedWith() })
      server.sim.faults.add({ kind: "drop", endpoint: "/fapi/v1/time", count: 1 })
      const dropped = yield* rawRequest(server.url, "/fapi/v1/time")
      assert.isDefined(dropped.error)
      assert.include(["ECONNRESET", "UND_ERR_SOCKET"], dropped.error!.code ?? dropped.error!.message)
      const next = yield* rawRequest(server.url, "/fapi/v1/time")
      assert.strictEqual(next.status, 200)
    }))

  it.scopedLive("latency is added to the answer", () =>
    Effect.gen(function*() {
      const server = yield* Server.scoped({ seed: seedWith() })
      server.sim.faults.add({ kind: "latency", ms: 300, endpoint: "/fapi/v1/ping", count: 1 })
      const started = Date.now()
      const answer = yield* rawRequest(server.url, "/fapi/v1/ping")
      assert.strictEqual(answer.status, 200)
      assert.isAtLeast(Date.now() - started, 290)
    }))

  it.scopedLive("clock skew: serverTime moves, a signed request with local time is -1021", () =>
    Effect.gen(function*() {
      const server = yield* Server.scoped({ seed: seedWith() })
      server.sim.faults.add({ kind: "clockSkew", offsetMs: 30_000 })
      const time = yield* Effect.promise(() => fetch(`${server.url}/fapi/v1/time`).then((r) => r.json()))
      assert.isAtLeast(time.serverTime - Date.now(), 29_000)
      const answer = yield* signedFetch(server.url, yield* creds("HMAC"), "GET", "/fapi/v1/accountConfig", "")
      assert.deepStrictEqual(answer.json, { code: -1021, msg: "Timestamp for this request is outside of the recvWindow." })
    }))

  it.scopedLive("a seed file with publicKeyFile; bodies over the limit get 413", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(path.join(tmpdir(), "sim-seed-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      writeFileSync(path.join(dir, "rsa.pem"), RSA_PUBLIC)
      writeFileSync(
        path.join(dir, "seed.json"),
        JSON.stringify({ accounts: [{ name: "file", apiKey: API_KEYS.RSA, publicKeyFile: "rsa.pem" }] })
      )
      const server = yield* Server.scoped({ seedFile: path.join(dir, "seed.json"), maxBodyBytes: 1000 })
      const read = yield* signedFetch(server.url, yield* creds("RSA"), "GET", "/fapi/v1/accountConfig", "")
      assert.strictEqual(read.status, 200)
      const big = yield* Effect.promise(() =>
        fetch(`${server.url}/fapi/v1/marginType`, { method: "POST", body: "x".repeat(5000) })
      )
      assert.strictEqual(big.status, 413)
    }))

  it.scopedLive("the server's own answers (413 body too large, 500 when the engine fails) carry X-MBX-USED-WEIGHT-1M", () =>
    Effect.gen(function*() {
      const server = yield* Server.scoped({ seed: seedWith(), adminToken: "admin-token", maxBodyBytes: 1000 })
      const time = yield* Effect.promise(() => fetch(`${server.url}/fapi/v1/time`))
      assert.strictEqual(time.headers.get("x-mbx-used-weight-1m"), "1")
      const big = yield* Effect.promise(() => fetch(`${server.url}/fapi/v1/marginType`, { method: "POST", body: "x".repeat(5000) }))
      assert.strictEqual(big.status, 413)
      // The IP's weight so far; the refused request is not counted.
      assert.strictEqual(big.headers.get("x-mbx-used-weight-1m"), "1")
      assert.deepStrictEqual(yield* Effect.promise(() => big.json()), { code: -1000, msg: "Request body too large." })
      // A control request too large is refused the same way, without the exchange's header.
      const bigControl = yield* Effect.promise(() =>
        fetch(`${server.url}/_sim/accounts`, { method: "PUT", headers: { Authorization: "Bearer admin-token" }, body: "x".repeat(5000) })
      )
      assert.strictEqual(bigControl.status, 413)
      assert.isNull(bigControl.headers.get("x-mbx-used-weight-1m"))
      // The engine failing (a defect) is a 500 with the header.
      const handle = server.sim.handle
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          ;(server.sim as { handle: typeof handle }).handle = () => Effect.die(new Error("engine defect"))
        }),
        () => Effect.sync(() => {
          ;(server.sim as { handle: typeof handle }).handle = handle
        })
      )
      const failed = yield* Effect.promise(() => fetch(`${server.url}/fapi/v1/ping`))
      assert.strictEqual(failed.status, 500)
      assert.strictEqual(failed.headers.get("x-mbx-used-weight-1m"), "1")
      assert.deepStrictEqual(yield* Effect.promise(() => failed.json()), {
        code: -1000,
        msg: "An unknown error occured while processing the request."
      })
    }))

  it.scopedLive("an invalid seed file fails to start with the field named", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Server.scoped({ seed: { accounts: [{ name: "a", apiKey: "k", secret: "s", leverage: { BTCUSDT: 0 } }] } }))
      assert.include(error.message, "accounts[0].leverage.BTCUSDT")
    }))
})

describe("node:crypto HMAC fast path", () => {
  it("accepts Binance's published vector in either case and rejects anything else", () => {
    const verify = Server.nodeHmacVerifier(HMAC_SECRET)
    const payload = "multiAssetsMargin=true&recvWindow=5000&timestamp=1591702613943"
    const signature = "1192b4d24fd363ab1ac33fff658cbf72c94e3d9387c51d118e19de1f2a5f3cdc"
    assert.isTrue(verify(payload, signature))
    assert.isTrue(verify(payload, signature.toUpperCase()))
    assert.isFalse(verify(`${payload}0`, signature))
    assert.isFalse(verify(payload, signature.slice(1)))
    assert.isFalse(verify(payload, `${signature.slice(0, 63)}g`))
    assert.isFalse(verify(payload, ""))
  })
})
