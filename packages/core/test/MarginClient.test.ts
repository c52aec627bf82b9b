import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as Tracer from "effect/Tracer"
import * as Catalog from "../src/Catalog.js"
import { MarginClient } from "../src/MarginClient.js"
import * as Signer from "../src/Signer.js"
import * as WeightBudget from "../src/WeightBudget.js"
import {
  accountConfig,
  API_KEY,
  clientLayer,
  error,
  ok,
  scripted,
  SECRET,
  symbolConfig,
  time
} from "./support/ScriptedBinance.js"

const BTC = "BTCUSDT" as any

describe("requests as sent", () => {
  it.effect("a signed GET: parameters in the query, recvWindow and timestamp, signature last and valid", () => {
    const { seen, layer } = scripted((req) =>
      req.path === Catalog.time.path ? time(0) : symbolConfig([["BTCUSDT", "CROSSED"]])
    )
    return Effect.gen(function*() {
      const client = yield* MarginClient
      yield* client.getMarginTypes([BTC])
      const req = seen.find((r) => r.path === Catalog.symbolConfig.path)!
      assert.strictEqual(req.method, "GET")
      assert.strictEqual(req.body, "")
      assert.strictEqual(req.headers["x-mbx-apikey"], API_KEY)
      const [payload, signature] = req.query.split("&signature=")
      assert.match(payload!, /^symbol=BTCUSDT&recvWindow=5000&timestamp=\d+$/)
      const signer = yield* Signer.make(Signer.hmac(Redacted.make(SECRET)))
      assert.strictEqual(signature, yield* signer.sign(payload!))
    }).pipe(Effect.provide(clientLayer(layer)))
  })

  it.effect("a POST: form body, signature last, nothing in the query; non-ASCII symbols percent-encoded as UTF-8", () => {
    const { seen, layer } = scripted((req) => (req.path === Catalog.time.path ? time(0) : ok))
    return Effect.gen(function*() {
      const client = yield* MarginClient
      const result = yield* client.setMarginType("币安人生USDT" as any, "ISOLATED")
      assert.deepStrictEqual(result, { outcome: "changed", reconciled: false })
      const req = seen.find((r) => r.path === Catalog.setMarginType.path)!
      assert.strictEqual(req.method, "POST")
      assert.strictEqual(req.query, "")
      assert.strictEqual(req.headers["content-type"], "application/x-www-form-urlencoded")
      assert.match(
        req.body,
        /^symbol=%E5%B8%81%E5%AE%89%E4%BA%BA%E7%94%9FUSDT&marginType=ISOLATED&recvWindow=5000&timestamp=\d+&signature=[0-9a-f]{64}$/
      )
    }).pipe(Effect.provide(clientLayer(layer)))
  })

  it.effect("reads Multi-Assets Mode from accountConfig (weight 5), not the weight-30 GET", () => {
    const { seen, layer } = scripted((req) => (req.path === Catalog.time.path ? time(0) : accountConfig(true)))
    return Effect.gen(function*() {
      const client = yield* MarginClient
      assert.isTrue(yield* client.getMultiAssetsMode())
      assert.deepStrictEqual(seen.map((r) => r.path), ["/fapi/v1/time", "/fapi/v1/accountConfig"])
      const status = yield* client.budgetStatus
      assert.strictEqual(status.used, 6)
    }).pipe(Effect.provide(clientLayer(layer)))
  })
})

describe("idempotent setters", () => {
  it.effect("-4171 and -4046 are unchanged, not errors", () => {
    const { layer } = scripted((req) =>
      req.path === Catalog.time.path
        ? time(0)
        : req.path === Catalog.setMultiAssetsMargin.path
        ? error(400, -4171, "Adjusted asset mode is currently set and does not need to be adjusted repeatedly.")
        : error(400, -4046, "No need to change margin type.")
    )
    return Effect.gen(function*() {
      const client = yield* MarginClient
      assert.deepStrictEqual(yield* client.setMultiAssetsMode(true), { outcome: "unchanged", reconciled: false })
      assert.deepStrictEqual(yield* client.setMarginType(BTC, "CROSSED"), { outcome: "unchanged", reconciled: false })
    }).pipe(Effect.provide(clientLayer(layer)))
  })

  it.effect("-4067 from the margin-type endpoint is unchanged when a re-read shows the type already set", () => {
    const { seen, layer } = scripted((req) =>
      req.path === Catalog.time.path
        ? time(0)
        : req.path === Catalog.setMarginType.path
        ? error(400, -4067, "Position side cannot be changed if there exists open orders.")
        : symbolConfig([["BTCUSDT", "ISOLATED"]])
    )
    return Effect.gen(function*() {
      const client = yield* MarginClient
      assert.deepStrictEqual(yield* client.setMarginType(BTC, "ISOLATED"), { outcome: "unchanged", reconciled: true })
      const blocked = yield* Effect.flip(client.setMarginType(BTC, "CROSSED"))
      assert.strictEqual(blocked._tag, "MarginTypeBlocked")
      assert.strictEqual((blocked as any).code, -4067)
      assert.strictEqual(seen.filter((r) => r.path === Catalog.setMarginType.path).length, 2)
    }).pipe(Effect.provide(clientLayer(layer)))
  })
})

describe("unknown outcomes are resolved by re-reading", () => {
  it.effect("503 Unknown error on a POST that did execute: changed, reconciled, sent once", () => {
    let flag = false
    const { seen, layer } = scripted((req) => {
      if (req.path === Catalog.time.path) return time(0)
      if (req.path === Catalog.setMultiAssetsMargin.path) {
        flag = true
        return error(503, -1000, "Unknown error, please check your request or try again later.")
      }
      return accountConfig(flag)
    })
    return Effect.gen(function*() {
      const client = yield* MarginClient
      assert.deepStrictEqual(yield* client.setMultiAssetsMode(true), { outcome: "changed", reconciled: true })
      assert.strictEqual(seen.filter((r) => r.path === Catalog.setMultiAssetsMargin.path).length, 1)
    }).pipe(Effect.provide(clientLayer(layer)))
  })

  it.effect("503 Unknown error on a POST that did not execute: re-read, sent once more, changed", () => {
    let posts = 0
    let flag = false
    const { layer } = scripted((req) => {
      if (req.path === Catalog.time.path) return time(0)
      if (req.path === Catalog.setMultiAssetsMargin.path) {
        posts++
        if (posts === 1) return error(503, -1000, "Unknown error, please check your request or try again later.")
        flag = true
        return ok
      }
      return accountConfig(flag)
    })
    return Effect.gen(function*() {
      const client = yield* MarginClient
      assert.deepStrictEqual(yield* client.setMultiAssetsMode(true), { outcome: "changed", reconciled: true })
      assert.strictEqual(posts, 2)
    }).pipe(Effect.provide(clientLayer(layer)))
  })

  it.effect("a POST whose answer never comes times out as unknown and is settled by a re-read", () => {
    let flag = false
    const { layer } = scripted((req) => {
      if (req.path === Catalog.time.path) return time(0)
      if (req.path === Catalog.setMultiAssetsMargin.path) {
        flag = true
        return { hang: true }
      }
      return accountConfig(flag)
    })
    return Effect.gen(function*() {
      const client = yield* MarginClient
      const fiber = yield* Effect.fork(client.setMultiAssetsMode(true))
      // Signing is real async work (WebCrypto): the request timeout's sleep starts only after it.
      const realSleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))
      while (!flag) yield* realSleep(1)
      yield* realSleep(10)
      yield* TestClock.adjust("9 seconds")
      assert.isNull(fiber.unsafePoll()) // still waiting for the answer (timeout 10 s)
      yield* TestClock.adjust("2 seconds")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { outcome: "changed", reconciled: true })
    }).pipe(Effect.provide(clientLayer(layer)))
  })

  it.effect("unknown twice and the re-read still shows nothing: ExecutionUnknown", () => {
    const { layer } = scripted((req) =>
      req.path === Catalog.time.path
        ? time(0)
        : req.path === Catalog.setMultiAssetsMargin.path
        ? error(503, -1000, "Unknown error, please check your request or try again later.")
        : accountConfig(false)
    )
    return Effect.gen(function*() {
      const client = yield* MarginClient
      const e = yield* Effect.flip(client.setMultiAssetsMode(true))
      assert.strictEqual(e._tag, "ExecutionUnknown")
    }).pipe(Effect.provide(clientLayer(layer)))
  })
})

describe("clock", () => {
  it.effect("-1021 leads to exactly one resync and one retry", () => {
    let configCalls = 0
    const { seen, layer } = scripted((req) => {
      if (req.path === Catalog.time.path) return time(5_000)
      configCalls++
      return configCalls === 1
        ? error(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        : accountConfig(false)
    })
    return Effect.gen(function*() {
      const client = yield* MarginClient
      assert.isFalse(yield* client.getMultiAssetsMode())
      assert.deepStrictEqual(seen.map((r) => r.path), [
        "/fapi/v1/time",
        "/fapi/v1/accountConfig",
        "/fapi/v1/time",
        "/fapi/v1/accountConfig"
      ])
      // Timestamps follow the server clock (offset +5000 ms from the test clock at 0).
      assert.match(seen[3]!.query, /timestamp=5000&/)
    }).pipe(Effect.provide(clientLayer(layer)))
  })

  it.effect("a second -1021 is reported, not retried again", () => {
    const { seen, layer } = scripted((req) =>
      req.path === Catalog.time.path ? time(0) : error(400, -1021, "Timestamp for this request is outside of the recvWindow.")
    )
    return Effect.gen(function*() {
      const client = yield* MarginClient
      const e = yield* Effect.flip(client.getMultiAssetsMode())
      assert.strictEqual(e._tag, "TimestampOutsideWindow")
      assert.strictEqual((e as any).reason, "behind")
      assert.strictEqual(seen.filter((r) => r.path === Catalog.accountConfig.path).length, 2)
    }).pipe(Effect.provide(clientLayer(layer)))
  })
})

describe("limits", () => {
  it.effect("a call that waits for the budget is timestamped and signed when it is sent, not before", () => {
    const { seen, layer } = scripted((req) => (req.path === Catalog.time.path ? time(0) : accountConfig(false)))
    return Effect.gen(function*() {
      const client = yield* MarginClient
      const budget = yield* WeightBudget.WeightBudget
      yield* budget.setLimit(6)
      yield* client.getMultiAssetsMode() // time (1) + accountConfig (5): the budget is full for a minute
      const fiber = yield* Effect.fork(client.getMultiAssetsMode())
      yield* TestClock.adjust("61 seconds")
      assert.isFalse(yield* Fiber.join(fiber))
      const stamps = seen.filter((r) => r.path === Catalog.accountConfig.path).map((r) => Number(/timestamp=(\d+)/.exec(r.query)![1]))
      assert.strictEqual(stamps.length, 2)
      assert.isAtLeast(stamps[1]!, 60_000) // not the time the call started waiting (well past recvWindow)
    }).pipe(Effect.provide(clientLayer(layer)))
  })

  it.effect("429 pauses every caller for Retry-After seconds", () => {
    let limited = true
    const { seen, layer } = scripted((req) => {
      if (req.path === Catalog.time.path) return time(0)
      if (limited) {
        limited = false
        return error(429, -1003, "Too many requests; current limit is 2400 requests per minute.", { "retry-after": "7" })
      }
      return accountConfig(true)
    })
    return Effect.gen(function*() {
      const client = yield* MarginClient
      const e = yield* Effect.flip(client.getMultiAssetsMode())
      assert.strictEqual(e._tag, "RateLimited")
      assert.strictEqual((e as any).retryAfterSeconds, 7)
      const fiber = yield* Effect.fork(client.getMultiAssetsMode())
      yield* TestClock.adjust("6 seconds")
      assert.strictEqual(seen.filter((r) => r.path === Catalog.accountConfig.path).length, 1)
      yield* TestClock.adjust("1 second")
      assert.isTrue(yield* Fiber.join(fiber))
    }).pipe(Effect.provide(clientLayer(layer)))
  })

  it.effect("418 stops every call until the ban ends, without sending", () => {
    const { seen, layer } = scripted((req) =>
      req.path === Catalog.time.path
        ? time(0)
        : error(418, -1003, "Way too many requests; IP banned until 120000. Please use the websocket for live updates to avoid bans.", { "retry-after": "120" })
    )
    return Effect.gen(function*() {
      const client = yield* MarginClient
      assert.strictEqual((yield* Effect.flip(client.getMultiAssetsMode()))._tag, "IpBanned")
      const before = seen.length
      const again = yield* Effect.flip(client.getMultiAssetsMode())
      assert.strictEqual(again._tag, "IpBanned")
      assert.strictEqual(seen.length, before)
    }).pipe(Effect.provide(clientLayer(layer)))
  })

  it.live("a 503 Service Unavailable on a write is retried (it did not execute); Internal error too", () => {
    let posts = 0
    const { layer } = scripted((req) => {
      if (req.path === Catalog.time.path) return time(Date.now())
      posts++
      return posts === 1
        ? error(503, -1000, "Service Unavailable.")
        : posts === 2
        ? error(503, -1001, "Internal error; unable to process your request. Please try again.")
        : ok
    })
    return Effect.gen(function*() {
      const client = yield* MarginClient
      assert.deepStrictEqual(yield* client.setMarginType(BTC, "ISOLATED"), { outcome: "changed", reconciled: false })
      assert.strictEqual(posts, 3)
    }).pipe(Effect.provide(clientLayer(layer)))
  })
})

describe("traces", () => {
  it.effect("no span carries the signature, the signed URL, the API key or the secret", () => {
    const { layer } = scripted((req) =>
      req.path === Catalog.time.path ? time(0) : req.path === Catalog.accountConfig.path ? accountConfig(false) : ok
    )
    return Effect.gen(function*() {
      const native = yield* Effect.tracer
      const spans: Array<Tracer.Span> = []
      const recording = Tracer.make({
        span: (...args) => {
          const span = native.span(...args)
          spans.push(span)
          return span
        },
        context: native.context
      })
      yield* Effect.gen(function*() {
        const client = yield* MarginClient
        yield* client.getMultiAssetsMode()
        yield* client.setMarginType(BTC, "ISOLATED")
      }).pipe(Effect.provide(clientLayer(layer)), Effect.withTracer(recording))
      const names = spans.map((s) => s.name)
      assert.include(names, "BinanceHttp.accountConfig")
      assert.include(names, "BinanceHttp.setMarginType")
      const dump = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: [...s.attributes] })))
      for (const secret of ["signature", "timestamp=", API_KEY, SECRET]) assert.notInclude(dump, secret)
    })
  })
})
