/**
 * Encrypted PKCS#8 private keys (`-----BEGIN ENCRYPTED PRIVATE KEY-----`, RFC 8018 PBES2), decrypted
 * with WebCrypto only: PBKDF2 with HMAC-SHA-1 (the default when the prf is absent), HMAC-SHA-256,
 * -384 or -512, then AES-128-CBC, AES-192-CBC (where the platform's WebCrypto has it) or AES-256-CBC.
 * PBES1, PKCS#12 PBE, scrypt and other ciphers are refused with the `openssl` command that converts
 * the key. Error details name schemes and OIDs only, never key bytes or the passphrase.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { SignerError } from "../Errors.js"
import * as Keys from "./keys.js"

type Bytes = Uint8Array<ArrayBuffer>

const PBES2 = "1.2.840.113549.1.5.13"
const PBKDF2 = "1.2.840.113549.1.5.12"

/** PBKDF2 prf OIDs → WebCrypto hash. */
const PRF: Record<string, { readonly name: string; readonly hash: string }> = {
  "1.2.840.113549.2.7": { name: "hmacWithSHA1", hash: "SHA-1" },
  "1.2.840.113549.2.9": { name: "hmacWithSHA256", hash: "SHA-256" },
  "1.2.840.113549.2.10": { name: "hmacWithSHA384", hash: "SHA-384" },
  "1.2.840.113549.2.11": { name: "hmacWithSHA512", hash: "SHA-512" }
}
const DEFAULT_PRF = PRF["1.2.840.113549.2.7"]!

/** Encryption scheme OIDs → AES-CBC key length in bytes. */
const CIPHER: Record<string, { readonly name: string; readonly keyLength: 16 | 24 | 32 }> = {
  "2.16.840.1.101.3.4.1.2": { name: "aes-128-cbc", keyLength: 16 },
  "2.16.840.1.101.3.4.1.22": { name: "aes-192-cbc", keyLength: 24 },
  "2.16.840.1.101.3.4.1.42": { name: "aes-256-cbc", keyLength: 32 }
}

/** Names for the refusals of schemes this module does not implement. */
const OTHER_NAMES: Record<string, string> = {
  "1.3.6.1.4.1.11591.4.11": "scrypt",
  "1.2.840.113549.2.8": "hmacWithSHA224",
  "1.2.840.113549.2.12": "hmacWithSHA512-224",
  "1.2.840.113549.2.13": "hmacWithSHA512-256",
  "1.2.840.113549.3.7": "des-ede3-cbc",
  "1.3.14.3.2.7": "des-cbc",
  "1.2.840.113549.3.2": "rc2-cbc"
}

/** More iterations than this are refused rather than left to run for minutes. */
const MAX_ITERATIONS = 10_000_000

/** PBES2 parameters read from an EncryptedPrivateKeyInfo. */
interface Pbes2 {
  readonly salt: Bytes
  readonly iterations: number
  readonly prf: { readonly name: string; readonly hash: string }
  readonly cipher: { readonly name: string; readonly keyLength: 16 | 24 | 32 }
  readonly iv: Bytes
  readonly data: Bytes
}

const error = (reason: SignerError["reason"], detail: string) => new SignerError({ reason, detail })
const unsupported = (detail: string) => Either.left(error("unsupported-key", `${detail}; ${Keys.CONVERT_HINT}`))
const malformed = (what: string) =>
  Either.left(
    error("invalid-key", `the ENCRYPTED PRIVATE KEY PEM body is not a PKCS#8 EncryptedPrivateKeyInfo (${what})`)
  )

const named = (oid: string): string => (OTHER_NAMES[oid] === undefined ? oid : `${OTHER_NAMES[oid]} (${oid})`)

/** The elements of a DER SEQUENCE, each within it; `undefined` when it is not one. */
const sequence = (der: Uint8Array, parent: Keys.Tlv | undefined): ReadonlyArray<Keys.Tlv> | undefined => {
  if (parent?.tag !== 0x30) return undefined
  const elements: Array<Keys.Tlv> = []
  for (let at = parent.start; at < parent.end;) {
    const element = Keys.readTlv(der, at)
    if (element === undefined || element.end > parent.end) return undefined
    elements.push(element)
    at = element.end
  }
  return elements
}

const oidOf = (der: Uint8Array, element: Keys.Tlv | undefined): string | undefined =>
  element?.tag === 0x06 && element.end > element.start && element.end - element.start <= 32
    ? Keys.decodeOid(der.subarray(element.start, element.end))
    : undefined

/** A non-negative DER INTEGER of at most 32 bits. */
const integerOf = (der: Uint8Array, element: Keys.Tlv | undefined): number | undefined => {
  if (element?.tag !== 0x02 || element.end === element.start || (der[element.start] ?? 0) >= 0x80) return undefined
  let value = 0
  for (let at = element.start; at < element.end; at++) value = value * 256 + (der[at] ?? 0)
  return value <= 0xffffffff ? value : undefined
}

const octetsOf = (der: Bytes, element: Keys.Tlv | undefined): Bytes | undefined =>
  element?.tag === 0x04 ? der.slice(element.start, element.end) : undefined

/** Reads EncryptedPrivateKeyInfo { AlgorithmIdentifier { PBES2, { PBKDF2 {…}, AES-CBC IV } }, OCTET STRING }. */
const parsePbes2 = (der: Bytes): Either.Either<Pbes2, SignerError> => {
  const outer = Keys.readTlv(der, 0)
  const info = outer?.end === der.length ? sequence(der, outer) : undefined
  const data = octetsOf(der, info?.[1])
  const algorithm = sequence(der, info?.[0])
  const scheme = oidOf(der, algorithm?.[0])
  if (info?.length !== 2 || data === undefined || scheme === undefined) return malformed("outer structure")
  if (scheme !== PBES2) {
    const kind = scheme.startsWith("1.2.840.113549.1.5.")
      ? "PBES1"
      : scheme.startsWith("1.2.840.113549.1.12.1.")
      ? "PKCS#12 PBE"
      : "an unknown scheme"
    return unsupported(`the private key is encrypted with ${kind} (${scheme}); only PBES2 is supported`)
  }
  const params = sequence(der, algorithm?.[1])
  const kdf = sequence(der, params?.[0])
  const encryption = sequence(der, params?.[1])
  const kdfOid = oidOf(der, kdf?.[0])
  const cipherOid = oidOf(der, encryption?.[0])
  if (params?.length !== 2 || kdfOid === undefined || cipherOid === undefined) return malformed("PBES2 parameters")
  if (kdfOid !== PBKDF2) return unsupported(`the key derivation ${named(kdfOid)} is not supported; only PBKDF2 is`)

  // PBKDF2-params { salt OCTET STRING, iterationCount, keyLength OPTIONAL, prf DEFAULT hmacWithSHA1 }
  const pbkdf2 = sequence(der, kdf?.[1])
  if (pbkdf2?.[0]?.tag === 0x30) return unsupported("a PBKDF2 salt from another source is not supported")
  const salt = octetsOf(der, pbkdf2?.[0])
  const iterations = integerOf(der, pbkdf2?.[1])
  if (pbkdf2 === undefined || salt === undefined || iterations === undefined || iterations < 1) {
    return malformed("PBKDF2 parameters")
  }
  let rest = pbkdf2.slice(2)
  const keyLength = rest[0]?.tag === 0x02 ? integerOf(der, rest[0]) : null
  if (keyLength === undefined) return malformed("PBKDF2 key length")
  if (keyLength !== null) rest = rest.slice(1)
  const prfOid = rest.length === 0 ? undefined : oidOf(der, sequence(der, rest[0])?.[0])
  if (rest.length > 1 || (rest.length === 1 && prfOid === undefined)) return malformed("PBKDF2 prf")
  const prf = prfOid === undefined ? DEFAULT_PRF : PRF[prfOid]
  if (prf === undefined) return unsupported(`the PBKDF2 prf ${named(prfOid!)} is not supported`)
  if (iterations > MAX_ITERATIONS) return unsupported(`${iterations} PBKDF2 iterations are more than ${MAX_ITERATIONS}`)

  const cipher = CIPHER[cipherOid]
  if (cipher === undefined) return unsupported(`the cipher ${named(cipherOid)} is not supported; use AES-CBC`)
  const iv = octetsOf(der, encryption?.[1])
  if (iv?.length !== 16 || encryption?.length !== 2) return malformed(`${cipher.name} IV`)
  if (keyLength !== null && keyLength !== cipher.keyLength) return malformed("PBKDF2 key length")
  if (data.length === 0 || data.length % 16 !== 0) return malformed("encrypted data length")
  return Either.right({ salt, iterations, prf, cipher, iv, data })
}

const WRONG_PASSPHRASE = "the passphrase does not decrypt the encrypted private key (wrong passphrase?)"

/**
 * @internal
 * Decrypts an EncryptedPrivateKeyInfo with its passphrase and reads the PKCS#8 key inside (RSA or
 * Ed25519, by its OID). The scheme is checked before the passphrase, so an unsupported key is
 * named as such even when no passphrase was given.
 */
export const decrypt = (der: Bytes, passphrase: string | undefined): Effect.Effect<Keys.KeyMaterial, SignerError> =>
  Effect.gen(function*() {
    const { cipher, data, iterations, iv, prf, salt } = yield* parsePbes2(der)
    if (passphrase === undefined) {
      return yield* error(
        "unsupported-key",
        "the PEM private key is encrypted (ENCRYPTED PRIVATE KEY) and no passphrase was given; " +
          "give its passphrase to decrypt it"
      )
    }
    const subtle = crypto.subtle
    const plain = yield* Effect.tryPromise({
      try: async () => {
        const secret = new TextEncoder().encode(passphrase)
        const base = await subtle.importKey("raw", secret, "PBKDF2", false, ["deriveBits"])
          .finally(() => secret.fill(0))
        const params = { name: "PBKDF2", hash: prf.hash, salt, iterations }
        return new Uint8Array(await subtle.deriveBits(params, base, cipher.keyLength * 8))
      },
      catch: () => error("unsupported-key", `PBKDF2 with ${prf.name} is not available in this platform's WebCrypto`)
    }).pipe(
      Effect.flatMap((bits) =>
        Effect.tryPromise({
          try: () => subtle.importKey("raw", bits, "AES-CBC", false, ["decrypt"]),
          catch: () =>
            error("unsupported-key", `${cipher.name} is not available in this platform's WebCrypto; ${Keys.CONVERT_HINT}`)
        }).pipe(Effect.ensuring(Effect.sync(() => bits.fill(0))))
      ),
      Effect.flatMap((key) =>
        Effect.tryPromise({
          // A wrong passphrase gives a wrong key: the CBC padding check fails (OperationError).
          try: () => subtle.decrypt({ name: "AES-CBC", iv }, key, data),
          catch: () => error("wrong-passphrase", WRONG_PASSPHRASE)
        })
      )
    )
    const pkcs8 = new Uint8Array(plain)
    // About 1 in 256 wrong keys still ends in valid padding: then the plaintext is not DER.
    if (Keys.algorithmOid(pkcs8, "pkcs8") === undefined) {
      pkcs8.fill(0)
      return yield* error("wrong-passphrase", WRONG_PASSPHRASE)
    }
    return yield* Keys.fromKeyInfo(pkcs8, "pkcs8")
  })
