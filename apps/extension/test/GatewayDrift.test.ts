/**
 * A gateway account's drift as the worker reads it: the gateway's `Drift` (without its plan), nothing
 * from a gateway without the endpoint (404 RouteNotFound), and its typed errors in words — a 404 for an
 * unknown account is still that, not a missing endpoint. The gateway's answers come from a `fetch` in
 * place of the network.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { SymbolId } from "@marginctl/core/Domain"
import type { Drift } from "@marginctl/gateway-api/Desired"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { GatewayAccount } from "../src/Accounts.js"
import * as GatewayBackend from "../src/GatewayBackend.js"
import { blockerText } from "../src/Vocabulary.js"

const account: GatewayAccount = {
  _tag: "gateway",
  id: "a1",
  name: "team-gateway",
  gatewayUrl: "http://gw.test",
  gatewayAccount: "team",
  credentials: { iv: "", data: "" }
}

/** Reads the drift with `fetch` answering `status` and `body`; returns the result and the URLs asked. */
const driftWith = (status: number, body: unknown) => {
  const urls: Array<string> = []
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    urls.push(`${init?.method ?? "GET"} ${String(input)}`)
    return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } }))
  }
  return Effect.gen(function*() {
    const backend = yield* GatewayBackend.make(account, Redacted.make("token"))
    const result = yield* Effect.either(backend.drift)
    return { result, urls }
  }).pipe(Effect.provideService(FetchHttpClient.Fetch, fetch as typeof globalThis.fetch))
}

const blocker = { code: -4168, reason: "multi-assets", symbol: "BTCUSDT", text: "Multi-Assets Mode is on", fix: "turn Multi-Assets off first" } as const

// As the gateway encodes it: the popup gets the plan's step titles and blockers in words, not the plan.
const blocked: typeof Drift.Encoded = {
  account: "team",
  status: "blocked",
  plan: {
    steps: [{
      _tag: "SetMarginType",
      index: 1,
      title: "Set BTCUSDT from CROSSED to ISOLATED",
      weight: 1,
      blockers: [blocker],
      dependsOn: [],
      symbol: "BTCUSDT",
      from: "CROSSED",
      to: "ISOLATED",
      reason: "requested"
    }],
    readWeight: 5,
    applyWeight: 1,
    blocked: true,
    unchanged: [],
    multiAssetsUnchanged: true,
    multiAssets: { before: true, after: true }
  },
  lines: ["1. Set BTCUSDT from CROSSED to ISOLATED (weight 1)", "   blocked: Multi-Assets Mode is on"],
  checkedAt: "2026-12-04T04:00:00.000Z",
  detail: "1 step(s) would reach the desired state"
}

describe("GatewayBackend drift", () => {
  it.effect("reads the account's drift: its steps, its blockers in words, its lines", () =>
    Effect.gen(function*() {
      const { result, urls } = yield* driftWith(200, blocked)
      assert.deepStrictEqual(urls, ["GET http://gw.test/v1/accounts/team/drift"])
      assert.deepStrictEqual(result._tag === "Right" ? result.right : result.left, {
        status: "blocked",
        steps: ["Set BTCUSDT from CROSSED to ISOLATED"],
        blockers: [{ step: 1, ...blockerText({ ...blocker, symbol: SymbolId.make("BTCUSDT") }) }],
        lines: blocked.lines,
        detail: "1 step(s) would reach the desired state"
      })
    }))

  it.effect("says nothing for a gateway without the endpoint (404 RouteNotFound)", () =>
    Effect.gen(function*() {
      const { result } = yield* driftWith(404, { _tag: "RouteNotFound" })
      assert.strictEqual(result._tag === "Right" ? result.right : result.left, null)
    }))

  it.effect("still says the gateway has no such account (404 NotFound)", () =>
    Effect.gen(function*() {
      const { result } = yield* driftWith(404, { _tag: "NotFound", resource: "account", name: "team", message: "no account team" })
      assert.strictEqual(result._tag, "Left")
      if (result._tag === "Left") {
        assert.strictEqual(result.left.kind, "setup")
        assert.strictEqual(result.left.title, "The gateway has no account team")
      }
    }))

  it.effect("words a refused token and a garbled answer like the other gateway calls", () =>
    Effect.gen(function*() {
      const refused = yield* driftWith(401, { _tag: "Unauthenticated", message: "unknown token" })
      assert.strictEqual(refused.result._tag === "Left" ? refused.result.left.title : "", "The gateway did not accept the token")
      const garbled = yield* driftWith(200, { status: "sideways" })
      assert.strictEqual(garbled.result._tag === "Left" ? garbled.result.left.title : "", "The gateway at gw.test sent an unexpected answer")
    }))
})
