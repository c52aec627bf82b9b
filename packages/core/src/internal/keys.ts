/**
 * Key handling behind `Signer` and `KeyImport`: base64 and hex codecs, PEM parsing, a minimal
 * DER reader (enough to find a key's AlgorithmIdentifier OID), the PKCS#1 → PKCS#8 / SPKI wrap and
 * the WebCrypto import. Error details name PEM labels and OIDs only, never key bytes. Encrypted
 * PKCS#8 keys are decrypted in `encryptedKey.ts`.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { SignerError } from "../Errors.js"
import type { KeyType } from "../Signer.js"

type Bytes = Uint8Array<ArrayBuffer>

// ---------------------------------------------------------------------------------------------
// base64 and hex

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** @internal Standard, padded base64 → bytes; `undefined` when malformed. */
export const base64ToBytes = (text: string): Bytes | undefined => {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** @internal */
export const bytesToBase64 = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))

/** @internal Lower-case hex. */
export const bytesToHex = (bytes: Uint8Array): string => {
  let hex = ""
  for (const byte of bytes) hex += HEX[byte]
  return hex
}

// ---------------------------------------------------------------------------------------------
// DER

/** @internal A DER element: its tag and where its contents start and end. */
export interface Tlv {
  readonly tag: number
  readonly start: number
  readonly end: number
}

/** @internal The DER element at `at`; `undefined` when it does not fit in `der`. */
export const readTlv = (der: Uint8Array, at: number): Tlv | undefined => {
  const tag = der[at]
  let length = der[at + 1]
  if (tag === undefined || length === undefined) return undefined
  let start = at + 2
  if (length > 0x7f) {
    const count = length & 0x7f
    if (count === 0 || count > 4) return undefined
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + (der[start + i] ?? NaN)
    start += count
  }
  const end = start + length
  return end <= der.length ? { tag, start, end } : undefined
}

/** @internal The dotted form of an OBJECT IDENTIFIER's contents. */
export const decodeOid = (bytes: Uint8Array): string => {
  const arcs: Array<number> = []
  let value = 0
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f)
    if (byte < 0x80) {
      arcs.push(value)
      value = 0
    }
  }
  const first = arcs.shift() ?? 0
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80]
  return [...head, ...arcs].join(".")
}

/** @internal The AlgorithmIdentifier OID of a PKCS#8 PrivateKeyInfo or of an SPKI SubjectPublicKeyInfo. */
export const algorithmOid = (der: Uint8Array, format: "pkcs8" | "spki"): string | undefined => {
  const outer = readTlv(der, 0)
  if (outer?.tag !== 0x30 || outer.end !== der.length) return undefined
  let at = outer.start
  if (format === "pkcs8") {
    const version = readTlv(der, at)
    if (version?.tag !== 0x02) return undefined
    at = version.end
  }
  const algorithm = readTlv(der, at)
  const oid = algorithm?.tag === 0x30 ? readTlv(der, algorithm.start) : undefined
  if (oid?.tag !== 0x06 || oid.end - oid.start > 16) return undefined
  return decodeOid(der.subarray(oid.start, oid.end))
}

const tlv = (tag: number, ...parts: ReadonlyArray<Uint8Array>): Bytes => {
  const n = parts.reduce((sum, part) => sum + part.length, 0)
  const length = n < 0x80
    ? [n]
    : n < 0x100
    ? [0x81, n]
    : n < 0x10000
    ? [0x82, n >> 8, n & 0xff]
    : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]
  const out = new Uint8Array(1 + length.length + n)
  out[0] = tag
  out.set(length, 1)
  let at = 1 + length.length
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** AlgorithmIdentifier { rsaEncryption, NULL }. */
const RSA_ALGORITHM = new Uint8Array([
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00
])

/** @internal PKCS#1 RSAPrivateKey → PKCS#8 PrivateKeyInfo. */
export const pkcs1ToPkcs8 = (pkcs1: Uint8Array): Bytes =>
  tlv(0x30, Uint8Array.of(0x02, 0x01, 0x00), RSA_ALGORITHM, tlv(0x04, pkcs1))

/** @internal PKCS#1 RSAPublicKey → SPKI SubjectPublicKeyInfo. */
export const pkcs1ToSpki = (pkcs1: Uint8Array): Bytes => tlv(0x30, RSA_ALGORITHM, tlv(0x03, Uint8Array.of(0), pkcs1))

// ---------------------------------------------------------------------------------------------
// PEM

/** @internal */
export const OID = { rsa: "1.2.840.113549.1.1.1", ed25519: "1.3.101.112" } as const

const OID_NAMES: Record<string, string> = {
  "1.2.840.10045.2.1": "EC",
  "1.2.840.113549.1.1.10": "RSA-PSS",
  "1.2.840.10040.4.1": "DSA",
  "1.3.101.110": "X25519",
  "1.3.101.111": "X448",
  "1.3.101.113": "Ed448"
}

/** @internal A parsed asymmetric key, ready for `crypto.subtle.importKey`. */
export interface KeyMaterial {
  readonly keyType: "RSA" | "ED25519"
  readonly format: "pkcs8" | "spki"
  readonly der: Bytes
}

/** @internal An encrypted PKCS#8 key (EncryptedPrivateKeyInfo DER), to decrypt with its passphrase. */
export interface EncryptedKeyMaterial {
  readonly format: "encrypted"
  readonly der: Bytes
}

/** @internal How to turn a key this module cannot read into one it can (PBES2, AES-256-CBC). */
export const CONVERT_HINT = "convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out key-pkcs8.pem`"

const PEM = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/

/** @internal */
export const isPem = (text: string): boolean => text.includes("-----BEGIN ")

const invalid = (detail: string) => Either.left(new SignerError({ reason: "invalid-key", detail }))
const unsupported = (detail: string) => Either.left(new SignerError({ reason: "unsupported-key", detail }))

/** @internal The key in a PKCS#8 PrivateKeyInfo or an SPKI SubjectPublicKeyInfo, by its algorithm OID. */
export const fromKeyInfo = (der: Bytes, format: "pkcs8" | "spki"): Either.Either<KeyMaterial, SignerError> => {
  const oid = algorithmOid(der, format)
  if (oid === undefined) {
    return invalid(`the PEM body is not a ${format === "pkcs8" ? "PKCS#8 private" : "SPKI public"} key`)
  }
  if (oid === OID.rsa) return Either.right({ keyType: "RSA", format, der })
  if (oid === OID.ed25519) return Either.right({ keyType: "ED25519", format, der })
  const name = OID_NAMES[oid] === undefined ? "" : ` (${OID_NAMES[oid]})`
  return unsupported(`key algorithm OID ${oid}${name} is not supported; use an RSA or Ed25519 key`)
}

/**
 * @internal
 * Reads a PEM key (`-----BEGIN PRIVATE KEY-----` / `RSA PRIVATE KEY` / `ENCRYPTED PRIVATE KEY` for
 * "private", `PUBLIC KEY` / `RSA PUBLIC KEY` for "public"). Accepts literal `\n` sequences and CRLF
 * line ends. An encrypted PKCS#8 key comes back still encrypted; OpenSSL's legacy encrypted PEM
 * (`Proc-Type: 4,ENCRYPTED` headers) is refused with the command that converts it.
 */
export const readPem = (
  text: string,
  kind: "private" | "public"
): Either.Either<KeyMaterial | EncryptedKeyMaterial, SignerError> => {
  const match = PEM.exec(text.replace(/\\r\\n|\\n/g, "\n"))
  if (match === null) return invalid(`not a PEM ${kind} key (expected -----BEGIN ${kind.toUpperCase()} KEY-----)`)
  const label = match[1] ?? ""
  const lines = (match[2] ?? "").split(/\r?\n|\r/).map((line) => line.trim()).filter((line) => line.length > 0)
  const headers = lines.filter((line) => line.includes(":"))
  if (headers.some((line) => /ENCRYPTED/i.test(line))) {
    return unsupported(
      `the ${label} PEM uses OpenSSL's legacy encryption (Proc-Type: 4,ENCRYPTED), which cannot be decrypted here; ` +
        `${CONVERT_HINT} (it asks for the old passphrase and a new one)`
    )
  }
  const der = base64ToBytes(lines.filter((line) => !line.includes(":")).join("").replace(/\s+/g, ""))
  if (der === undefined) return invalid(`the ${label} PEM body is not valid base64`)
  const pkcs1 = readTlv(der, 0)?.tag === 0x30
  switch (`${kind}:${label}`) {
    case "private:ENCRYPTED PRIVATE KEY":
      return Either.right({ format: "encrypted", der })
    case "private:PRIVATE KEY":
      return fromKeyInfo(der, "pkcs8")
    case "public:PUBLIC KEY":
      return fromKeyInfo(der, "spki")
    case "private:RSA PRIVATE KEY":
      return pkcs1 ? fromKeyInfo(pkcs1ToPkcs8(der), "pkcs8") : invalid("the RSA PRIVATE KEY PEM body is not DER")
    case "public:RSA PUBLIC KEY":
      return pkcs1 ? fromKeyInfo(pkcs1ToSpki(der), "spki") : invalid("the RSA PUBLIC KEY PEM body is not DER")
  }
  if ((kind === "private" ? /PUBLIC KEY|CERTIFICATE/ : /PRIVATE KEY/).test(label)) {
    return invalid(`a ${label} does not fit here; expected a ${kind} key (-----BEGIN ${kind.toUpperCase()} KEY-----)`)
  }
  return unsupported(`PEM ${label} is not supported; expected -----BEGIN ${kind.toUpperCase()} KEY-----`)
}

/**
 * @internal
 * `readPem` for keys usable as they are: an encrypted key fails with "unsupported-key" (decrypting
 * it needs its passphrase and WebCrypto, see `encryptedKey.ts`).
 */
export const parsePem = (text: string, kind: "private" | "public"): Either.Either<KeyMaterial, SignerError> =>
  Either.flatMap(
    readPem(text, kind),
    (key) =>
      key.format === "encrypted"
        ? unsupported("the PEM private key is encrypted (ENCRYPTED PRIVATE KEY); its passphrase is needed to decrypt it")
        : Either.right(key)
  )

// ---------------------------------------------------------------------------------------------
// WebCrypto

/** @internal WebCrypto algorithm parameters per key type. */
export const ALGORITHM: Record<KeyType, {
  readonly importParams: AlgorithmIdentifier | HmacImportParams | RsaHashedImportParams
  readonly params: AlgorithmIdentifier
}> = {
  HMAC: { importParams: { name: "HMAC", hash: "SHA-256" }, params: "HMAC" },
  RSA: { importParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, params: "RSASSA-PKCS1-v1_5" },
  ED25519: { importParams: { name: "Ed25519" }, params: { name: "Ed25519" } }
}

const errorName = (error: unknown): string =>
  typeof error === "object" && error !== null && "name" in error && typeof error.name === "string"
    ? ` (${error.name})`
    : ""

/** @internal Imports a non-extractable key for one usage. */
export const importCryptoKey = (
  keyType: KeyType,
  format: "raw" | "pkcs8" | "spki",
  data: Bytes,
  usage: "sign" | "verify"
): Effect.Effect<CryptoKey, SignerError> =>
  Effect.tryPromise({
    try: () => crypto.subtle.importKey(format, data, ALGORITHM[keyType].importParams, false, [usage]),
    catch: (error) =>
      new SignerError({ reason: "invalid-key", detail: `the ${keyType} key could not be imported${errorName(error)}` })
  })

/** @internal An imported key and its type. */
export interface ImportedKey {
  readonly keyType: KeyType
  readonly key: CryptoKey
}

/** @internal Imports an HMAC secret (`hmac`) or a PEM key: private to sign, public to verify. */
export const importKey = (
  text: string,
  hmac: boolean,
  usage: "sign" | "verify"
): Effect.Effect<ImportedKey, SignerError> =>
  Effect.gen(function*() {
    if (hmac) {
      if (text.trim().length === 0) return yield* invalid("the HMAC secret is empty")
      return { keyType: "HMAC", key: yield* importCryptoKey("HMAC", "raw", new TextEncoder().encode(text), usage) }
    }
    const { der, format, keyType } = yield* parsePem(text, usage === "sign" ? "private" : "public")
    return { keyType, key: yield* importCryptoKey(keyType, format, der, usage) }
  })
