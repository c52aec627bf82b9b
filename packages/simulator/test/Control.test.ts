import { assert, describe, it } from "@effect/vitest"
import * as Signer from "@marginctl/core/Signer"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { readFileSync } from "node:fs"
import * as Simulator from "../src/Simulator.js"
import {
  control,
  creds,
  ED25519_PUBLIC,
  get,
  HMAC_SECRET,
  makeSim,
  RSA_PUBLIC,
  seedWith,
  send,
  setMarginType,
  setMultiAssets
} from "./support/Client.js"

const rejectedCode = (a: { json: { code: number } }) => a.json.code

describe("control API: auth and routing", () => {
  it.effect("401 without the admin token, 404/405 for unknown routes and methods", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const none = yield* sim.handle({ method: "GET", path: "/_sim/accounts", query: "", body: "", headers: {}, clientIp: "127.0.0.1" })
      assert.strictEqual(none.status, 401)
      assert.strictEqual(none.headers["WWW-Authenticate"], "Bearer")
      const wrong = yield* control(sim, "GET", "/_sim/accounts", undefined, "not-the-token")
      assert.strictEqual(wrong.status, 401)
      assert.strictEqual(wrong.json.error, "unauthorized")
      assert.strictEqual((yield* control(sim, "GET", "/_sim/nothing")).status, 404)
      assert.strictEqual((yield* control(sim, "PATCH" as "PUT", "/_sim/accounts")).status, 405)
      assert.strictEqual((yield* control(sim, "GET", "/_sim/accounts/nobody")).status, 404)
    }))

  it.effect("account views never contain key material", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const answer = yield* control(sim, "GET", "/_sim/accounts")
      assert.strictEqual(answer.status, 200)
      assert.notInclude(answer.text, HMAC_SECRET)
      assert.notInclude(answer.text, "BEGIN PUBLIC KEY")
      assert.deepStrictEqual(answer.json[0].keys.map((k: { keyType: string }) => k.keyType), ["HMAC", "RSA", "ED25519", "HMAC"])
    }))
})

describe("control API: seeding and validation", () => {
  const put = (body: unknown) =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      return yield* control(sim, "PUT", "/_sim/accounts", body)
    })

  it.effect("clear 400s naming the field", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        ["{not json", "(body)"],
        [{ accounts: [{ name: "a", apiKey: "bad key", secret: "s" }] }, "accounts[0].apiKey"],
        [{ accounts: [{ name: "a", apiKey: "k1" }] }, "accounts[0]"],
        [{ accounts: [{ name: "a", secret: "s" }] }, "accounts[0].apiKey"],
        [{ accounts: [{ name: "a", apiKey: "k1", secret: "s", publicKeyPem: RSA_PUBLIC }] }, "accounts[0]"],
        [{ accounts: [{ name: "a", apiKey: "k1", publicKeyPem: "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----" }] }, "accounts[0].publicKeyPem"],
        [{ accounts: [{ name: "a", apiKey: "k1", publicKeyFile: "key.pem" }] }, "accounts[0].publicKeyFile"],
        [{ accounts: [{ name: "a", apiKey: "k1", secret: "s", marginTypes: { NOPEUSDT: "ISOLATED" } }] }, "accounts[0].marginTypes.NOPEUSDT"],
        [{ accounts: [{ name: "a", apiKey: "k1", secret: "s", marginTypes: { BTCUSDT: "isolated" } }] }, "accounts[0].marginTypes.BTCUSDT"],
        [{ accounts: [{ name: "a", apiKey: "k1", secret: "s", leverage: { BTCUSDT: 500 } }] }, "accounts[0].leverage.BTCUSDT"],
        [{ accounts: [{ name: "a", apiKey: "k1", secret: "s", balances: { USDT: "lots" } }] }, "accounts[0].balances.USDT"],
        [{ accounts: [{ name: "a", apiKey: "k1", secret: "s", positions: [{ symbol: "BTCUSDT" }] }] }, "accounts[0].positions[0].positionAmt"],
        [{ accounts: [{ name: "a", apiKey: "k1", secret: "s", positions: [{ symbol: "BTCUSDT", positionAmt: 1, positionSide: "LONG" }] }] }, "accounts[0].positions[0].positionSide"],
        [{ accounts: [{ name: "a", apiKey: "k1", secret: "s", multiAssetsMargin: false, creditsLock: true }] }, "accounts[0].multiAssetsMargin"],
        [{ accounts: [{ name: "a", apiKey: "k1", secret: "s", multiAsetsMargin: true }] }, "accounts[0].multiAsetsMargin"],
        [{ accounts: [{ name: "a", apiKey: "k1", secret: "s" }, { name: "a", apiKey: "k2", secret: "s" }] }, "accounts[1].name"],
        [{ accounts: [{ name: "a", apiKey: "k1", secret: "s" }, { name: "b", apiKey: "k1", secret: "s" }] }, "accounts[1]"],
        [{ config: { weightLimit: -1 } }, "config.weightLimit"]
      ]
      for (const [body, field] of cases) {
        const answer = yield* put(body)
        assert.strictEqual(answer.status, 400, JSON.stringify(body).slice(0, 120))
        assert.strictEqual(answer.json.error, "invalid input")
        assert.strictEqual(answer.json.field, field, JSON.stringify(answer.json))
        assert.isString(answer.json.message)
      }
    }))

  it.effect("PUT replaces every account; new keys of all types work at once", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const answer = yield* control(sim, "PUT", "/_sim/accounts", {
        accounts: [
          { name: "alpha", apiKey: "alphaKey", secret: HMAC_SECRET, multiAssetsMargin: true },
          { name: "beta", keys: [{ apiKey: "betaRsa", publicKeyPem: RSA_PUBLIC }, { apiKey: "betaEd", publicKeyPem: ED25519_PUBLIC, permissions: ["USER_DATA"] }] }
        ]
      })
      assert.strictEqual(answer.status, 200)
      assert.deepStrictEqual(answer.json.map((a: { name: string }) => a.name), ["alpha", "beta"])
      assert.isUndefined(sim.account("main"))
      const alpha = yield* creds("HMAC", "alphaKey")
      assert.deepStrictEqual((yield* get(sim, alpha, "/fapi/v1/multiAssetsMargin")).json, { multiAssetsMargin: true })
      const betaRsa = yield* creds("RSA", "betaRsa")
      assert.strictEqual((yield* setMarginType(sim, betaRsa, "ETHUSDT", "ISOLATED")).json.code, 200)
      const betaEd = yield* creds("ED25519", "betaEd")
      assert.strictEqual((yield* setMarginType(sim, betaEd, "ETHUSDT", "CROSSED")).status, 401)
      // The old keys are gone.
      const old = yield* creds("HMAC")
      assert.strictEqual((yield* get(sim, old, "/fapi/v1/accountConfig")).json.code, -2015)
    }))

  it.effect("POST /_sim/accounts adds one account; a duplicate name is a 400", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const added = yield* control(sim, "POST", "/_sim/accounts", { name: "second", apiKey: "secondKey", secret: "xyz" })
      assert.strictEqual(added.status, 201)
      assert.strictEqual((yield* control(sim, "POST", "/_sim/accounts", { name: "second", apiKey: "other", secret: "x" })).status, 400)
      const c = { apiKey: "secondKey", signer: yield* Effect.orDie(Signer.make(Signer.hmac(Redacted.make("xyz")))) }
      assert.strictEqual((yield* get(sim, c, "/fapi/v1/accountConfig")).status, 200)
    }))
})

describe("control API: state changes", () => {
  it.effect("orders (regular and algo) block rules until canceled", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const regular = yield* control(sim, "POST", "/_sim/accounts/main/orders", { symbol: "BTCUSDT", side: "SELL", price: 70000, quantity: 0.01 })
      assert.strictEqual(regular.status, 201)
      assert.strictEqual(regular.json.kind, "regular")
      const algo = yield* control(sim, "POST", "/_sim/accounts/main/orders", { kind: "algo", symbol: "ETHUSDT", orderType: "TAKE_PROFIT_MARKET", triggerPrice: 4000 })
      assert.strictEqual(algo.json.kind, "algo")
      assert.strictEqual((yield* get(sim, c, "/fapi/v1/openOrders")).json[0].orderId, regular.json.orderId)
      assert.strictEqual((yield* get(sim, c, "/fapi/v1/openAlgoOrders")).json[0].algoId, algo.json.algoId)
      assert.strictEqual(rejectedCode(yield* setMarginType(sim, c, "BTCUSDT", "ISOLATED")), -4047)
      assert.strictEqual(rejectedCode(yield* setMultiAssets(sim, c, true)), -4170)
      assert.strictEqual((yield* control(sim, "DELETE", `/_sim/accounts/main/orders/${regular.json.orderId}`)).status, 200)
      assert.strictEqual((yield* control(sim, "DELETE", `/_sim/accounts/main/orders/${regular.json.orderId}`)).status, 404)
      assert.strictEqual((yield* setMarginType(sim, c, "BTCUSDT", "ISOLATED")).json.code, 200)
      assert.strictEqual(rejectedCode(yield* setMultiAssets(sim, c, true)), -4167)
      assert.strictEqual((yield* control(sim, "DELETE", `/_sim/accounts/main/orders/${algo.json.algoId}`)).json.kind, "algo")
      const bad = yield* control(sim, "POST", "/_sim/accounts/main/orders", { symbol: "BTCUSDT", side: "HOLD" })
      assert.strictEqual(bad.json.field, "side")
      const unknown = yield* control(sim, "POST", "/_sim/accounts/main/orders", { symbol: "NOPE" })
      assert.deepStrictEqual(unknown.json, { error: "invalid input", field: "symbol", message: "unknown symbol \"NOPE\"" })
    }))

  it.effect("positions open and close (amount 0); a position blocks the margin type", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("RSA")
      const opened = yield* control(sim, "POST", "/_sim/accounts/main/positions", { symbol: "ETHUSDT", amount: "-0.5", entryPrice: 3200 })
      assert.strictEqual(opened.status, 200)
      assert.strictEqual(opened.json.positionAmt, "-0.500")
      assert.strictEqual(rejectedCode(yield* setMarginType(sim, c, "ETHUSDT", "ISOLATED")), -4048)
      const closed = yield* control(sim, "POST", "/_sim/accounts/main/positions", { symbol: "ETHUSDT", positionAmt: 0 })
      assert.deepStrictEqual(closed.json, { closed: true, symbol: "ETHUSDT" })
      assert.strictEqual((yield* setMarginType(sim, c, "ETHUSDT", "ISOLATED")).json.code, 200)
      assert.deepStrictEqual((yield* get(sim, c, "/fapi/v3/positionRisk")).json, [])
    }))

  it.effect("balances and settings can be forced", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("ED25519")
      const balances = yield* control(sim, "PUT", "/_sim/accounts/main/balances", { BTC: "-0.2" })
      assert.strictEqual(balances.json.BTC, "-0.20000000")
      assert.strictEqual(rejectedCode(yield* setMultiAssets(sim, c, true)), -4172)
      const settings = yield* control(sim, "PUT", "/_sim/accounts/main/settings", {
        multiAssetsMargin: true,
        dualSidePosition: true,
        marginTypes: { BNBUSDT: "ISOLATED" },
        leverage: { BNBUSDT: 10 }
      })
      assert.strictEqual(settings.status, 200)
      const config = (yield* get(sim, c, "/fapi/v1/accountConfig")).json
      assert.strictEqual(config.multiAssetsMargin, true)
      assert.strictEqual(config.dualSidePosition, true)
      const bnb = (yield* get(sim, c, "/fapi/v1/symbolConfig", [["symbol", "BNBUSDT"]])).json[0]
      assert.deepStrictEqual([bnb.marginType, bnb.leverage], ["ISOLATED", 10])
      assert.strictEqual((yield* control(sim, "PUT", "/_sim/accounts/main/settings", { feeTier: -1 })).json.field, "feeTier")
    }))

  it.effect("config changes at run time (quirk4067)", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      assert.strictEqual(rejectedCode(yield* setMarginType(sim, c, "BTCUSDT", "CROSSED")), -4046)
      const updated = yield* control(sim, "PUT", "/_sim/config", { quirk4067: true })
      assert.strictEqual(updated.json.quirk4067, true)
      assert.strictEqual(rejectedCode(yield* setMarginType(sim, c, "BTCUSDT", "CROSSED")), -4067)
      assert.strictEqual((yield* control(sim, "PUT", "/_sim/config", { quirk4067: "yes" })).json.field, "quirk4067")
    }))

  it.effect("the log records each accepted change once, filterable by account, source and seq", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      yield* setMultiAssets(sim, c, true)
      yield* setMultiAssets(sim, c, true) // -4171, not logged
      yield* control(sim, "PUT", "/_sim/accounts/main/balances", { USDT: 5 })
      yield* setMarginType(sim, c, "BTCUSDT", "ISOLATED") // -4168, not logged
      yield* setMultiAssets(sim, c, false)
      const all = (yield* control(sim, "GET", "/_sim/log")).json
      assert.deepStrictEqual(all.map((e: { seq: number; source: string; endpoint: string }) => [e.seq, e.source, e.endpoint]), [
        [1, "api", "POST /fapi/v1/multiAssetsMargin"],
        [2, "control", "PUT /_sim/accounts/:name/balances"],
        [3, "api", "POST /fapi/v1/multiAssetsMargin"]
      ])
      assert.deepStrictEqual(all[1].before.USDT, 10000)
      assert.deepStrictEqual(all[1].after.USDT, 5)
      assert.strictEqual((yield* control(sim, "GET", "/_sim/log?source=api&since=1")).json.length, 1)
      assert.strictEqual((yield* control(sim, "GET", "/_sim/log?account=other")).json.length, 0)
    }))

  it.effect("request counts per endpoint and path (for coalescing tests)", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      yield* get(sim, c, "/fapi/v1/accountConfig")
      yield* get(sim, c, "/fapi/v1/accountConfig")
      yield* setMultiAssets(sim, c, true)
      yield* get(sim, c, "/fapi/v1/multiAssetsMargin")
      const counts = (yield* control(sim, "GET", "/_sim/requests/count")).json
      assert.strictEqual(counts.byPath["/fapi/v1/accountConfig"], 2)
      assert.strictEqual(counts.byPath["/fapi/v1/multiAssetsMargin"], 2)
      assert.strictEqual(counts.byEndpoint["POST /fapi/v1/multiAssetsMargin"], 1)
      assert.strictEqual(counts.total, 4)
      assert.strictEqual(sim.requestCount("/fapi/v1/multiAssetsMargin"), 2)
      assert.strictEqual(sim.requestCount("/fapi/v1/multiAssetsMargin", "GET"), 1)
      yield* control(sim, "DELETE", "/_sim/requests/count")
      assert.strictEqual((yield* control(sim, "GET", "/_sim/requests/count")).json.total, 0)
    }))

  it.effect("reset goes back to the seed and clears weights, faults, log and counts", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({ marginTypes: { ETHUSDT: "ISOLATED" } }, { weightLimit: 100 }))
      const c = yield* creds("HMAC")
      yield* setMarginType(sim, c, "ETHUSDT", "CROSSED")
      yield* control(sim, "PUT", "/_sim/config", { quirk4067: true })
      yield* control(sim, "POST", "/_sim/faults", { kind: "drop", endpoint: "/fapi/v1/ping" })
      yield* control(sim, "POST", "/_sim/accounts", { name: "extra", apiKey: "extraKey", secret: "x" })
      assert.strictEqual((yield* control(sim, "POST", "/_sim/reset")).status, 200)
      assert.strictEqual(sim.account("main")!.symbols.get("ETHUSDT")!.marginType, "ISOLATED")
      assert.isUndefined(sim.account("extra"))
      assert.strictEqual(sim.config.quirk4067, false)
      assert.strictEqual(sim.config.weightLimit, 100)
      assert.deepStrictEqual((yield* control(sim, "GET", "/_sim/log")).json, [])
      assert.deepStrictEqual((yield* control(sim, "GET", "/_sim/faults")).json, [])
      assert.deepStrictEqual((yield* control(sim, "GET", "/_sim/weight")).json.ips, {})
      assert.strictEqual((yield* send(sim, { method: "GET", path: "/fapi/v1/ping" })).status, 200)
    }))

  it.effect("without a seed: one demo account with a generated HMAC key", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.make()
      const demo = sim.demo!
      assert.match(demo.apiKey, /^[A-Za-z0-9]{64}$/)
      assert.match(sim.adminToken, /^[A-Za-z0-9]{40}$/)
      const c = { apiKey: demo.apiKey, signer: yield* Effect.orDie(Signer.make(Signer.hmac(Redacted.make(demo.secret)))) }
      assert.strictEqual((yield* setMultiAssets(sim, c, true)).json.code, 200)
      yield* sim.reset
      assert.isFalse(sim.account("demo")!.multiAssetsMargin)
      assert.strictEqual((yield* get(sim, c, "/fapi/v1/accountConfig")).status, 200)
    }))

  it.effect("the example seed (examples/seed.json, shown in the README) is valid", () =>
    Effect.gen(function*() {
      const seed = JSON.parse(readFileSync(new URL("../examples/seed.json", import.meta.url), "utf8"))
      const sim = yield* Simulator.make({ seed })
      const alice = sim.account("alice")!
      assert.strictEqual(alice.keys.length, 2)
      assert.strictEqual(alice.symbols.get("ETHUSDT")!.marginType, "ISOLATED")
      assert.strictEqual(alice.positions.length, 2)
      assert.isTrue(sim.account("credits")!.multiAssetsMargin)
    }))

  it.effect("an invalid seed fails make with the field", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Simulator.make({ seed: { accounts: [{ name: "x y" }] } }))
      assert.strictEqual(error.field, "accounts[0].name")
    }))
})
