/**
 * Signs the exact bytes of a request. The key type comes from the key itself: an HMAC secret is
 * a plain string; a PEM private key is RSA or Ed25519 according to the algorithm inside it.
 * `Redacted.value` of key material appears only in this module's implementation.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { SignerError } from "./Errors.js"
import * as EncryptedKey from "./internal/encryptedKey.js"
import * as Keys from "./internal/keys.js"

export type KeyType = "HMAC" | "RSA" | "ED25519"

export interface SignerShape {
  readonly keyType: KeyType
  /**
   * Signs `payload` (query string, or query string immediately followed by the body). Returns lower-case
   * hex for HMAC, standard base64 for RSA and Ed25519 (percent-encode it when placing it in a request).
   */
  readonly sign: (payload: string) => Effect.Effect<string, SignerError>
}

export class Signer extends Context.Tag("@marginctl/core/Signer")<Signer, SignerShape>() {}

/**
 * What the signer is built from: an HMAC secret, or a PEM private key (PKCS#8, PKCS#1 for RSA, or
 * encrypted PKCS#8 with its `passphrase`).
 */
export type Credentials =
  | { readonly _tag: "Hmac"; readonly secret: Redacted.Redacted<string> }
  | {
    readonly _tag: "PrivateKey"
    readonly pem: Redacted.Redacted<string>
    readonly passphrase?: Redacted.Redacted<string> | undefined
  }

export const hmac = (secret: Redacted.Redacted<string>): Credentials => ({ _tag: "Hmac", secret })

/**
 * A PEM private key. An encrypted PKCS#8 key (`-----BEGIN ENCRYPTED PRIVATE KEY-----`, PBES2:
 * PBKDF2 with HMAC-SHA-1/256/384/512 and AES-128/192/256-CBC, as `openssl pkcs8 -topk8 -v2 aes-256-cbc`
 * writes) is decrypted with `passphrase` when the signer is made; the passphrase of an unencrypted key
 * is ignored. OpenSSL's legacy encrypted PEM (`Proc-Type: 4,ENCRYPTED`) and PBES1 keys are refused
 * ("unsupported-key"): convert them with `openssl pkcs8 -topk8 -v2 aes-256-cbc`.
 */
export const privateKey = (pem: Redacted.Redacted<string>, passphrase?: Redacted.Redacted<string>): Credentials =>
  passphrase === undefined ? { _tag: "PrivateKey", pem } : { _tag: "PrivateKey", pem, passphrase }

/**
 * The key type of a PEM private key, read from the key's algorithm OID (never from its length).
 * Fails with "unsupported-key" for encrypted keys (their type is known once `make` decrypts them) and
 * other algorithms, "invalid-key" for anything unreadable.
 */
export const detectKeyType = (pem: string): Either.Either<KeyType, SignerError> =>
  Either.map(Keys.parsePem(pem, "private"), (key) => key.keyType)

const encoder = new TextEncoder()

/** Decrypts an encrypted PKCS#8 key with the passphrase, then imports it like any private key. */
const importPrivateKey = (text: string, passphrase: string | undefined): Effect.Effect<Keys.ImportedKey, SignerError> =>
  Effect.gen(function*() {
    const material = yield* Keys.readPem(text, "private")
    if (material.format !== "encrypted") {
      const key = yield* Keys.importCryptoKey(material.keyType, material.format, material.der, "sign")
      return { keyType: material.keyType, key }
    }
    const { der, format, keyType } = yield* EncryptedKey.decrypt(material.der, passphrase)
    const key = yield* Keys.importCryptoKey(keyType, format, der, "sign").pipe(
      Effect.ensuring(Effect.sync(() => der.fill(0)))
    )
    return { keyType, key }
  })

/**
 * Imports the key of the credentials once (a non-extractable `CryptoKey`), after every check: the one
 * place credentials become a key, whichever signer then uses it. Fails with "unsupported-key" for an
 * encrypted key without a passphrase, "wrong-passphrase" when the passphrase does not decrypt it.
 */
export const importSigningKey = (
  credentials: Credentials
): Effect.Effect<{ readonly keyType: KeyType; readonly key: CryptoKey }, SignerError> =>
  Effect.suspend(() => {
    const text = Redacted.value(credentials._tag === "Hmac" ? credentials.secret : credentials.pem)
    const passphrase = credentials._tag === "PrivateKey" && credentials.passphrase !== undefined
      ? Redacted.value(credentials.passphrase)
      : undefined
    // A PEM in Hmac credentials is still a private key: the key itself decides.
    return credentials._tag === "Hmac" && !Keys.isPem(text)
      ? Keys.importKey(text, true, "sign")
      : importPrivateKey(text, passphrase)
  })

/** Imports the key once and returns a signer for it that signs with WebCrypto (every platform). */
export const make = (credentials: Credentials): Effect.Effect<SignerShape, SignerError> =>
  Effect.map(importSigningKey(credentials), ({ key, keyType }) => {
    const params = Keys.ALGORITHM[keyType].params
    const encode = keyType === "HMAC" ? Keys.bytesToHex : Keys.bytesToBase64
    const sign = (payload: string): Effect.Effect<string, SignerError> =>
      Effect.tryPromise({
        try: () => crypto.subtle.sign(params, key, encoder.encode(payload)),
        catch: () => new SignerError({ reason: "sign-failed", detail: `the ${keyType} key could not sign the payload` })
      }).pipe(Effect.map((signature) => encode(new Uint8Array(signature))))
    return { keyType, sign } satisfies SignerShape
  })

/**
 * How `Client.layer` turns credentials into a signer: `make` (WebCrypto) unless the context says
 * otherwise; the Node entry point's `NodeSigner` signs with node:crypto, without a promise per call.
 */
export class SignerMaker extends Context.Reference<SignerMaker>()("@marginctl/core/SignerMaker", {
  defaultValue: (): { readonly make: (credentials: Credentials) => Effect.Effect<SignerShape, SignerError> } => ({ make })
}) {}

export const layer = (credentials: Credentials): Layer.Layer<Signer, SignerError> =>
  Layer.effect(Signer, make(credentials))
