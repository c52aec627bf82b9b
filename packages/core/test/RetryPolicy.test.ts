/**
 * The one retry policy (RetryPolicy.ts) as BinanceHttp applies it: what is sent again, and what a
 * 429 does to a caller that fails fast ("fail") or one that waits it out ("wait").
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as TestClock from "effect/TestClock"
import * as Catalog from "../src/Catalog.js"
import * as Clock from "effect/Clock"
import { type BinanceError, RateLimited, ServiceUnavailable, TimestampOutsideWindow, Transport } from "../src/Errors.js"
import { MarginClient } from "../src/MarginClient.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import { accountConfig, clientLayer, error, scripted, time } from "./support/ScriptedBinance.js"

const TOO_MANY = "Too many requests; current limit is 2400 requests per minute."
const sent = (seen: ReadonlyArray<{ readonly path: string }>) => seen.filter((r) => r.path === Catalog.accountConfig.path).length

/** Answers accountConfig with `first` answers from `limited`, then with the flag. */
const limitedThenOk = (times: number, limited = () => error(429, -1003, TOO_MANY, { "retry-after": "7" })) => {
  let left = times
  return scripted((req) => {
    if (req.path === Catalog.time.path) return time(0)
    if (left > 0) {
      left--
      return limited()
    }
    return accountConfig(true)
  })
}

const upstream = { code: null, msg: "x", endpoint: "GET /x" }

/**
 * Lets real time pass until `done` holds: signing and the scripted answers are real promises, so a
 * TestClock step taken before the call has reached the point under test would be lost.
 */
const settled = (done: () => boolean) =>
  Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 2))).pipe(Effect.repeat({ until: done }))

describe("RetryPolicy", () => {
  it("sends again only what certainly did not execute", () => {
    const unavailable = new ServiceUnavailable({ ...upstream, status: 503, reason: "unavailable" })
    const serverError = new ServiceUnavailable({ ...upstream, status: 500, reason: "server-error" })
    const transport = new Transport({ ...upstream, status: 0, reason: "connection" })
    const limited = new RateLimited({ ...upstream, status: 429, source: "exchange", retryAfterSeconds: 7 })
    for (const write of [false, true]) {
      assert.isTrue(RetryPolicy.isTransient(write)(unavailable))
      assert.isFalse(RetryPolicy.isTransient(write)(limited))
    }
    // A read may be sent again after any 5xx or a broken connection; a write may have executed.
    assert.isTrue(RetryPolicy.isTransient(false)(serverError))
    assert.isFalse(RetryPolicy.isTransient(true)(serverError))
    assert.isTrue(RetryPolicy.isTransient(false)(transport))
    assert.isFalse(RetryPolicy.isTransient(true)(transport))
    // The firewall's 403 and the local budget's refusal are not the exchange's 429.
    assert.isTrue(RetryPolicy.isExchange429(limited))
    assert.isFalse(RetryPolicy.isExchange429(new RateLimited({ ...upstream, status: 403, source: "firewall", retryAfterSeconds: 30 })))
    assert.isFalse(RetryPolicy.isExchange429(new RateLimited({ ...upstream, status: 0, source: "budget", retryAfterSeconds: 3 })))
  })

  it.effect("by default a 429 goes to the caller at once", () => {
    const { seen, layer } = limitedThenOk(1)
    return Effect.gen(function*() {
      const e = yield* Effect.flip((yield* MarginClient).getMultiAssetsMode())
      assert.strictEqual(e._tag, "RateLimited")
      assert.strictEqual(sent(seen), 1)
    }).pipe(Effect.provide(clientLayer(layer)))
  })

  it.effect("\"wait\" waits a 429 out as Binance asks, says so, and sends the call again", () => {
    const { seen, layer } = limitedThenOk(1)
    const logged: Array<string> = []
    const capture = Logger.replace(Logger.defaultLogger, Logger.make((o) => void logged.push(`${o.logLevel.label} ${String(o.message)}`)))
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork((yield* MarginClient).getMultiAssetsMode())
      yield* settled(() => logged.some((l) => l.startsWith("WARN")))
      yield* TestClock.adjust("6 seconds")
      assert.strictEqual(sent(seen), 1)
      yield* TestClock.adjust("1 second")
      assert.isTrue(yield* Fiber.join(fiber))
      assert.strictEqual(sent(seen), 2)
      assert.deepStrictEqual(logged.filter((l) => l.startsWith("WARN")), [
        "WARN Binance answered 429 (too many requests); waiting 7 s as it asks"
      ])
    }).pipe(Effect.provide(clientLayer(layer, { retry: { onRateLimited: "wait" } })), Effect.provide(capture))
  })

  it.effect("\"wait\" gives up after rateLimitRetries more sends", () => {
    const { seen, layer } = limitedThenOk(10)
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.flip((yield* MarginClient).getMultiAssetsMode()))
      // A second of the budget's pause at a time, until the call has given up.
      yield* Effect.repeat(Effect.zipRight(TestClock.adjust("1 second"), settled(() => true)), {
        until: () => fiber.unsafePoll() !== null
      })
      assert.strictEqual((yield* Fiber.join(fiber))._tag, "RateLimited")
      assert.strictEqual(sent(seen), 3)
    }).pipe(Effect.provide(clientLayer(layer, { retry: { onRateLimited: "wait", rateLimitRetries: 2 } })))
  })

  it.effect("\"wait\" does not wait out the firewall's 403", () => {
    const { seen, layer } = limitedThenOk(1, () => ({ status: 403, body: "<html>403 Forbidden</html>" }))
    return Effect.gen(function*() {
      const e = yield* Effect.flip((yield* MarginClient).getMultiAssetsMode())
      assert.deepInclude(e, { _tag: "RateLimited", source: "firewall", status: 403 })
      assert.strictEqual(sent(seen), 1)
    }).pipe(Effect.provide(clientLayer(layer, { retry: { onRateLimited: "wait" } })))
  })

  describe("schedule", () => {
    const unavailable = new ServiceUnavailable({ ...upstream, status: 503, reason: "unavailable" })
    const skew = new TimestampOutsideWindow({ ...upstream, status: 400, code: -1021, reason: "ahead" })
    const limited = new RateLimited({ ...upstream, status: 429, source: "exchange", retryAfterSeconds: 7 })
    const transport = new Transport({ ...upstream, status: 0, reason: "connection" })

    /** Retries a call that fails with `failures` in turn (then succeeds); when each send happened (ms). */
    const run = (failures: ReadonlyArray<BinanceError>, options: Partial<RetryPolicy.Options>, write = false) =>
      Effect.gen(function*() {
        const sends: Array<number> = []
        const start = yield* Clock.currentTimeMillis
        const call = Effect.flatMap(Clock.currentTimeMillis, (now) => {
          sends.push(now - start)
          const failure = failures[sends.length - 1]
          return failure === undefined ? Effect.succeed("ok") : Effect.fail(failure)
        })
        const fiber = yield* Effect.fork(Effect.either(Effect.retry(call, RetryPolicy.schedule({ ...RetryPolicy.DEFAULT, ...options }, write))))
        yield* TestClock.adjust("10 seconds")
        const result = yield* Fiber.join(fiber)
        return { sends, result: result._tag === "Right" ? result.right : result.left._tag }
      })

    it.effect("waits 200, 400, 800 ms between transient sends and counts each rule apart", () =>
      Effect.gen(function*() {
        // A -1021 between transients is sent again at once and does not use up a transient resend.
        assert.deepStrictEqual(yield* run([unavailable, skew, unavailable, unavailable], {}), {
          sends: [0, 200, 200, 600, 1400],
          result: "ok"
        })
        assert.deepStrictEqual(yield* run([unavailable, unavailable, unavailable, unavailable], {}), {
          sends: [0, 200, 600, 1400],
          result: "ServiceUnavailable"
        })
        assert.deepStrictEqual(yield* run([skew, skew], {}), { sends: [0, 0], result: "TimestampOutsideWindow" })
      }))

    it.effect("resends a 429 only with \"wait\", rateLimitRetries times, without a wait of its own", () =>
      Effect.gen(function*() {
        assert.deepStrictEqual(yield* run([limited], {}), { sends: [0], result: "RateLimited" })
        assert.deepStrictEqual(yield* run([limited, limited, limited], { onRateLimited: "wait", rateLimitRetries: 2 }), {
          sends: [0, 0, 0],
          result: "RateLimited"
        })
        assert.deepStrictEqual(yield* run([limited, limited], { onRateLimited: "wait", rateLimitRetries: 2 }), {
          sends: [0, 0, 0],
          result: "ok"
        })
      }))

    it.effect("never resends a write that may have executed", () =>
      Effect.gen(function*() {
        assert.deepStrictEqual(yield* run([transport], {}, true), { sends: [0], result: "Transport" })
        assert.deepStrictEqual(yield* run([transport], {}, false), { sends: [0, 200], result: "ok" })
      }))
  })
})
