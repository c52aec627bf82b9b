/**
 * `Client.layer`'s validation: every bad option is an InvalidInput naming the field and what is
 * accepted, and never echoes a secret. (The layer against the exchange: simulator/test/ClientLayer.test.ts.)
 */
import * as Client from "../src/Client.js"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

const HMAC = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
const good: Client.Options = { target: "testnet", apiKey: "key", secret: HMAC }

const problem = (options: unknown) =>
  Effect.flip(Client.make(options as Client.Options)).pipe(Effect.map((e) => ({ field: e.field, message: e.message })))

describe("Client.make", () => {
  it.effect("accepts an environment name or a base URL as the target", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* Client.make(good)).config.baseUrl, "https://testnet.binancefuture.com")
      assert.strictEqual((yield* Client.make({ ...good, target: "prod" })).config.baseUrl, "https://fapi.binance.com")
      const sim = yield* Client.make({ ...good, target: "http://127.0.0.1:7357/", apiKey: Redacted.make("key"), recvWindow: 2000 })
      assert.strictEqual(sim.config.baseUrl, "http://127.0.0.1:7357")
      assert.strictEqual(sim.config.recvWindow, 2000)
      assert.strictEqual(sim.signer.keyType, "HMAC")
    }))

  it.effect("names the field and what is accepted", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [unknown, string, RegExp]> = [
        [{ ...good, target: "mainnet" }, "target", /"prod", "testnet", "demo" or an http\(s\) base URL; got "mainnet"/],
        [{ ...good, target: 42 }, "target", /got 42/],
        [{ ...good, target: "ftp://x" }, "target", /http\(s\) base URL/],
        [{ target: "prod", secret: HMAC }, "apiKey", /API key/],
        [{ ...good, apiKey: "" }, "apiKey", /non-empty/],
        [{ ...good, recvWindow: 60_001 }, "recvWindow", /from 1 to 60000; got 60001/],
        [{ ...good, recvWindow: 1.5 }, "recvWindow", /whole number/],
        [{ ...good, budget: { limit: 0 } }, "budget.limit", /weight per minute/],
        [{ ...good, budget: { maxWaitMs: -1 } }, "budget.maxWaitMs", /from 0 to 3600000/],
        [{ target: "prod", apiKey: "k" }, "secret", /secret \(the HMAC secret\) or privateKey/],
        [{ ...good, privateKey: "-----BEGIN PRIVATE KEY-----" }, "secret", /not both/],
        [{ target: "prod", apiKey: "k", privateKey: "not a pem" }, "privateKey", /usable signing key/],
        [null, "options", /Client.layer/]
      ]
      for (const [options, field, message] of cases) {
        const p = yield* problem(options)
        assert.strictEqual(p.field, field, JSON.stringify(options))
        assert.match(p.message, message)
      }
    }))

  it.effect("never echoes a secret in its errors", () =>
    Effect.gen(function*() {
      const secret = "s3cr3t-value-never-shown"
      for (const options of [{ ...good, secret: 12 }, { ...good, apiKey: 12, secret }, { target: "prod", apiKey: secret, privateKey: secret }]) {
        const p = yield* problem(options)
        assert.notInclude(p.message, secret)
        assert.notInclude(p.message, "12")
      }
    }))
})
