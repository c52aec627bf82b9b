import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as ChromeStorage from "../src/ChromeStorage.js"
import * as Vault from "../src/Vault.js"
import { fakeArea } from "./support/fakeChromeStorage.js"

const passphrase = Redacted.make("correct horse battery staple")
const SECRET = "hmac-secret-that-must-never-be-stored-in-clear"

const withStores = () => {
  const local = fakeArea()
  const session = fakeArea()
  const layer = Vault.Vault.Default.pipe(Layer.provideMerge(ChromeStorage.layerAreas({ local, session })))
  return { local, session, layer }
}

describe("Vault crypto (PBKDF2-SHA256 → AES-GCM)", () => {
  it.effect("round-trips a value and binds it to its purpose", () =>
    Effect.gen(function*() {
      const { keyBytes, meta } = yield* Vault.create(passphrase)
      assert.strictEqual(meta.iterations, 310_000)
      assert.strictEqual(meta.kdf, "PBKDF2-SHA256")
      assert.strictEqual(keyBytes.length, 32)
      const key = yield* Vault.importKey(keyBytes)
      const sealed = yield* Vault.seal(key, SECRET, "marginctl/credentials/a")
      assert.notInclude(JSON.stringify(sealed), SECRET)
      const opened = yield* Vault.open(key, sealed, "marginctl/credentials/a")
      assert.strictEqual(Redacted.value(opened), SECRET)
      // Sealed for account a: it does not open as account b's value.
      const swapped = yield* Effect.flip(Vault.open(key, sealed, "marginctl/credentials/b"))
      assert.strictEqual(swapped._tag, "WrongPassphrase")
    }))

  it.effect("uses a random salt and a random IV every time", () =>
    Effect.gen(function*() {
      const a = yield* Vault.create(passphrase)
      const b = yield* Vault.create(passphrase)
      assert.notStrictEqual(a.meta.salt, b.meta.salt)
      assert.notDeepEqual([...a.keyBytes], [...b.keyBytes])
      const key = yield* Vault.importKey(a.keyBytes)
      const one = yield* Vault.seal(key, SECRET, "p")
      const two = yield* Vault.seal(key, SECRET, "p")
      assert.notStrictEqual(one.iv, two.iv)
      assert.notStrictEqual(one.data, two.data)
    }))

  it.effect("fails cleanly with WrongPassphrase for a wrong passphrase", () =>
    Effect.gen(function*() {
      const { meta } = yield* Vault.create(passphrase)
      const error = yield* Effect.flip(Vault.unlockWith(meta, Redacted.make("not the passphrase")))
      assert.strictEqual(error._tag, "WrongPassphrase")
      assert.strictEqual(error.message, "the passphrase is not correct")
      const right = yield* Vault.unlockWith(meta, passphrase)
      assert.strictEqual(right.length, 32)
    }))

  it.effect("rejects a short passphrase and a tampered value", () =>
    Effect.gen(function*() {
      const weak = yield* Effect.flip(Vault.create(Redacted.make("short")))
      assert.strictEqual(weak._tag, "WeakPassphrase")
      const { keyBytes } = yield* Vault.create(passphrase)
      const key = yield* Vault.importKey(keyBytes)
      const sealed = yield* Vault.seal(key, SECRET, "p")
      const flipped = sealed.data.startsWith("A") ? `B${sealed.data.slice(1)}` : `A${sealed.data.slice(1)}`
      assert.strictEqual((yield* Effect.flip(Vault.open(key, { ...sealed, data: flipped }, "p")))._tag, "WrongPassphrase")
      assert.strictEqual((yield* Effect.flip(Vault.open(key, { ...sealed, iv: "AAAA" }, "p")))._tag, "VaultCorrupt")
      assert.strictEqual((yield* Effect.flip(Vault.open(key, { ...sealed, iv: "***" }, "p")))._tag, "VaultCorrupt")
    }))
})

describe("Vault service (chrome.storage.local + chrome.storage.session)", () => {
  it.effect("set up, seal, lock, unlock: the passphrase and the plaintext are never stored", () => {
    const { layer, local, session } = withStores()
    return Effect.gen(function*() {
      const vault = yield* Vault.Vault
      assert.strictEqual(yield* vault.status, "missing")
      assert.strictEqual((yield* Effect.flip(vault.seal(Redacted.make(SECRET), "p")))._tag, "VaultMissing")

      yield* vault.setup(passphrase)
      assert.strictEqual(yield* vault.status, "unlocked")
      const sealed = yield* vault.seal(Redacted.make(SECRET), "p")
      assert.strictEqual(Redacted.value(yield* vault.open(sealed, "p")), SECRET)

      const everything = JSON.stringify([local.dump(), session.dump(), sealed])
      assert.notInclude(everything, SECRET)
      assert.notInclude(everything, Redacted.value(passphrase))
      assert.deepStrictEqual(Object.keys(local.dump()), ["vault"])
      assert.deepStrictEqual(Object.keys(session.dump()), ["vault.key"])

      yield* vault.lock
      assert.strictEqual(yield* vault.status, "locked")
      assert.deepStrictEqual(session.dump(), {})
      assert.strictEqual((yield* Effect.flip(vault.open(sealed, "p")))._tag, "VaultLocked")

      assert.strictEqual((yield* Effect.flip(vault.unlock(Redacted.make("wrong passphrase!"))))._tag, "WrongPassphrase")
      assert.strictEqual(yield* vault.status, "locked")
      yield* vault.unlock(passphrase)
      assert.strictEqual(Redacted.value(yield* vault.open(sealed, "p")), SECRET)

      assert.strictEqual((yield* Effect.flip(vault.setup(passphrase)))._tag, "VaultExists")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a session key of an earlier vault does not unlock a new one", () => {
    const { layer, session } = withStores()
    return Effect.gen(function*() {
      const vault = yield* Vault.Vault
      yield* vault.setup(passphrase)
      const oldKey = session.dump()["vault.key"]
      yield* vault.reset
      assert.strictEqual(yield* vault.status, "missing")
      yield* vault.setup(Redacted.make("another passphrase"))
      yield* Effect.promise(() => session.set({ "vault.key": oldKey }))
      assert.strictEqual(yield* vault.status, "locked")
    }).pipe(Effect.provide(layer))
  })
})
