/**
 * Verifies request signatures (the simulator's side of `Signer`). Import a key once with `importKey`,
 * then `verify` each request: HMAC hex in either case, RSA / Ed25519 standard base64. A malformed
 * signature is simply not valid: `verify` never fails.
 */
import * as Effect from "effect/Effect"
import type { SignerError } from "./Errors.js"
import * as Keys from "./internal/keys.js"
import type { KeyType } from "./Signer.js"

/** An HMAC secret, or a PEM public key (`-----BEGIN PUBLIC KEY-----` SPKI, RSA or Ed25519). */
export type VerifyKey =
  | { readonly _tag: "Hmac"; readonly secret: string }
  | { readonly _tag: "PublicKey"; readonly pem: string }

export const hmac = (secret: string): VerifyKey => ({ _tag: "Hmac", secret })

export const publicKey = (pem: string): VerifyKey => ({ _tag: "PublicKey", pem })

export interface ImportedVerifyKey {
  readonly keyType: KeyType
  /** The non-extractable WebCrypto key. */
  readonly key: CryptoKey
}

/** Imports the key once; the type of a public key comes from its SPKI algorithm OID. */
export const importKey = (key: VerifyKey): Effect.Effect<ImportedVerifyKey, SignerError> =>
  key._tag === "Hmac" ? Keys.importKey(key.secret, true, "verify") : Keys.importKey(key.pem, false, "verify")

const encoder = new TextEncoder()

/** Whether `signature` (percent-decoded, as received) signs `payload` with `key`. */
export const verify = (key: ImportedVerifyKey, payload: string, signature: string): Effect.Effect<boolean> => {
  const bytes = key.keyType === "HMAC" ? Keys.hexToBytes(signature) : Keys.base64ToBytes(signature)
  if (bytes === undefined) return Effect.succeed(false)
  return Effect.tryPromise(() =>
    crypto.subtle.verify(Keys.ALGORITHM[key.keyType].params, key.key, bytes, encoder.encode(payload))
  ).pipe(Effect.orElseSucceed(() => false))
}
