/**
 * The simulator's signature check against the core's `Signer`: what one signs the other accepts, a
 * changed payload or signature is refused, a malformed signature is false (never a failure), and
 * public keys are read as Binance reads them (SPKI or PKCS#1; RSA or Ed25519 only).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Signer from "@marginctl/core/Signer"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { createPublicKey, generateKeyPairSync } from "node:crypto"
import * as Verifier from "../src/Verifier.js"
import { ED25519_PRIVATE, ED25519_PUBLIC, HMAC_SECRET, RSA_PRIVATE, RSA_PUBLIC } from "./support/Client.js"

const PAYLOAD = "symbol=BTCUSDT&marginType=ISOLATED&recvWindow=5000&timestamp=1591702613943"

const signed = (credentials: Signer.Credentials) => Effect.flatMap(Signer.make(credentials), (s) => s.sign(PAYLOAD))

const pairs = [
  ["HMAC", Signer.hmac(Redacted.make(HMAC_SECRET)), Verifier.hmac(HMAC_SECRET)],
  ["RSA", Signer.privateKey(Redacted.make(RSA_PRIVATE)), Verifier.publicKey(RSA_PUBLIC)],
  ["ED25519", Signer.privateKey(Redacted.make(ED25519_PRIVATE)), Verifier.publicKey(ED25519_PUBLIC)]
] as const

describe("Verifier", () => {
  for (const [keyType, credentials, verifyKey] of pairs) {
    it.effect(`${keyType}: accepts the Signer's signature, refuses a changed payload or signature`, () =>
      Effect.gen(function*() {
        const key = yield* Verifier.importKey(verifyKey)
        assert.strictEqual(key.keyType, keyType)
        const signature = yield* signed(credentials)
        assert.isTrue(yield* Verifier.verify(key, PAYLOAD, signature))
        assert.isFalse(yield* Verifier.verify(key, `${PAYLOAD}0`, signature))
        const flipped = signature[5]?.toLowerCase() === "0" ? "1" : "0"
        assert.isFalse(yield* Verifier.verify(key, PAYLOAD, signature.slice(0, 5) + flipped + signature.slice(6)))
        if (keyType === "HMAC") assert.isTrue(yield* Verifier.verify(key, PAYLOAD, signature.toUpperCase()))
      }))
  }

  it.effect("malformed signatures are false, never failures", () =>
    Effect.gen(function*() {
      const hmac = yield* Verifier.importKey(Verifier.hmac(HMAC_SECRET))
      const hmacSignature = yield* signed(pairs[0][1])
      for (const bad of ["", "zz", "abc", "%%%", hmacSignature.slice(2)]) {
        assert.isFalse(yield* Verifier.verify(hmac, PAYLOAD, bad), bad)
      }
      for (const [, credentials, verifyKey] of pairs.slice(1)) {
        const key = yield* Verifier.importKey(verifyKey)
        const signature = yield* signed(credentials)
        for (const bad of ["", "!!!!", "abc", "a===", "AAAA", `${signature}\n`, signature.slice(4), `${signature}AAAA`]) {
          assert.isFalse(yield* Verifier.verify(key, PAYLOAD, bad), bad)
        }
      }
    }))

  it.effect("the public key type comes from the key; PKCS#1 RSA public keys and CRLF line ends work", () =>
    Effect.gen(function*() {
      const pkcs1 = createPublicKey(RSA_PUBLIC).export({ type: "pkcs1", format: "pem" }).toString()
      assert.include(pkcs1, "-----BEGIN RSA PUBLIC KEY-----")
      const rsa = yield* Verifier.importKey(Verifier.publicKey(pkcs1))
      assert.strictEqual(rsa.keyType, "RSA")
      assert.isTrue(yield* Verifier.verify(rsa, PAYLOAD, yield* signed(pairs[1][1])))
      const ed25519 = yield* Verifier.importKey(Verifier.publicKey(ED25519_PUBLIC.replace(/\n/g, "\r\n")))
      assert.strictEqual(ed25519.keyType, "ED25519")
    }))

  it.effect("other keys are refused, naming the algorithm, never echoing key material", () =>
    Effect.gen(function*() {
      const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" })
      const error = yield* Effect.flip(Verifier.importKey(Verifier.publicKey(ec.toString())))
      assert.strictEqual(error.reason, "unsupported-key")
      assert.include(error.detail, "1.2.840.10045.2.1")
      const notPublic = yield* Effect.flip(Verifier.importKey(Verifier.publicKey(RSA_PRIVATE)))
      assert.strictEqual(notPublic.reason, "invalid-key")
      const body = RSA_PRIVATE.replace(/-----[A-Z ]+-----|\s/g, "")
      for (let i = 0; i + 16 <= body.length; i += 16) assert.notInclude(`${notPublic.detail} ${notPublic.message}`, body.slice(i, i + 16))
      assert.strictEqual((yield* Effect.flip(Verifier.importKey(Verifier.hmac("")))).reason, "invalid-key")
    }))
})
