import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { messageOf, SERVICE_503 } from "@marginctl/core/BinanceCodes"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as SimulatorHttpClient from "../src/SimulatorHttpClient.js"
import { control, creds, get, makeSim, send, setMarginType, setMultiAssets } from "./support/Client.js"

const used = (a: { headers: Readonly<Record<string, string>> }) => Number(a.headers["x-mbx-used-weight-1m"])

describe("faults", () => {
  it.effect("503 unknown, executed: the change is applied and logged once, then the answer is lost", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const added = yield* control(sim, "POST", "/_sim/faults", { kind: "unknown", executed: true, endpoint: "/fapi/v1/marginType", count: 1 })
      assert.strictEqual(added.status, 201)
      const answer = yield* setMarginType(sim, c, "BTCUSDT", "ISOLATED")
      assert.strictEqual(answer.status, 503)
      assert.deepStrictEqual(answer.json, { code: -1000, msg: SERVICE_503.unknown })
      assert.strictEqual(sim.account("main")!.symbols.get("BTCUSDT")!.marginType, "ISOLATED")
      // The client re-sends: now a no-op; the change happened exactly once.
      assert.deepStrictEqual((yield* setMarginType(sim, c, "BTCUSDT", "ISOLATED")).json, { code: -4046, msg: messageOf(-4046) })
      const log = (yield* control(sim, "GET", "/_sim/log?source=api")).json
      assert.strictEqual(log.length, 1)
    }))

  it.effect("503 unknown, not executed: nothing changes", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("ED25519")
      sim.faults.add({ kind: "unknown", executed: false, endpoint: "/fapi/v1/multiAssetsMargin" })
      const answer = yield* setMultiAssets(sim, c, true)
      assert.strictEqual(answer.status, 503)
      assert.deepStrictEqual(answer.json, { code: -1000, msg: SERVICE_503.unknown })
      assert.isFalse(sim.account("main")!.multiAssetsMargin)
      assert.strictEqual(sim.log().length, 0)
    }))

  it.effect("503 unavailable (not counted), internal (-1001), throttled (-1008 not counted)", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("RSA")
      sim.faults.add({ kind: "unavailable", count: 1 })
      const unavailable = yield* setMarginType(sim, c, "BTCUSDT", "ISOLATED")
      assert.strictEqual(unavailable.status, 503)
      assert.deepStrictEqual(unavailable.json, { code: -1000, msg: "Service Unavailable." })
      assert.strictEqual(used(unavailable), 0)
      sim.faults.add({ kind: "internal", count: 1 })
      const internal = yield* get(sim, c, "/fapi/v1/accountConfig")
      assert.deepStrictEqual(internal.json, { code: -1001, msg: "Internal error; unable to process your request. Please try again." })
      assert.strictEqual(internal.status, 503)
      assert.strictEqual(used(internal), 5)
      sim.faults.add({ kind: "throttled", count: 1 })
      const throttled = yield* setMarginType(sim, c, "BTCUSDT", "ISOLATED")
      assert.deepStrictEqual(throttled.json, { code: -1008, msg: messageOf(-1008) })
      assert.strictEqual(used(throttled), 5)
      assert.strictEqual(sim.log().length, 0)
      // Faults were counted: the next call goes through.
      assert.deepStrictEqual((yield* setMarginType(sim, c, "BTCUSDT", "ISOLATED")).json, { code: 200, msg: "success" })
    }))

  it.effect("other 5xx, per endpoint and method, for a given count", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      sim.faults.add({ kind: "status", status: 502, endpoint: "/fapi/v1/accountConfig", method: "GET", count: 2 })
      sim.faults.add({ kind: "status", endpoint: "/fapi/v1/time" })
      const statuses: Array<number> = []
      for (let i = 0; i < 3; i++) statuses.push((yield* get(sim, c, "/fapi/v1/accountConfig")).status)
      assert.deepStrictEqual(statuses, [502, 502, 200])
      assert.strictEqual((yield* get(sim, c, "/fapi/v1/symbolConfig")).status, 200)
      const time = yield* send(sim, { method: "GET", path: "/fapi/v1/time" })
      assert.strictEqual(time.status, 500)
      assert.deepStrictEqual(time.json, { code: -1000, msg: "Request occur unknown error." })
      // Permanent until cleared.
      assert.strictEqual((yield* send(sim, { method: "GET", path: "/fapi/v1/time" })).status, 500)
      assert.strictEqual((yield* control(sim, "DELETE", "/_sim/faults")).status, 200)
      assert.strictEqual((yield* send(sim, { method: "GET", path: "/fapi/v1/time" })).status, 200)
    }))

  it.effect("dropped connection: the in-process client fails with a Transport RequestError", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      sim.faults.add({ kind: "drop", endpoint: "/fapi/v1/time", count: 1 })
      const client = SimulatorHttpClient.make(sim)
      const result = yield* Effect.either(client.execute(HttpClientRequest.get("http://sim/fapi/v1/time")))
      assert.isTrue(Either.isLeft(result))
      const error = (result as Either.Left<HttpClientError.HttpClientError, unknown>).left
      assert.strictEqual(error._tag, "RequestError")
      assert.strictEqual((error as HttpClientError.RequestError).reason, "Transport")
      assert.isTrue(Either.isRight(yield* Effect.either(client.execute(HttpClientRequest.get("http://sim/fapi/v1/time")))))
    }))

  it.effect("latency delays the answer (TestClock-driven)", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      sim.faults.add({ kind: "latency", ms: 1500, endpoint: "/fapi/v1/time", count: 1 })
      const fiber = yield* Effect.fork(send(sim, { method: "GET", path: "/fapi/v1/time" }))
      yield* TestClock.adjust("1 second")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("600 millis")
      const answer = yield* Fiber.join(fiber)
      assert.strictEqual(answer.status, 200)
    }))

  it.effect("clock skew shifts server time: -1021 on both sides", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      yield* TestClock.setTime(1_000_000)
      const behind = sim.faults.add({ kind: "clockSkew", offsetMs: -2000 })
      assert.deepStrictEqual((yield* send(sim, { method: "GET", path: "/fapi/v1/time" })).json, { serverTime: 998_000 })
      assert.deepStrictEqual((yield* get(sim, c, "/fapi/v1/accountConfig")).json, { code: -1021, msg: messageOf(-1021, 1) })
      sim.faults.remove(behind.id)
      sim.faults.add({ kind: "clockSkew", offsetMs: 6000 })
      assert.deepStrictEqual((yield* get(sim, c, "/fapi/v1/accountConfig")).json, { code: -1021, msg: messageOf(-1021, 0) })
    }))

  it.effect("error: any documented code with its message and status, per endpoint; nothing is executed", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const added = yield* control(sim, "POST", "/_sim/faults", { kind: "error", code: -4109, endpoint: "/fapi/v1/marginType", count: 1 })
      assert.strictEqual(added.status, 201)
      const inactive = yield* setMarginType(sim, c, "BTCUSDT", "ISOLATED")
      assert.strictEqual(inactive.status, 400)
      assert.deepStrictEqual(inactive.json, { code: -4109, msg: "Inactive account" })
      assert.strictEqual(used(inactive), 1)
      assert.strictEqual(sim.log().length, 0)
      // The status Binance answers the code with, or the one given; the message given.
      sim.faults.add({ kind: "error", code: -2015, endpoint: "/fapi/v1/accountConfig", count: 1 })
      const rejected = yield* get(sim, c, "/fapi/v1/accountConfig")
      assert.strictEqual(rejected.status, 401)
      assert.deepStrictEqual(rejected.json, { code: -2015, msg: messageOf(-2015) })
      sim.faults.add({ kind: "error", code: -1021, msg: messageOf(-1021, 1), status: 400, endpoint: "/fapi/v1/accountConfig", count: 1 })
      assert.deepStrictEqual((yield* get(sim, c, "/fapi/v1/accountConfig")).json, { code: -1021, msg: messageOf(-1021, 1) })
      // Used up: the change goes through and is logged once.
      assert.deepStrictEqual((yield* setMarginType(sim, c, "BTCUSDT", "ISOLATED")).json, { code: 200, msg: "success" })
      assert.strictEqual(sim.log().length, 1)
    }))

  it.effect("raw: an answer that is not Binance's JSON (a WAF or CDN page), with the weight header", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const page = "<html><body><h1>403 Forbidden</h1></body></html>"
      sim.faults.add({ kind: "raw", status: 403, body: page, endpoint: "/fapi/v1/multiAssetsMargin", method: "POST", count: 1 })
      const blocked = yield* setMultiAssets(sim, c, true)
      assert.strictEqual(blocked.status, 403)
      assert.strictEqual(blocked.text, page)
      assert.strictEqual(blocked.headers["content-type"], "text/html; charset=utf-8")
      assert.strictEqual(used(blocked), 1)
      assert.isFalse(sim.account("main")!.multiAssetsMargin)
      assert.strictEqual(sim.log().length, 0)
      sim.faults.add({ kind: "raw", body: "{\"multiAssetsMargin\":\"yes\"}", contentType: "application/json", endpoint: "/fapi/v1/time" })
      const odd = yield* send(sim, { method: "GET", path: "/fapi/v1/time" })
      assert.strictEqual(odd.status, 200)
      assert.deepStrictEqual(odd.json, { multiAssetsMargin: "yes" })
      assert.strictEqual(odd.headers["content-type"], "application/json")
    }))

  it.effect("fault inputs are validated with the field named", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const bad = yield* control(sim, "POST", "/_sim/faults", { kind: "explode" })
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(bad.json.field, "kind")
      const badCount = yield* control(sim, "POST", "/_sim/faults", { kind: "drop", count: 0 })
      assert.strictEqual(badCount.json.field, "count")
      const typo = yield* control(sim, "POST", "/_sim/faults", { kind: "drop", cuont: 1 })
      assert.deepStrictEqual(typo.json, { error: "invalid input", field: "cuont", message: "is not a known field" })
      for (const [body, field] of [
        [{ kind: "error" }, "code"],
        [{ kind: "error", code: -9999 }, "code"],
        [{ kind: "error", code: -4109, status: 200 }, "status"],
        [{ kind: "raw" }, "body"],
        [{ kind: "raw", body: "x", status: 700 }, "status"],
        [{ kind: "raw", body: "x", contentType: "text/html\r\nX-Evil: 1" }, "contentType"],
        [{ kind: "status", status: 404 }, "status"]
      ] as const) {
        const answer = yield* control(sim, "POST", "/_sim/faults", body)
        assert.strictEqual(answer.status, 400, JSON.stringify(body))
        assert.strictEqual(answer.json.field, field, JSON.stringify(answer.json))
      }
      const listed = yield* control(sim, "GET", "/_sim/faults")
      assert.deepStrictEqual(listed.json, [])
    }))
})
