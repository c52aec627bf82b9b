import * as KeyValueStore from "@effect/platform/KeyValueStore"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as ChromeStorage from "../src/ChromeStorage.js"
import { fakeArea } from "./support/fakeChromeStorage.js"

describe("ChromeStorage (KeyValueStore over chrome.storage)", () => {
  it.effect("stores, reads, counts and removes strings", () =>
    Effect.gen(function*() {
      const area = fakeArea()
      const store = ChromeStorage.make(area)
      yield* store.set("a", "1")
      yield* store.set("b", "two")
      assert.deepStrictEqual(yield* store.get("a"), Option.some("1"))
      assert.deepStrictEqual(yield* store.get("missing"), Option.none())
      assert.strictEqual(yield* store.size, 2)
      assert.isTrue(yield* store.has("b"))
      yield* store.remove("a")
      assert.deepStrictEqual(yield* store.get("a"), Option.none())
      assert.deepStrictEqual(area.dump(), { b: "two" })
      yield* store.clear
      assert.isTrue(yield* store.isEmpty)
    }))

  it.effect("keeps byte arrays as base64 (chrome.storage holds JSON only)", () =>
    Effect.gen(function*() {
      const area = fakeArea()
      const store = ChromeStorage.make(area)
      const bytes = new Uint8Array([0, 1, 2, 250, 255])
      yield* store.set("key", bytes)
      assert.deepStrictEqual(area.dump(), { key: { $bytes: "AAEC+v8=" } })
      const back = yield* store.getUint8Array("key")
      assert.deepStrictEqual(Option.map(back, (b) => [...b]), Option.some([0, 1, 2, 250, 255]))
      // A string read as bytes is its UTF-8 encoding.
      yield* store.set("text", "é")
      assert.deepStrictEqual(Option.map(yield* store.getUint8Array("text"), (b) => [...b]), Option.some([0xc3, 0xa9]))
    }))

  it.effect("ignores values it did not write and reports storage failures as PlatformError", () =>
    Effect.gen(function*() {
      const area = fakeArea({ weird: 42, broken: { $bytes: "%%%" } })
      const store = ChromeStorage.make(area)
      assert.deepStrictEqual(yield* store.get("weird"), Option.none())
      const broken = yield* Effect.flip(store.getUint8Array("broken"))
      assert.strictEqual(broken._tag, "SystemError")
      area.failing = true
      const error = yield* Effect.flip(store.set("a", "b"))
      assert.strictEqual(error._tag, "SystemError")
      assert.strictEqual(error.module, "KeyValueStore")
      assert.strictEqual(error.method, "set")
    }))

  it.effect("works with forSchema (typed values, as the accounts use it)", () =>
    Effect.gen(function*() {
      const area = fakeArea()
      const store = ChromeStorage.make(area).forSchema(Schema.Struct({ name: Schema.String, n: Schema.Number }))
      yield* store.set("x", { name: "alice", n: 3 })
      assert.deepStrictEqual(yield* store.get("x"), Option.some({ name: "alice", n: 3 }))
      assert.deepStrictEqual(area.dump(), { x: JSON.stringify({ name: "alice", n: 3 }) })
    }))

  it.effect("provides LocalStore and SessionStore over separate areas", () =>
    Effect.gen(function*() {
      const local = fakeArea()
      const session = fakeArea()
      yield* Effect.gen(function*() {
        yield* (yield* ChromeStorage.LocalStore).set("k", "local")
        yield* (yield* ChromeStorage.SessionStore).set("k", "session")
      }).pipe(Effect.provide(ChromeStorage.layerAreas({ local, session })))
      assert.deepStrictEqual(local.dump(), { k: "local" })
      assert.deepStrictEqual(session.dump(), { k: "session" })
      assert.isTrue(KeyValueStore.KeyValueStore !== undefined)
    }))
})
