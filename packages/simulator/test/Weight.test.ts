import { assert, describe, it } from "@effect/vitest"
import { messageOf } from "@marginctl/core/BinanceCodes"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { control, creds, get, makeSim, seedWith, send, setMarginType } from "./support/Client.js"

const used = (a: { headers: Readonly<Record<string, string>> }) => Number(a.headers["x-mbx-used-weight-1m"])
const time = (sim: Parameters<typeof send>[0], clientIp = "10.0.0.1") =>
  send(sim, { method: "GET", path: "/fapi/v1/time", clientIp })

describe("request weight", () => {
  it.effect("X-MBX-USED-WEIGHT-1M on every answer, errors included, counting each request's weight", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const answers = [
        yield* send(sim, { method: "GET", path: "/fapi/v1/accountConfig", query: "timestamp=0&signature=x" }), // -2014: 5
        yield* get(sim, { ...c, apiKey: "nobody" }, "/fapi/v1/multiAssetsMargin"), // -2015: 30
        yield* send(sim, { method: "GET", path: "/fapi/v1/accountConfig", query: "timestamp=0&signature=00", headers: { "X-MBX-APIKEY": c.apiKey } }), // -1022: 5
        yield* setMarginType(sim, c, "BTCUSDT", "CROSSED"), // -4046: 1
        yield* send(sim, { method: "GET", path: "/nowhere" }), // 404: 1
        yield* get(sim, c, "/fapi/v1/openOrders") // 40
      ]
      assert.deepStrictEqual(answers.map((a) => a.status), [401, 401, 400, 400, 404, 200])
      assert.deepStrictEqual(answers.map(used), [5, 35, 40, 41, 42, 82])
    }))

  it.effect("counts per IP in fixed minutes", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      yield* TestClock.setTime(59_000)
      assert.strictEqual(used(yield* time(sim, "10.0.0.1")), 1)
      assert.strictEqual(used(yield* time(sim, "10.0.0.1")), 2)
      assert.strictEqual(used(yield* time(sim, "10.0.0.2")), 1)
      yield* TestClock.setTime(60_000)
      assert.strictEqual(used(yield* time(sim, "10.0.0.1")), 1)
      const weights = (yield* control(sim, "GET", "/_sim/weight")).json
      assert.strictEqual(weights.limit, 2400)
      assert.strictEqual(weights.ips["10.0.0.1"].used, 1)
      assert.strictEqual(weights.ips["10.0.0.2"].used, 0)
    }))

  it.effect("past the limit: 429 -1003 with Retry-After = seconds to the next minute", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({}, { weightLimit: 10 }))
      yield* TestClock.setTime(120_000 + 15_500)
      for (let i = 0; i < 10; i++) assert.strictEqual((yield* time(sim)).status, 200)
      const limited = yield* time(sim)
      assert.strictEqual(limited.status, 429)
      assert.deepStrictEqual(limited.json, {
        code: -1003,
        msg: "Too many requests; current limit is 10 requests per minute. Please use the websocket for live updates to avoid polling the API."
      })
      assert.strictEqual(limited.headers["retry-after"], "45")
      assert.strictEqual(used(limited), 11)
      // Another IP is not affected; the next minute starts afresh.
      assert.strictEqual((yield* time(sim, "10.9.9.9")).status, 200)
      yield* TestClock.setTime(180_000)
      assert.strictEqual((yield* time(sim)).status, 200)
    }))

  it.effect("a signed change past the limit is refused with 429 and not applied", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({}, { weightLimit: 5 }))
      const c = yield* creds("RSA")
      yield* get(sim, c, "/fapi/v1/accountConfig")
      const answer = yield* setMarginType(sim, c, "BTCUSDT", "ISOLATED")
      assert.strictEqual(answer.status, 429)
      assert.strictEqual(sim.log().length, 0)
    }))

  it.effect("keeping on after a 429 → 418 ban with Retry-After; bans escalate 2, 4, 8 minutes", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({}, { weightLimit: 3, banAfter: 2 }))
      let start = 0
      const expected = [120, 240, 480]
      for (const banSeconds of expected) {
        yield* TestClock.setTime(start)
        for (let i = 0; i < 3; i++) assert.strictEqual((yield* time(sim)).status, 200)
        assert.strictEqual((yield* time(sim)).status, 429)
        assert.strictEqual((yield* time(sim)).status, 429)
        assert.strictEqual((yield* time(sim)).status, 429)
        const banned = yield* time(sim)
        assert.strictEqual(banned.status, 418)
        const until = start + banSeconds * 1000
        assert.deepStrictEqual(banned.json, { code: -1003, msg: messageOf(-1003, 1, until) })
        assert.strictEqual(banned.headers["retry-after"], String(banSeconds))
        assert.isDefined(banned.headers["x-mbx-used-weight-1m"])
        // Everything is refused while the ban lasts, even in a new minute.
        yield* TestClock.setTime(start + 61_000)
        const still = yield* time(sim)
        assert.strictEqual(still.status, 418)
        assert.strictEqual(still.headers["retry-after"], String(banSeconds - 61))
        yield* TestClock.setTime(until)
        assert.strictEqual((yield* time(sim)).status, 200)
        start = until + 60_000 - (until % 60_000)
      }
    }))

  it.effect("bans stop growing at three days", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({}, { weightLimit: 1, banAfter: 0, banBaseMs: 2 * 24 * 3600 * 1000 }))
      const provoke = (at: number) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(at)
          yield* time(sim)
          assert.strictEqual((yield* time(sim)).status, 429)
          return yield* time(sim)
        })
      const first = yield* provoke(0)
      assert.strictEqual(first.headers["retry-after"], String(2 * 24 * 3600))
      const second = yield* provoke(2 * 24 * 3600 * 1000)
      assert.strictEqual(second.status, 418)
      assert.strictEqual(second.headers["retry-after"], String(3 * 24 * 3600))
    }))
})
