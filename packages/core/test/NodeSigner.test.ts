/**
 * The Node entry point's signer (node:crypto) against the shared signature vectors: the same bytes as
 * Binance's examples and the WebCrypto signer, for each key type, encrypted PKCS#8 included; keys are
 * refused with the same errors, since both signers read keys through `Signer.importSigningKey`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { createPrivateKey } from "node:crypto"
import * as NodeSigner from "../src/node/NodeSigner.js"
import * as Signer from "../src/Signer.js"
import { ED25519_PRIVATE, HMAC_SECRET, RSA_PRIVATE, vectors } from "./support/Vectors.js"

describe("NodeSigner", () => {
  it.effect("signs every vector as Binance and the WebCrypto signer do", () =>
    Effect.gen(function*() {
      const hmac = yield* NodeSigner.make(Signer.hmac(Redacted.make(HMAC_SECRET)))
      const rsa = yield* NodeSigner.make(Signer.privateKey(Redacted.make(RSA_PRIVATE)))
      const ed25519 = yield* NodeSigner.make(Signer.privateKey(Redacted.make(ED25519_PRIVATE)))
      assert.deepStrictEqual([hmac.keyType, rsa.keyType, ed25519.keyType], ["HMAC", "RSA", "ED25519"])
      for (const c of vectors.cases) {
        assert.strictEqual(yield* hmac.sign(c.payload), c.hmacSha256Hex)
        assert.strictEqual(yield* rsa.sign(c.payload), c.rsaSha256Base64)
        assert.strictEqual(yield* ed25519.sign(c.payload), c.ed25519Base64)
      }
      for (const example of vectors.officialExamples) {
        const signer = yield* NodeSigner.make(Signer.hmac(Redacted.make(example.hmacSecret)))
        assert.strictEqual(yield* signer.sign(example.payload), example.hmacSha256Hex)
      }
    }))

  it.effect("signs with an encrypted PKCS#8 key and its passphrase", () =>
    Effect.gen(function*() {
      const encrypted = createPrivateKey(ED25519_PRIVATE).export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "s3cret" })
      const signer = yield* NodeSigner.make(Signer.privateKey(Redacted.make(String(encrypted)), Redacted.make("s3cret")))
      assert.strictEqual(yield* signer.sign(vectors.cases[0]!.payload), vectors.cases[0]!.ed25519Base64)
    }))

  it.effect("refuses what the WebCrypto signer refuses, with the same error", () =>
    Effect.gen(function*() {
      for (const credentials of [Signer.hmac(Redacted.make("  ")), Signer.privateKey(Redacted.make("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))]) {
        const node = yield* Effect.flip(NodeSigner.make(credentials))
        const web = yield* Effect.flip(Signer.make(credentials))
        assert.deepStrictEqual([node.reason, node.detail], [web.reason, web.detail])
      }
    }))

  it.effect("is what Client.layer uses under NodeSigner.layerMaker", () =>
    Effect.gen(function*() {
      const maker = yield* Signer.SignerMaker
      assert.strictEqual(maker.make, NodeSigner.make)
    }).pipe(Effect.provide(NodeSigner.layerMaker)))
})
