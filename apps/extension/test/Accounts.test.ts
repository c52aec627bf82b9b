import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { generateKeyPairSync } from "node:crypto"
import * as Accounts from "../src/Accounts.js"
import * as ChromeStorage from "../src/ChromeStorage.js"
import { checkUrl } from "../src/Hosts.js"
import * as Vault from "../src/Vault.js"
import { fakeArea } from "./support/fakeChromeStorage.js"

const API_KEY = "unitTestApiKey123"
const SECRET = "unitTestHmacSecret456"

const setup = () => {
  const local = fakeArea()
  const session = fakeArea()
  const layer = Accounts.AccountStore.Default.pipe(
    Layer.provideMerge(Vault.Vault.Default),
    Layer.provideMerge(ChromeStorage.layerAreas({ local, session }))
  )
  return { local, session, layer }
}

const direct = (over: Partial<Accounts.NewDirectAccount> = {}): Accounts.NewDirectAccount => ({
  backend: "direct",
  name: "main",
  environment: "custom",
  customUrl: "http://127.0.0.1:8081/",
  apiKey: Redacted.make(API_KEY),
  key: Redacted.make(SECRET),
  ...over
})

describe("Hosts.checkUrl", () => {
  it("accepts https anywhere and http on loopback only", () => {
    assert.deepStrictEqual(checkUrl("https://gw.example.com/"), {
      _tag: "Ok",
      url: "https://gw.example.com",
      origin: "https://gw.example.com",
      granted: false
    })
    assert.include(checkUrl("http://127.0.0.1:8081"), { _tag: "Ok", granted: true })
    assert.include(checkUrl("https://fapi.binance.com"), { _tag: "Ok", granted: true })
    assert.include(checkUrl("http://gw.example.com"), { _tag: "Invalid" })
    assert.include(checkUrl("https://user:pw@gw.example.com"), { _tag: "Invalid" })
    assert.include(checkUrl("https://gw.example.com/?x=1"), { _tag: "Invalid" })
    assert.include(checkUrl("ftp://x"), { _tag: "Invalid" })
    assert.include(checkUrl("not a url"), { _tag: "Invalid" })
  })
})

describe("Accounts.validate", () => {
  it("names the field and what is accepted", () => {
    const left = (input: Accounts.NewAccount) => Either.getLeft(Accounts.validate(input)).pipe(Option.getOrThrow)
    assert.strictEqual(left(direct({ name: " " })).field, "Name")
    assert.strictEqual(left(direct({ customUrl: "http://10.0.0.1:80" })).field, "Custom URL")
    assert.strictEqual(left(direct({ apiKey: Redacted.make("has space") })).field, "API key")
    assert.strictEqual(left(direct({ key: Redacted.make("") })).field, "Secret or private key")
    const badPem = left(direct({ key: Redacted.make("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----") }))
    assert.strictEqual(badPem.field, "Private key")
    assert.notInclude(badPem.message, "AAAA")
    const gateway: Accounts.NewGatewayAccount = {
      backend: "gateway",
      name: "team",
      gatewayUrl: "https://gw.example.com",
      gatewayAccount: "bad name!",
      token: Redacted.make("t")
    }
    assert.strictEqual(left(gateway).field, "Gateway account")
    assert.strictEqual(left({ ...gateway, gatewayAccount: "main", token: Redacted.make(" ") }).field, "Token")
  })

  it("takes the key type from the key itself", () => {
    const ed = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString()
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString()
    assert.deepStrictEqual(Accounts.validate(direct({ key: Redacted.make(ed) })), Either.right("ED25519"))
    assert.deepStrictEqual(Accounts.validate(direct({ key: Redacted.make(rsa) })), Either.right("RSA"))
    assert.deepStrictEqual(Accounts.validate(direct()), Either.right("HMAC"))
    assert.deepStrictEqual(Accounts.validate(direct({ environment: "prod", customUrl: undefined })), Either.right("HMAC"))
  })
})

describe("AccountStore", () => {
  it.effect("stores accounts with their credentials sealed, and opens them again", () => {
    const { layer, local } = setup()
    return Effect.gen(function*() {
      const vault = yield* Vault.Vault
      const store = yield* Accounts.AccountStore
      assert.strictEqual((yield* Effect.flip(store.add(direct())))._tag, "VaultMissing")
      yield* vault.setup(Redacted.make("a long passphrase"))

      const account = yield* store.add(direct())
      assert.strictEqual(account._tag, "direct")
      assert.include(account, { name: "main", environment: "custom", baseUrl: "http://127.0.0.1:8081", keyType: "HMAC" })
      const stored = JSON.stringify(local.dump())
      assert.notInclude(stored, API_KEY)
      assert.notInclude(stored, SECRET)

      const creds = yield* store.directCredentials(account as Accounts.DirectAccount)
      assert.strictEqual(Redacted.value(creds.apiKey), API_KEY)
      assert.strictEqual(Redacted.value(creds.key), SECRET)

      const dup = yield* Effect.flip(store.add(direct({ name: "MAIN" })))
      assert.strictEqual(dup._tag, "InvalidField")

      const prod = yield* store.add(direct({ name: "prod", environment: "prod" }))
      assert.include(prod, { baseUrl: "https://fapi.binance.com" })
      assert.deepStrictEqual(Option.map(yield* store.selected, (a) => a.id), Option.some(account.id))
      yield* store.select(prod.id)
      assert.deepStrictEqual(Option.map(yield* store.selected, (a) => a.id), Option.some(prod.id))
      yield* store.remove(prod.id)
      assert.deepStrictEqual(Option.map(yield* store.selected, (a) => a.id), Option.some(account.id))
      assert.deepStrictEqual((yield* store.list).map((a) => a.name), ["main"])

      yield* vault.lock
      assert.strictEqual((yield* Effect.flip(store.directCredentials(account as Accounts.DirectAccount)))._tag, "VaultLocked")
    }).pipe(Effect.provide(layer))
  })

  it.effect("stores a gateway account with its token sealed", () => {
    const { layer, local } = setup()
    return Effect.gen(function*() {
      yield* (yield* Vault.Vault).setup(Redacted.make("a long passphrase"))
      const store = yield* Accounts.AccountStore
      const account = yield* store.add({
        backend: "gateway",
        name: "team",
        gatewayUrl: "http://localhost:8080/",
        gatewayAccount: "main",
        token: Redacted.make("gateway-token-xyz")
      })
      assert.include(account, { _tag: "gateway", gatewayUrl: "http://localhost:8080", gatewayAccount: "main" })
      assert.notInclude(JSON.stringify(local.dump()), "gateway-token-xyz")
      assert.strictEqual(Redacted.value(yield* store.gatewayToken(account as Accounts.GatewayAccount)), "gateway-token-xyz")
      assert.deepStrictEqual(Accounts.summaryOf(account), { id: account.id, name: "team", backend: "gateway", where: "gateway localhost:8080" })
    }).pipe(Effect.provide(layer))
  })
})
