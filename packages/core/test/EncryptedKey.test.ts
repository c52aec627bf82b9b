/**
 * Encrypted PKCS#8 private keys (PBES2), decrypted by the Signer with WebCrypto. The encrypted keys
 * are written by `openssl` at test time from the repository's test keys; a decrypted key must sign
 * exactly as the plain key does (the vectors in signatures.json).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { execFileSync } from "node:child_process"
import { createDecipheriv, pbkdf2Sync } from "node:crypto"
import type { SignerError } from "../src/Errors.js"
import * as Signer from "../src/Signer.js"
import { ED25519_PRIVATE, RSA_PRIVATE, type Vectors, vectors } from "./support/Vectors.js"


const PASSPHRASE = "correct horse battery staple"
const WRONG = "correct horse battery stapler"
const UNICODE = "pässwörd ✓ 鍵"

/** Runs openssl with the key on stdin; returns its stdout. */
const openssl = (args: ReadonlyArray<string>, input: string): string =>
  execFileSync("openssl", args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] })

/** `openssl pkcs8 -topk8` with these options, encrypted under `passphrase`. */
const pkcs8 = (pem: string, options: ReadonlyArray<string>, passphrase = PASSPHRASE) =>
  openssl(["pkcs8", "-topk8", ...options, "-passout", `pass:${passphrase}`], pem)

const asn1 = (pem: string) => openssl(["asn1parse"], pem)

const signer = (pem: string, passphrase?: string) =>
  Signer.make(Signer.privateKey(Redacted.make(pem), passphrase === undefined ? undefined : Redacted.make(passphrase)))

/** The error's texts carry neither the passphrases nor any 16-character window of the key bodies. */
const assertNoLeak = (error: SignerError, pems: ReadonlyArray<string>) => {
  const texts = [error.message, error.detail, JSON.stringify(error), String(error)]
  for (const text of texts) {
    for (const secret of [PASSPHRASE, WRONG, UNICODE, "horse"]) {
      assert.isFalse(text.includes(secret), "error text contains the passphrase")
    }
    for (const pem of pems) {
      const body = pem.replace(/-----[A-Z ]+-----|Proc-Type:.*|DEK-Info:.*|\s/g, "")
      for (let i = 0; i + 16 <= body.length; i += 4) {
        assert.isFalse(text.includes(body.slice(i, i + 16)), "error text contains key material")
      }
    }
  }
}

const KEYS = [
  { keyType: "RSA", pem: RSA_PRIVATE, signature: (c: Vectors["cases"][number]) => c.rsaSha256Base64 },
  { keyType: "ED25519", pem: ED25519_PRIVATE, signature: (c: Vectors["cases"][number]) => c.ed25519Base64 }
] as const

const SCHEMES = [
  // OpenSSL 3's default prf for -v2 is hmacWithSHA256.
  { name: "aes-256-cbc, default prf (hmacWithSHA256)", options: ["-v2", "aes-256-cbc"], prf: "hmacWithSHA256" },
  // hmacWithSHA1 is the DER default: the prf is then left out of the parameters.
  { name: "aes-128-cbc, hmacWithSHA1", options: ["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"], prf: null },
  {
    name: "aes-256-cbc, hmacWithSHA512, 100000 iterations",
    options: ["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA512", "-iter", "100000"],
    prf: "hmacWithSHA512"
  },
  {
    name: "aes-256-cbc, hmacWithSHA384, 1 iteration",
    options: ["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA384", "-iter", "1"],
    prf: "hmacWithSHA384"
  }
] as const

describe("Encrypted PKCS#8 keys", () => {
  for (const key of KEYS) {
    for (const scheme of SCHEMES) {
      it.effect(`${key.keyType}: ${scheme.name} signs like the plain key`, () =>
        Effect.gen(function*() {
          const encrypted = pkcs8(key.pem, scheme.options)
          assert.include(encrypted, "-----BEGIN ENCRYPTED PRIVATE KEY-----")
          const parsed = asn1(encrypted)
          assert.include(parsed, ":PBES2")
          if (scheme.prf === null) assert.notInclude(parsed, "hmacWith")
          else assert.include(parsed, `:${scheme.prf}`)

          const decrypted = yield* signer(encrypted, PASSPHRASE)
          const plain = yield* signer(key.pem)
          assert.strictEqual(decrypted.keyType, key.keyType)
          for (const c of vectors.cases) {
            const signature = yield* decrypted.sign(c.payload)
            assert.strictEqual(signature, key.signature(c))
            assert.strictEqual(signature, yield* plain.sign(c.payload))
          }
        }))
    }
  }

  it.effect("aes-192-cbc and a non-ASCII passphrase (UTF-8, as openssl reads it)", () =>
    Effect.gen(function*() {
      const encrypted = pkcs8(ED25519_PRIVATE, ["-v2", "aes-192-cbc", "-v2prf", "hmacWithSHA256"], UNICODE)
      assert.include(asn1(encrypted), ":aes-192-cbc")
      const c = vectors.cases[0]!
      const result = yield* Effect.either(signer(encrypted, UNICODE))
      if (Either.isLeft(result)) {
        // A WebCrypto without 192-bit AES (browsers) refuses it as unsupported, with the conversion hint.
        assert.strictEqual(result.left.reason, "unsupported-key")
        assert.include(result.left.detail, "openssl pkcs8 -topk8 -v2 aes-256-cbc")
      } else {
        assert.strictEqual(yield* result.right.sign(c.payload), c.ed25519Base64)
      }
    }))

  it.effect("the layer decrypts the key; Credentials keep the passphrase redacted", () =>
    Effect.gen(function*() {
      const credentials = Signer.privateKey(
        Redacted.make(pkcs8(RSA_PRIVATE, ["-v2", "aes-256-cbc"])),
        Redacted.make(PASSPHRASE)
      )
      assert.isFalse(JSON.stringify(credentials).includes(PASSPHRASE))
      assert.isFalse(String(credentials._tag === "PrivateKey" && credentials.passphrase).includes(PASSPHRASE))
      const c = vectors.cases[1]!
      const signature = yield* Effect.flatMap(Signer.Signer, (s) => s.sign(c.payload)).pipe(
        Effect.provide(Signer.layer(credentials))
      )
      assert.strictEqual(signature, c.rsaSha256Base64)
    }))

  it.effect("a passphrase given with an unencrypted key is ignored", () =>
    Effect.gen(function*() {
      const c = vectors.cases[0]!
      assert.strictEqual(yield* (yield* signer(RSA_PRIVATE, PASSPHRASE)).sign(c.payload), c.rsaSha256Base64)
      assert.strictEqual(yield* (yield* signer(ED25519_PRIVATE, "")).sign(c.payload), c.ed25519Base64)
      assert.deepStrictEqual(Object.keys(Signer.privateKey(Redacted.make(RSA_PRIVATE))), ["_tag", "pem"])
    }))
})

describe("Encrypted PKCS#8 key errors", () => {
  it.effect("a wrong passphrase fails with wrong-passphrase, for every scheme", () =>
    Effect.gen(function*() {
      for (const key of KEYS) {
        for (const scheme of SCHEMES) {
          const encrypted = pkcs8(key.pem, scheme.options)
          for (const wrong of [WRONG, "", UNICODE]) {
            const error = yield* Effect.flip(signer(encrypted, wrong))
            assert.strictEqual(error._tag, "SignerError")
            assert.strictEqual(error.reason, "wrong-passphrase", `${key.keyType} ${scheme.name}: ${error.message}`)
            assert.match(error.detail, /passphrase does not decrypt/)
            assertNoLeak(error, [encrypted, key.pem])
          }
        }
      }
    }))

  it.effect("a wrong passphrase whose AES-CBC padding happens to be valid still fails with wrong-passphrase", () =>
    Effect.gen(function*() {
      const encrypted = pkcs8(ED25519_PRIVATE, ["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1", "-iter", "1"])
      // The OCTET STRINGs, in order: salt, IV, encrypted data.
      const [salt, iv, data] = [...asn1(encrypted).matchAll(/OCTET STRING\s+\[HEX DUMP\]:([0-9A-F]+)/g)]
        .map((m) => Buffer.from(m[1]!, "hex"))
      // Find a wrong passphrase that decrypts to valid PKCS#7 padding (about 1 in 256 do).
      let lucky: string | undefined
      for (let i = 0; lucky === undefined && i < 20_000; i++) {
        const key = pbkdf2Sync(`wrong ${i}`, salt!, 1, 16, "sha1")
        const decipher = createDecipheriv("aes-128-cbc", key, iv!).setAutoPadding(false)
        const plain = Buffer.concat([decipher.update(data!), decipher.final()])
        const pad = plain[plain.length - 1]!
        if (pad >= 1 && pad <= 16 && plain.subarray(plain.length - pad).every((b) => b === pad)) lucky = `wrong ${i}`
      }
      assert.isDefined(lucky)
      const error = yield* Effect.flip(signer(encrypted, lucky))
      assert.strictEqual(error.reason, "wrong-passphrase", error.message)
      assert.match(error.detail, /passphrase does not decrypt/)
      assert.isFalse(error.message.includes(lucky!))
    }))

  it.effect("a missing passphrase fails before any decryption, and detectKeyType cannot see inside", () =>
    Effect.gen(function*() {
      for (const key of KEYS) {
        const encrypted = pkcs8(key.pem, ["-v2", "aes-256-cbc"])
        const error = yield* Effect.flip(signer(encrypted))
        assert.strictEqual(error.reason, "unsupported-key")
        assert.match(error.detail, /encrypted.*no passphrase was given/)
        assertNoLeak(error, [encrypted, key.pem])
        const detected = Signer.detectKeyType(encrypted)
        assert.isTrue(Either.isLeft(detected) && detected.left.reason === "unsupported-key")
      }
    }))

  it.effect("legacy OpenSSL encryption (Proc-Type: 4,ENCRYPTED) is refused with the conversion command", () =>
    Effect.gen(function*() {
      const legacy = openssl(["rsa", "-aes256", "-traditional", "-passout", `pass:${PASSPHRASE}`], RSA_PRIVATE)
      assert.include(legacy, "Proc-Type: 4,ENCRYPTED")
      for (const passphrase of [PASSPHRASE, undefined]) {
        const error = yield* Effect.flip(signer(legacy, passphrase))
        assert.strictEqual(error.reason, "unsupported-key")
        assert.include(error.detail, "legacy")
        assert.include(error.detail, "openssl pkcs8 -topk8 -v2 aes-256-cbc")
        assertNoLeak(error, [legacy, RSA_PRIVATE])
      }
      // The command in the hint does turn it into a key the Signer reads.
      const converted = openssl(
        ["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passin", `pass:${PASSPHRASE}`, "-passout", `pass:${UNICODE}`],
        legacy
      )
      const c = vectors.cases[2]!
      assert.strictEqual(yield* (yield* signer(converted, UNICODE)).sign(c.payload), c.rsaSha256Base64)
    }))

  it.effect("PBES1, PKCS#12 PBE, scrypt and non-AES ciphers are refused as unsupported with the hint", () =>
    Effect.gen(function*() {
      const legacyProvider = ["-provider", "legacy", "-provider", "default"]
      const cases = [
        [["-v1", "PBE-SHA1-3DES"], /PKCS#12 PBE/, false],
        [["-v1", "PBE-SHA1-DES", ...legacyProvider], /PBES1/, true],
        [["-scrypt"], /scrypt/, false],
        [["-v2", "des3"], /des-ede3-cbc/, false]
      ] as const
      for (const [options, detail, needsLegacyProvider] of cases) {
        let encrypted: string
        try {
          encrypted = pkcs8(ED25519_PRIVATE, options)
        } catch (error) {
          if (needsLegacyProvider) continue // OpenSSL 3 without its legacy provider cannot write PBES1
          throw error
        }
        for (const passphrase of [PASSPHRASE, undefined]) {
          const error = yield* Effect.flip(signer(encrypted, passphrase))
          assert.strictEqual(error.reason, "unsupported-key", `${options.join(" ")}: ${error.message}`)
          assert.match(error.detail, detail)
          assert.include(error.detail, "openssl pkcs8 -topk8 -v2 aes-256-cbc")
          assertNoLeak(error, [encrypted, ED25519_PRIVATE])
        }
      }
    }))

  it.effect("a damaged EncryptedPrivateKeyInfo is an invalid key, not a wrong passphrase", () =>
    Effect.gen(function*() {
      const encrypted = pkcs8(RSA_PRIVATE, ["-v2", "aes-256-cbc"])
      const lines = encrypted.trim().split("\n")
      // Drop a whole body line: the DER lengths no longer match.
      const truncated = [...lines.slice(0, 3), ...lines.slice(4)].join("\n")
      const error = yield* Effect.flip(signer(truncated, PASSPHRASE))
      assert.strictEqual(error.reason, "invalid-key", error.message)
      assert.match(error.detail, /EncryptedPrivateKeyInfo/)
      assertNoLeak(error, [encrypted, RSA_PRIVATE])
    }))
})
