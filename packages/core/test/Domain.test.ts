import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { LeverageValue, PositionModeFromInput, positionModeOf } from "../src/Domain.js"

describe("position mode and leverage values", () => {
  it("a person's position mode: one-way / oneway / hedge / dual in any case; anything else names what is accepted", () => {
    const decode = Schema.decodeUnknownEither(PositionModeFromInput)
    for (const [raw, mode] of [["one-way", "one-way"], [" OneWay ", "one-way"], ["Hedge", "hedge"], ["DUAL", "hedge"]] as const) {
      assert.deepStrictEqual(decode(raw), Either.right(mode))
    }
    const bad = decode("both")
    assert.isTrue(Either.isLeft(bad))
    if (Either.isLeft(bad)) {
      assert.include(ParseResult.TreeFormatter.formatErrorSync(bad.left), "position mode must be one of one-way, hedge (also oneway, dual in any case); got \"both\"")
    }
    assert.strictEqual(positionModeOf(true), "hedge")
    assert.strictEqual(positionModeOf(false), "one-way")
  })

  it("a desired leverage: a whole number from 1 to 125", () => {
    const decode = Schema.decodeUnknownEither(LeverageValue)
    assert.deepStrictEqual(decode(125), Either.right(125))
    for (const bad of [0, 126, 2.5, "5"]) {
      const r = decode(bad)
      assert.isTrue(Either.isLeft(r), String(bad))
      if (Either.isLeft(r) && typeof bad === "number") assert.include(ParseResult.TreeFormatter.formatErrorSync(r.left), "must be a whole number from 1 to 125")
    }
  })
})
