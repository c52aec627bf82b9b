import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, verify as nodeVerify } from "node:crypto"
import type { SignerError } from "../src/Errors.js"
import * as Signer from "../src/Signer.js"
import { RSA_PRIVATE, RSA_PUBLIC, ED25519_PRIVATE, ED25519_PUBLIC, HMAC_SECRET, vectors } from "./support/Vectors.js"


const hmacSigner = (secret: string) => Signer.make(Signer.hmac(Redacted.make(secret)))
const pemSigner = (pem: string) => Signer.make(Signer.privateKey(Redacted.make(pem)))

const toPem = (label: string, der: ArrayBuffer | Uint8Array) => {
  const base64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString("base64")
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`
}

/**
 * A key to check signatures with, independently of the code under test: node:crypto. HMAC as hex in
 * either case, RSA (PKCS#1 v1.5, SHA-256) and Ed25519 as base64.
 */
interface CheckKey {
  readonly keyType: Signer.KeyType
  readonly check: (payload: string, signature: string) => boolean
}

const hmacKey = (secret: string): CheckKey => ({
  keyType: "HMAC",
  check: (payload, signature) => createHmac("sha256", secret).update(payload).digest("hex") === signature.toLowerCase()
})

const publicKeyOf = (pem: string): CheckKey => {
  const key = createPublicKey(pem)
  const keyType = key.asymmetricKeyType === "rsa" ? "RSA" : "ED25519"
  return {
    keyType,
    check: (payload, signature) =>
      nodeVerify(keyType === "RSA" ? "sha256" : null, Buffer.from(payload), key, Buffer.from(signature, "base64"))
  }
}

/** No 16-character window of `secret` (key base64 or HMAC secret) appears in the error's text. */
const assertNoLeak = (error: SignerError, secret: string) => {
  const texts = [error.message, error.detail, JSON.stringify(error), String(error)]
  const body = secret.replace(/-----[A-Z ]+-----|\s/g, "")
  for (let i = 0; i + 16 <= body.length; i += 4) {
    const window = body.slice(i, i + 16)
    for (const text of texts) assert.isFalse(text.includes(window), "error text contains key material")
  }
}

describe("Signer vectors", () => {
  for (const c of vectors.cases) {
    it.effect(`signs and verifies ${c.payload.slice(0, 40)}`, () =>
      Effect.gen(function*() {
        const hmac = yield* hmacSigner(HMAC_SECRET)
        const rsa = yield* pemSigner(RSA_PRIVATE)
        const ed25519 = yield* pemSigner(ED25519_PRIVATE)
        assert.deepStrictEqual([hmac.keyType, rsa.keyType, ed25519.keyType], ["HMAC", "RSA", "ED25519"])
        assert.strictEqual(yield* hmac.sign(c.payload), c.hmacSha256Hex)
        assert.strictEqual(yield* rsa.sign(c.payload), c.rsaSha256Base64)
        assert.strictEqual(yield* ed25519.sign(c.payload), c.ed25519Base64)

        const keys = [
          [hmacKey(HMAC_SECRET), c.hmacSha256Hex],
          [publicKeyOf(RSA_PUBLIC), c.rsaSha256Base64],
          [publicKeyOf(ED25519_PUBLIC), c.ed25519Base64]
        ] as const
        for (const [key, signature] of keys) {
          assert.isTrue(key.check(c.payload, signature), key.keyType)
          assert.isFalse(key.check(`${c.payload}0`, signature), `${key.keyType} tampered payload`)
          const flipped = signature[5]?.toLowerCase() === "0" ? "1" : "0"
          const tampered = signature.slice(0, 5) + flipped + signature.slice(6)
          assert.isFalse(key.check(c.payload, tampered), `${key.keyType} tampered signature`)
        }
      }))
  }

  for (const example of vectors.officialExamples) {
    it.effect(`official HMAC example ${example.payload.slice(0, 30)}`, () =>
      Effect.gen(function*() {
        const signer = yield* hmacSigner(example.hmacSecret)
        assert.strictEqual(yield* signer.sign(example.payload), example.hmacSha256Hex)
        assert.isTrue(hmacKey(example.hmacSecret).check(example.payload, example.hmacSha256Hex))
      }))
  }

  it.effect("layer provides the Signer", () =>
    Effect.gen(function*() {
      const signer = yield* Signer.Signer
      const c = vectors.cases[0]!
      assert.strictEqual(yield* signer.sign(c.payload), c.rsaSha256Base64)
    }).pipe(Effect.provide(Signer.layer(Signer.privateKey(Redacted.make(RSA_PRIVATE))))))
})

describe("Signer round trip with fresh keys", () => {
  it.effect("HMAC", () =>
    Effect.gen(function*() {
      const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex")
      const signer = yield* hmacSigner(secret)
      const signature = yield* signer.sign("symbol=BTCUSDT&timestamp=1")
      assert.match(signature, /^[0-9a-f]{64}$/)
      assert.isTrue(hmacKey(secret).check("symbol=BTCUSDT&timestamp=1", signature))
    }))

  const asymmetric = [
    ["RSA", {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256"
    }],
    ["ED25519", { name: "Ed25519" }]
  ] as const
  for (const [keyType, algorithm] of asymmetric) {
    it.effect(keyType, () =>
      Effect.gen(function*() {
        const pair = yield* Effect.promise(() =>
          crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]) as Promise<CryptoKeyPair>
        )
        const pkcs8 = yield* Effect.promise(() => crypto.subtle.exportKey("pkcs8", pair.privateKey))
        const spki = yield* Effect.promise(() => crypto.subtle.exportKey("spki", pair.publicKey))
        const signer = yield* pemSigner(toPem("PRIVATE KEY", pkcs8))
        const key = publicKeyOf(toPem("PUBLIC KEY", spki))
        assert.strictEqual(signer.keyType, keyType)
        assert.strictEqual(key.keyType, keyType)
        const payload = "multiAssetsMargin=true&recvWindow=5000&timestamp=1591702613943"
        const signature = yield* signer.sign(payload)
        assert.isTrue(key.check(payload, signature))
        assert.isFalse(key.check(payload + "&x=1", signature))
      }))
  }
})

describe("Signer key detection", () => {
  it.effect("RSA and Ed25519 keys of unusual lengths", () =>
    Effect.gen(function*() {
      for (const modulusLength of [1024, 3072]) {
        const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength })
        const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString()
        assert.deepStrictEqual(Signer.detectKeyType(pem), Either.right("RSA"))
        const signature = yield* (yield* pemSigner(pem)).sign("timestamp=1")
        const spki = publicKey.export({ type: "spki", format: "pem" }).toString()
        assert.isTrue(publicKeyOf(spki).check("timestamp=1", signature))
      }
      // Ed25519 PKCS#8 v2 (OneAsymmetricKey with the public key): 83 bytes instead of 48.
      const seed = Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex")
      const pub = Buffer.from("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "hex")
      const body = Buffer.concat([
        Buffer.from("020101300506032b657004220420", "hex"),
        seed,
        Buffer.from("812100", "hex"),
        pub
      ])
      const v2 = Buffer.concat([Buffer.from([0x30, body.length]), body])
      assert.deepStrictEqual(Signer.detectKeyType(toPem("PRIVATE KEY", v2)), Either.right("ED25519"))
      assert.deepStrictEqual(Signer.detectKeyType(ED25519_PRIVATE), Either.right("ED25519"))
    }))

  it.effect("PKCS#1 RSA key, literal \\n and CRLF PEM text", () =>
    Effect.gen(function*() {
      const c = vectors.cases[1]!
      const pkcs1 = createPrivateKey(RSA_PRIVATE).export({ type: "pkcs1", format: "pem" }).toString()
      assert.include(pkcs1, "-----BEGIN RSA PRIVATE KEY-----")
      const variants = [pkcs1, RSA_PRIVATE.replace(/\n/g, "\\n"), RSA_PRIVATE.replace(/\n/g, "\r\n")]
      for (const pem of variants) {
        assert.deepStrictEqual(Signer.detectKeyType(pem), Either.right("RSA"))
        assert.strictEqual(yield* (yield* pemSigner(pem)).sign(c.payload), c.rsaSha256Base64)
      }
      const ed = yield* pemSigner(ED25519_PRIVATE.replace(/\n/g, "\\n"))
      assert.strictEqual(yield* ed.sign(c.payload), c.ed25519Base64)
      // A PEM key in Hmac credentials is still the key it is.
      const fromHmac = yield* hmacSigner(ED25519_PRIVATE)
      assert.strictEqual(fromHmac.keyType, "ED25519")
    }))

  it.effect("bad keys give SignerError with the right reason and no key material", () =>
    Effect.gen(function*() {
      const passphrase = { cipher: "aes-256-cbc", passphrase: "correct horse" } as const
      const encrypted = createPrivateKey(RSA_PRIVATE).export({ type: "pkcs8", format: "pem", ...passphrase }).toString()
      const encryptedPkcs1 = createPrivateKey(RSA_PRIVATE).export({ type: "pkcs1", format: "pem", ...passphrase })
        .toString()
      const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" })
        .toString()
      const truncated = RSA_PRIVATE.split("\n").filter((_, i) => i !== 5).join("\n")
      // Well-formed PKCS#8 around a 31-byte Ed25519 seed: detected, then refused by WebCrypto.
      const shortSeed = toPem("PRIVATE KEY", Buffer.from(`302d020100300506032b65700421041f${"ab".repeat(31)}`, "hex"))
      const corrupt = RSA_PRIVATE.replace(/\n([A-Za-z0-9+/]{10})/, "\n$1$1")

      const cases = [
        [encrypted, "unsupported-key", /decrypt/],
        [encryptedPkcs1, "unsupported-key", /decrypt/],
        [ec, "unsupported-key", /1\.2\.840\.10045\.2\.1/],
        [RSA_PUBLIC, "invalid-key", /private key/],
        [truncated, "invalid-key", /PKCS#8/],
        [corrupt, "invalid-key", /base64/],
        [shortSeed, "invalid-key", /could not be imported/],
        [HMAC_SECRET, "invalid-key", /PEM/]
      ] as const
      for (const [pem, reason, detail] of cases) {
        const error = yield* Effect.flip(pemSigner(pem))
        assert.strictEqual(error._tag, "SignerError")
        assert.strictEqual(error.reason, reason, error.message)
        assert.match(error.detail, detail)
        assertNoLeak(error, pem)
        if (pem !== shortSeed) assert.isTrue(Either.isLeft(Signer.detectKeyType(pem)))
      }
      const detected = Signer.detectKeyType(ec)
      assert.isTrue(Either.isLeft(detected) && detected.left.reason === "unsupported-key")

      const empty = yield* Effect.flip(hmacSigner(""))
      assert.strictEqual(empty.reason, "invalid-key")
      assertNoLeak(yield* Effect.flip(pemSigner(HMAC_SECRET)), HMAC_SECRET)
      assert.isFalse(JSON.stringify(Signer.hmac(Redacted.make(HMAC_SECRET))).includes(HMAC_SECRET))
    }))
})
