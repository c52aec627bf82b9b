import { assert, describe, it } from "@effect/vitest"
import { messageOf } from "@marginctl/core/BinanceCodes"
import * as Responses from "@marginctl/core/Responses"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import {
  API_KEYS,
  creds,
  encode,
  encodeSignature,
  get,
  HMAC_SECRET,
  KEY_KINDS,
  makeSim,
  READ_ONLY_KEY,
  seedWith,
  send,
  setMarginType,
  setMultiAssets,
  signed
} from "./support/Client.js"

const expectError = (answer: { status: number; json: unknown }, code: number, msg: string, status = 400) => {
  assert.deepStrictEqual(answer.json, { code, msg })
  assert.strictEqual(answer.status, status)
}

describe("signed requests", () => {
  for (const kind of KEY_KINDS) {
    it.effect(`${kind}: a signed read and a signed change are accepted`, () =>
      Effect.gen(function*() {
        const sim = yield* makeSim()
        const c = yield* creds(kind)
        const read = yield* get(sim, c, "/fapi/v1/accountConfig")
        assert.strictEqual(read.status, 200)
        const config = Schema.decodeUnknownSync(Responses.AccountConfig)(read.json)
        assert.strictEqual(config.multiAssetsMargin, false)
        const change = yield* setMarginType(sim, c, "BTCUSDT", "ISOLATED")
        assert.deepStrictEqual(change.json, { code: 200, msg: "success" })
        assert.strictEqual(sim.account("main")!.symbols.get("BTCUSDT")!.marginType, "ISOLATED")
      }))

    it.effect(`${kind}: a wrong signature is -1022 and changes nothing`, () =>
      Effect.gen(function*() {
        const sim = yield* makeSim()
        const c = yield* creds(kind)
        const body = encode([["symbol", "BTCUSDT"], ["marginType", "ISOLATED"], ["timestamp", "0"]])
        const signature = yield* Effect.orDie(c.signer.sign(`${body}x`))
        const answer = yield* send(sim, {
          method: "POST",
          path: "/fapi/v1/marginType",
          body: `${body}&signature=${encodeSignature(c.signer, signature)}`,
          headers: { "X-MBX-APIKEY": c.apiKey }
        })
        expectError(answer, -1022, "Signature for this request is not valid.")
        assert.strictEqual(sim.log().length, 0)
      }))

    it.effect(`${kind}: a signature made with another key type is -1022`, () =>
      Effect.gen(function*() {
        const sim = yield* makeSim()
        const other = yield* creds(kind === "HMAC" ? "ED25519" : "HMAC")
        const answer = yield* get(sim, { apiKey: API_KEYS[kind], signer: other.signer }, "/fapi/v1/accountConfig")
        expectError(answer, -1022, messageOf(-1022))
      }))
  }

  it.effect("HMAC signatures are compared case-insensitively", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const q = "timestamp=0"
      const sig = (yield* Effect.orDie(c.signer.sign(q))).toUpperCase()
      const answer = yield* send(sim, {
        method: "GET",
        path: "/fapi/v1/accountConfig",
        query: `${q}&signature=${sig}`,
        headers: { "X-MBX-APIKEY": c.apiKey }
      })
      assert.strictEqual(answer.status, 200)
    }))

  it.effect("reproduces Binance's published mixed query+body vector (no '&' between them)", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim(seedWith({}, { recvWindowCap: null }))
      yield* TestClock.setTime(1591702613943)
      const answer = yield* send(sim, {
        method: "POST",
        path: "/fapi/v1/marginType",
        query: "symbol=BTCUSDT",
        body: "marginType=ISOLATED&recvWindow=5000&timestamp=1591702613943&signature=d788eec6770dc27218144ae0df28c752774aeb9debb850dde554f5b017a9e281",
        headers: { "X-MBX-APIKEY": API_KEYS.HMAC }
      })
      assert.deepStrictEqual(answer.json, { code: 200, msg: "success" })
      assert.strictEqual(HMAC_SECRET.length, 64)
    }))

  it.effect("parameters split between query and body are signed as query ‖ body", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      for (const kind of KEY_KINDS) {
        const c = yield* creds(kind)
        const symbol = kind === "HMAC" ? "ETHUSDT" : kind === "RSA" ? "SOLUSDT" : "BNBUSDT"
        const answer = yield* signed(sim, c, {
          method: "POST",
          path: "/fapi/v1/marginType",
          params: [["symbol", symbol], ["marginType", "ISOLATED"]],
          placement: "split"
        })
        assert.deepStrictEqual(answer.json, { code: 200, msg: "success" }, kind)
      }
    }))

  it.effect("all parameters in the query of a POST work too", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("RSA")
      const answer = yield* signed(sim, c, {
        method: "POST",
        path: "/fapi/v1/multiAssetsMargin",
        params: [["multiAssetsMargin", "true"]],
        placement: "query"
      })
      assert.deepStrictEqual(answer.json, { code: 200, msg: "success" })
      assert.isTrue(sim.account("main")!.multiAssetsMargin)
    }))

  it.effect("the query value wins over the body value", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const query = "marginType=ISOLATED"
      const body = "symbol=BTCUSDT&marginType=CROSSED&timestamp=0"
      const sig = yield* Effect.orDie(c.signer.sign(query + body))
      const answer = yield* send(sim, {
        method: "POST",
        path: "/fapi/v1/marginType",
        query,
        body: `${body}&signature=${sig}`,
        headers: { "X-MBX-APIKEY": c.apiKey }
      })
      assert.deepStrictEqual(answer.json, { code: 200, msg: "success" })
      assert.strictEqual(sim.account("main")!.symbols.get("BTCUSDT")!.marginType, "ISOLATED")
    }))

  it.effect("a signature that is not the last parameter is -1022", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const payload = "symbol=BTCUSDT&marginType=ISOLATED&timestamp=0"
      const sig = yield* Effect.orDie(c.signer.sign(payload))
      const first = yield* send(sim, {
        method: "POST",
        path: "/fapi/v1/marginType",
        body: `signature=${sig}&${payload}`,
        headers: { "X-MBX-APIKEY": c.apiKey }
      })
      expectError(first, -1022, messageOf(-1022))
      // In the query while the body still carries parameters: not last either.
      const second = yield* send(sim, {
        method: "POST",
        path: "/fapi/v1/marginType",
        query: `signature=${sig}`,
        body: payload,
        headers: { "X-MBX-APIKEY": c.apiKey }
      })
      expectError(second, -1022, messageOf(-1022))
      assert.strictEqual(sim.log().length, 0)
    }))

  it.effect("a non-ASCII symbol, percent-encoded as UTF-8, works for reads and changes", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      for (const kind of KEY_KINDS) {
        const c = yield* creds(kind)
        const type = kind === "RSA" ? "CROSSED" : "ISOLATED"
        const answer = yield* setMarginType(sim, c, "币安人生USDT", type)
        assert.deepStrictEqual(answer.json, { code: 200, msg: "success" }, kind)
      }
      const c = yield* creds("HMAC")
      const read = yield* get(sim, c, "/fapi/v1/symbolConfig", [["symbol", "币安人生USDT"]])
      const entries = Schema.decodeUnknownSync(Responses.SymbolConfig)(read.json)
      assert.deepStrictEqual(entries.map((e) => [e.symbol, e.marginType]), [["币安人生USDT", "ISOLATED"]])
      assert.strictEqual(sim.log().length, 3)
    }))

  it.effect("duplicate parameters are -1101", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const payload = "symbol=BTCUSDT&symbol=ETHUSDT&marginType=ISOLATED&timestamp=0"
      const sig = yield* Effect.orDie(c.signer.sign(payload))
      const answer = yield* send(sim, {
        method: "POST",
        path: "/fapi/v1/marginType",
        body: `${payload}&signature=${sig}`,
        headers: { "X-MBX-APIKEY": c.apiKey }
      })
      expectError(answer, -1101, "Duplicate values for a parameter detected.")
    }))
})

describe("API keys", () => {
  it.effect("a missing or malformed key header is -2014 with HTTP 401", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const missing = yield* send(sim, { method: "GET", path: "/fapi/v1/accountConfig", query: "timestamp=0&signature=00" })
      expectError(missing, -2014, "API-key format invalid.", 401)
      for (const bad of ["has space", "é-key", "x".repeat(200), ""]) {
        const answer = yield* send(sim, {
          method: "GET",
          path: "/fapi/v1/accountConfig",
          query: "timestamp=0&signature=00",
          headers: { "X-MBX-APIKEY": bad }
        })
        expectError(answer, -2014, "API-key format invalid.", 401)
      }
    }))

  it.effect("an unknown key is -2015; a read-only key is -2015 on TRADE endpoints only", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const hmac = yield* creds("HMAC")
      const unknown = yield* get(sim, { ...hmac, apiKey: "unknownKey123" }, "/fapi/v1/accountConfig")
      expectError(unknown, -2015, "Invalid API-key, IP, or permissions for action.", 401)
      const readOnly = { ...hmac, apiKey: READ_ONLY_KEY }
      assert.strictEqual((yield* get(sim, readOnly, "/fapi/v1/accountConfig")).status, 200)
      expectError(yield* setMultiAssets(sim, readOnly, true), -2015, messageOf(-2015), 401)
      expectError(yield* setMarginType(sim, readOnly, "BTCUSDT", "ISOLATED"), -2015, messageOf(-2015), 401)
      assert.isFalse(sim.account("main")!.multiAssetsMargin)
    }))

  it.effect("open endpoints need no key", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const time = yield* send(sim, { method: "GET", path: "/fapi/v1/time" })
      assert.deepStrictEqual(time.json, { serverTime: 0 })
      const info = yield* send(sim, { method: "GET", path: "/fapi/v1/exchangeInfo", headers: { "X-MBX-APIKEY": "not valid!" } })
      assert.strictEqual(info.status, 200)
    }))
})

describe("parameters", () => {
  it.effect("missing or empty mandatory parameters are -1102 naming the parameter", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const noType = yield* signed(sim, c, { method: "POST", path: "/fapi/v1/marginType", params: [["symbol", "BTCUSDT"]] })
      expectError(noType, -1102, "Mandatory parameter 'marginType' was not sent, was empty/null, or malformed.")
      const empty = yield* signed(sim, c, {
        method: "POST",
        path: "/fapi/v1/marginType",
        params: [["symbol", ""], ["marginType", "ISOLATED"]]
      })
      expectError(empty, -1102, messageOf(-1102, 1, "symbol"))
      const noTimestamp = yield* send(sim, {
        method: "GET",
        path: "/fapi/v1/accountConfig",
        query: "recvWindow=5000&signature=abc",
        headers: { "X-MBX-APIKEY": c.apiKey }
      })
      expectError(noTimestamp, -1102, messageOf(-1102, 1, "timestamp"))
      const noSignature = yield* send(sim, {
        method: "GET",
        path: "/fapi/v1/accountConfig",
        query: "timestamp=0",
        headers: { "X-MBX-APIKEY": c.apiKey }
      })
      expectError(noSignature, -1102, messageOf(-1102, 1, "signature"))
    }))

  it.effect("invalid values are -1130; malformed numbers are -1100; unknown symbols -1121", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("ED25519")
      expectError(yield* setMarginType(sim, c, "BTCUSDT", "isolated"), -1130, "Data sent for parameter 'marginType' is not valid.")
      expectError(yield* setMultiAssets(sim, c, "True"), -1130, messageOf(-1130, 1, "multiAssetsMargin"))
      expectError(yield* setMultiAssets(sim, c, "yes"), -1130, messageOf(-1130, 1, "multiAssetsMargin"))
      expectError(yield* setMarginType(sim, c, "NOPEUSDT", "ISOLATED"), -1121, "Invalid symbol.")
      expectError(yield* setMarginType(sim, c, "btcusdt", "ISOLATED"), -1121, "Invalid symbol.")
      const badTs = yield* send(sim, {
        method: "GET",
        path: "/fapi/v1/accountConfig",
        query: "timestamp=12.5&signature=abc",
        headers: { "X-MBX-APIKEY": c.apiKey }
      })
      expectError(badTs, -1100, "Illegal characters found in parameter 'timestamp'; legal range is '^[0-9]{1,20}$'.")
      const badWindow = yield* send(sim, {
        method: "GET",
        path: "/fapi/v1/accountConfig",
        query: "recvWindow=-1&timestamp=0&signature=abc",
        headers: { "X-MBX-APIKEY": c.apiKey }
      })
      expectError(badWindow, -1100, messageOf(-1100, 1, "recvWindow", "^[0-9]{1,20}$"))
      const malformed = yield* send(sim, {
        method: "GET",
        path: "/fapi/v1/symbolConfig",
        query: "symbol=%E5%B8&timestamp=0&signature=abc",
        headers: { "X-MBX-APIKEY": c.apiKey }
      })
      expectError(malformed, -1100, "Illegal characters found in a parameter.")
      const unknownOnRead = yield* get(sim, c, "/fapi/v1/openOrders", [["symbol", "XYZUSDT"]])
      expectError(unknownOnRead, -1121, "Invalid symbol.")
    }))

  it.effect("recvWindow above the cap is -1130; the cap is configurable", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      expectError(
        yield* signed(sim, c, { method: "GET", path: "/fapi/v1/accountConfig", recvWindow: 60001 }),
        -1130,
        "Data sent for parameter 'recvWindow' is not valid."
      )
      assert.strictEqual((yield* signed(sim, c, { method: "GET", path: "/fapi/v1/accountConfig", recvWindow: 60000 })).status, 200)
      const uncapped = yield* makeSim(seedWith({}, { recvWindowCap: null }))
      assert.strictEqual(
        (yield* signed(uncapped, c, { method: "GET", path: "/fapi/v1/accountConfig", recvWindow: 9999999 })).status,
        200
      )
    }))

  it.effect("unknown parameters are ignored unless rejectUnknownParams (-1103)", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const params = [["symbol", "BTCUSDT"], ["marginType", "ISOLATED"], ["extra", "1"]] as const
      assert.strictEqual((yield* signed(sim, c, { method: "POST", path: "/fapi/v1/marginType", params })).status, 200)
      const strict = yield* makeSim(seedWith({}, { rejectUnknownParams: true }))
      expectError(
        yield* signed(strict, c, { method: "POST", path: "/fapi/v1/marginType", params }),
        -1103,
        "An unknown parameter was sent."
      )
    }))
})

describe("timing (§2.3)", () => {
  const T = 1_800_000_000_000
  const at = (timestamp: number, recvWindow?: number) =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      yield* TestClock.setTime(T)
      const c = yield* creds("HMAC")
      return yield* signed(sim, c, {
        method: "GET",
        path: "/fapi/v1/accountConfig",
        timestamp,
        ...(recvWindow !== undefined ? { recvWindow } : {})
      })
    })

  it.effect("ahead: 999 ms is accepted, 1000 ms is rejected with the 'ahead' message", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* at(T + 999)).status, 200)
      expectError(yield* at(T + 1000), -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    }))

  it.effect("late: exactly recvWindow is accepted, one more ms is rejected", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* at(T - 5000)).status, 200)
      expectError(yield* at(T - 5001), -1021, "Timestamp for this request is outside of the recvWindow.")
      assert.strictEqual((yield* at(T - 20000, 20000)).status, 200)
      expectError(yield* at(T - 20001, 20000), -1021, messageOf(-1021, 0))
    }))
})

describe("check order (§8)", () => {
  it.effect("bad key + bad signature → -2015, not -1022", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const answer = yield* send(sim, {
        method: "GET",
        path: "/fapi/v1/accountConfig",
        query: "timestamp=0&signature=deadbeef",
        headers: { "X-MBX-APIKEY": "unknownKey" }
      })
      expectError(answer, -2015, messageOf(-2015), 401)
    }))

  it.effect("bad key format + missing parameter → -2014", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const answer = yield* send(sim, {
        method: "POST",
        path: "/fapi/v1/marginType",
        body: "timestamp=0",
        headers: { "X-MBX-APIKEY": "bad key" }
      })
      expectError(answer, -2014, messageOf(-2014), 401)
    }))

  it.effect("missing parameter + bad timestamp → -1102; invalid value + bad timestamp → -1130", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const missing = yield* signed(sim, c, {
        method: "POST",
        path: "/fapi/v1/marginType",
        params: [["symbol", "BTCUSDT"]],
        timestamp: 1_000_000
      })
      expectError(missing, -1102, messageOf(-1102, 1, "marginType"))
      const invalid = yield* signed(sim, c, {
        method: "POST",
        path: "/fapi/v1/marginType",
        params: [["symbol", "NOPE"], ["marginType", "SOMETIMES"]],
        timestamp: 1_000_000
      })
      expectError(invalid, -1130, messageOf(-1130, 1, "marginType"))
    }))

  it.effect("unknown symbol + bad timestamp → -1121; bad timestamp + bad signature → -1021", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const unknown = yield* signed(sim, c, {
        method: "POST",
        path: "/fapi/v1/marginType",
        params: [["symbol", "NOPEUSDT"], ["marginType", "ISOLATED"]],
        timestamp: 1_000_000
      })
      expectError(unknown, -1121, messageOf(-1121))
      const late = yield* send(sim, {
        method: "GET",
        path: "/fapi/v1/accountConfig",
        query: "timestamp=5000&signature=00",
        headers: { "X-MBX-APIKEY": c.apiKey }
      })
      expectError(late, -1021, messageOf(-1021, 1))
    }))

  it.effect("bad signature + business rejection → -1022 (rules come last)", () =>
    Effect.gen(function*() {
      const sim = yield* makeSim()
      const c = yield* creds("HMAC")
      const answer = yield* send(sim, {
        method: "POST",
        path: "/fapi/v1/multiAssetsMargin",
        body: "multiAssetsMargin=false&timestamp=0&signature=00",
        headers: { "X-MBX-APIKEY": c.apiKey }
      })
      expectError(answer, -1022, messageOf(-1022))
    }))
})
