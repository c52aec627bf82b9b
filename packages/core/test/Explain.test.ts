import { assert, describe, it } from "@effect/vitest"
import * as fc from "effect/FastCheck"
import { CASES, CODES } from "../src/BinanceCodes.js"
import { fromAnswer } from "../src/Errors.js"
import * as Explain from "../src/Explain.js"

/** A vocabulary whose every action is visible, to see where each lands. */
const marked: Explain.Vocabulary = {
  actions: Object.fromEntries(Object.keys(Explain.plain.actions).map((a) => [a, ` <${a}>`])) as never
}

const ACTIONS = new Set(Object.keys(Explain.plain.actions))
const templates = [...CODES.map((c) => c.fix), ...Object.values(CASES).map((c) => c.fix)].filter((t): t is string => t !== null)
const leftover = /\{[@\w|]+\}/

const EXIT: Record<Explain.Kind, Explain.ExitClass> = {
  "already-set": 0, unexpected: 1, input: 2, blocked: 3, limit: 4, auth: 5, network: 6, "unknown-outcome": 6
}

describe("Explain", () => {
  it("every action a template names is one a vocabulary must word", () => {
    for (const t of templates) {
      for (const [, action] of t.matchAll(/\{@(\w+)\}/g)) assert.isTrue(ACTIONS.has(action!), `${action} in "${t}"`)
    }
  })

  it("every case key names a tag the table knows how to word", () => {
    for (const key of Object.keys(CASES)) {
      const tag = key.split(":")[0]!
      assert.notStrictEqual(Explain.explain({ _tag: tag }, Explain.plain).title, "Something went wrong", key)
    }
  })

  for (const row of CODES) {
    it(`${row.code} ${row.name}: classified and worded from the same row`, () => {
      for (const isWrite of [false, true]) {
        const e = fromAnswer({ status: row.status, code: row.code, msg: row.messages[0]!, endpoint: "POST /fapi/v1/marginType", isWrite, symbol: "BTCUSDT" })
        const x = Explain.explain(e, marked, { account: "main", host: "h", offsetMs: 0, recvWindow: 5000 })
        assert.isFalse(leftover.test(x.title + (x.fix ?? "")), `${x.title} / ${x.fix}`)
        assert.strictEqual(x.exitClass, EXIT[x.kind])
        assert.strictEqual(x.code, row.code)
        assert.strictEqual(x.detail, row.messages[0])
        if (e._tag === row.tag && row.fix !== null && !(`${row.tag}:${row.reason}` in CASES)) {
          // The row's own fix, its actions in the surface's words.
          const expected = row.fix.replace(/\{@(\w+)\}/g, " <$1>").replace(/\{symbol\|([^}]*)\}/g, (_, fallback: string) => ("symbol" in e && e.symbol) || fallback)
          assert.strictEqual(x.fix, expected)
        }
        if (e._tag === row.tag) {
          assert.strictEqual(x.execution, row.execution)
          assert.strictEqual(x.retryable, row.retry !== "no")
        }
      }
    })
  }

  it("a read whose outcome is unknown is just a failed read; a write's is an unknown outcome", () => {
    const answer = (isWrite: boolean) => fromAnswer({ status: 500, code: -1006, msg: "m", endpoint: "", isWrite })
    assert.include(Explain.explain(answer(false), marked), { kind: "network", execution: "not-executed", retryable: true })
    const write = Explain.explain(answer(true), marked)
    assert.include(write, { kind: "unknown-outcome", execution: "may-have-executed", exitClass: 6 })
    assert.include(write.fix, " <reread>")
  })

  it("each surface words the same fix its own way; none carries another's", () => {
    const e = fromAnswer({ status: 400, code: -4168, msg: "m", endpoint: "", symbol: "BTCUSDT" })
    const cli: Explain.Vocabulary = { actions: { ...Explain.plain.actions, multiAssetsOff: " with `tool off`" } }
    assert.strictEqual(Explain.explain(e, cli).fix, "turn Multi-Assets Mode off first with `tool off`: it allows only cross margin")
    assert.strictEqual(Explain.explain(e, Explain.plain).fix, "turn Multi-Assets Mode off first: it allows only cross margin")
    assert.strictEqual(Explain.explain(e, marked).title, "Binance refused to change BTCUSDT")
  })

  it("the firewall, the exchange's 429, the budget and a ban say different things", () => {
    const limited = (source: string) => Explain.explain({ _tag: "RateLimited", source, retryAfterSeconds: 42 }, Explain.plain)
    assert.include(limited("firewall").fix, "web application firewall")
    assert.isTrue(limited("firewall").retryable)
    assert.include(limited("exchange").fix, "wait 42 s")
    assert.include(limited("budget").fix, "retry in 42 s")
    const ban = Explain.explain({ _tag: "IpBanned", code: -1003, until: Date.UTC(2030, 0, 1), retryAfterSeconds: 120 }, Explain.plain)
    assert.include(ban.fix, "until 2030-01-01T00:00:00.000Z (120 s from now)")
    assert.strictEqual(ban.exitClass, 4)
  })

  it("a refused timestamp: the fix follows what the clock measured", () => {
    const x = (offsetMs?: number) =>
      Explain.explain({ _tag: "TimestampOutsideWindow", code: -1021 }, marked, { offsetMs, recvWindow: 10 }).fix
    assert.include(x(-5000), "your clock is 5,000 ms ahead of the server")
    assert.include(x(2500), "your clock is 2,500 ms behind the server")
    assert.include(x(3), "10 ms receive window")
    assert.include(x(3), " <recvWindow>")
    assert.include(x(), " <clockCheck>")
  })

  it("a blocker keeps the planner's words and gains the surface's way to act", () => {
    const blocker = { code: -4168, reason: "multi-assets" as const, text: "Multi-Assets Mode is on", fix: "turn Multi-Assets off first" }
    assert.deepStrictEqual(Explain.explainBlocker(blocker, marked), { what: "Multi-Assets Mode is on", fix: "turn Multi-Assets off first <multiAssetsOff>" })
    assert.strictEqual(Explain.explainBlocker({ ...blocker, reason: "blocked-dependency" }, marked).fix, "turn Multi-Assets off first")
  })

  it("a failure known by its code alone is worded as the code's row says", () => {
    assert.include(Explain.explain(Explain.ofCode(-4047, { symbol: "ETHUSDT" }), Explain.plain), {
      kind: "blocked",
      title: "Binance refused to change ETHUSDT",
      detail: "Margin type cannot be changed if there exists open orders."
    })
    assert.strictEqual(Explain.exitClassOf("PlannedBlocker"), 3)
    assert.strictEqual(Explain.exitClassOf("Whatever"), 1)
  })

  it("any subject is worded without a leftover placeholder (property)", () => {
    const tags = fc.constantFrom(...new Set([...CODES.map((c) => c.tag), ...Object.keys(CASES).map((k) => k.split(":")[0]!), "Other"]))
    fc.assert(
      fc.property(
        tags,
        fc.option(fc.constantFrom(...CODES.map((c) => c.code)), { nil: null }),
        fc.option(fc.string(), { nil: undefined }),
        fc.option(fc.string(), { nil: undefined }),
        fc.option(fc.nat(), { nil: null }),
        fc.option(fc.integer({ min: -100_000, max: 100_000 }), { nil: undefined }),
        (tag, code, reason, symbol, retryAfterSeconds, offsetMs) => {
          const x = Explain.explain({ _tag: tag, code, reason, symbol, retryAfterSeconds }, Explain.plain, { offsetMs })
          return !leftover.test(x.title) && !leftover.test(x.fix ?? "") && x.exitClass === EXIT[x.kind]
        }
      )
    )
  })
})
