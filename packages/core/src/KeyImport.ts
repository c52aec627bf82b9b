/**
 * WebCrypto keys from what a user holds: an HMAC secret, or a PEM key (PKCS#8 or PKCS#1 private,
 * SPKI or PKCS#1 public; RSA or Ed25519, told apart by the key's algorithm OID), imported once and
 * non-extractable, for one usage. `Signer` signs with the private ones; a verifier (such as the
 * simulator's) checks signatures with the public ones and `algorithm`. Error details name PEM labels
 * and OIDs only, never key material.
 */
import type * as Effect from "effect/Effect"
import type { SignerError } from "./Errors.js"
import * as Keys from "./internal/keys.js"
import type { KeyType } from "./Signer.js"

export interface ImportedKey {
  readonly keyType: KeyType
  /** The non-extractable WebCrypto key. */
  readonly key: CryptoKey
}

/** Imports an HMAC secret (`hmac`) or a PEM key: a private one to sign, a public one to verify. */
export const importKey = (text: string, hmac: boolean, usage: "sign" | "verify"): Effect.Effect<ImportedKey, SignerError> =>
  Keys.importKey(text, hmac, usage)

/** The WebCrypto algorithm a key of this type signs and verifies with (SHA-256 for HMAC and RSA). */
export const algorithm = (keyType: KeyType): AlgorithmIdentifier => Keys.ALGORITHM[keyType].params
