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

/** What the signer is built from: an HMAC secret, or a PEM private key (PKCS#8, or PKCS#1 for RSA). */
export type Credentials =
  | { readonly _tag: "Hmac"; readonly secret: Redacted.Redacted<string> }
  | { readonly _tag: "PrivateKey"; readonly pem: Redacted.Redacted<string> }

export const hmac = (secret: Redacted.Redacted<string>): Credentials => ({ _tag: "Hmac", secret })

export const privateKey = (pem: Redacted.Redacted<string>): Credentials => ({ _tag: "PrivateKey", pem })

/**
 * The key type of a PEM private key, read from the key's algorithm OID (never from its length).
 * Fails with "unsupported-key" for encrypted keys and other algorithms, "invalid-key" for anything unreadable.
 */
export const detectKeyType = (pem: string): Either.Either<KeyType, SignerError> =>
  Either.map(Keys.parsePem(pem, "private"), (key) => key.keyType)

const encoder = new TextEncoder()

/** Imports the key once (non-extractable) and returns a signer for it. */
export const make = (credentials: Credentials): Effect.Effect<SignerShape, SignerError> =>
  Effect.gen(function*() {
    const text = Redacted.value(credentials._tag === "Hmac" ? credentials.secret : credentials.pem)
    // A PEM in Hmac credentials is still a private key: the key itself decides.
    const { key, keyType } = yield* Keys.importKey(text, credentials._tag === "Hmac" && !Keys.isPem(text), "sign")
    const params = Keys.ALGORITHM[keyType].params
    const encode = keyType === "HMAC" ? Keys.bytesToHex : Keys.bytesToBase64
    const sign = (payload: string): Effect.Effect<string, SignerError> =>
      Effect.tryPromise({
        try: () => crypto.subtle.sign(params, key, encoder.encode(payload)),
        catch: () => new SignerError({ reason: "sign-failed", detail: `the ${keyType} key could not sign the payload` })
      }).pipe(Effect.map((signature) => encode(new Uint8Array(signature))))
    return { keyType, sign } satisfies SignerShape
  })

export const layer = (credentials: Credentials): Layer.Layer<Signer, SignerError> =>
  Layer.effect(Signer, make(credentials))
