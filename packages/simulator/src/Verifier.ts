/**
 * Verifies request signatures as Binance does (the other side of the core's `Signer`). A key is
 * imported once with `importKey` (through the core's `KeyImport`, which reads PEM keys for both
 * sides); `verify` then checks each request: HMAC as hex in either case, RSA / Ed25519 as standard
 * padded base64. A malformed signature is simply not valid: `verify` never fails.
 */
import type { SignerError } from "@marginctl/core/Errors"
import * as KeyImport from "@marginctl/core/KeyImport"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"

/** An HMAC secret, or a PEM public key (`-----BEGIN PUBLIC KEY-----` SPKI or PKCS#1; RSA or Ed25519). */
export type VerifyKey =
  | { readonly _tag: "Hmac"; readonly secret: string }
  | { readonly _tag: "PublicKey"; readonly pem: string }

export const hmac = (secret: string): VerifyKey => ({ _tag: "Hmac", secret })

export const publicKey = (pem: string): VerifyKey => ({ _tag: "PublicKey", pem })

export type ImportedVerifyKey = KeyImport.ImportedKey

/** Imports the key once; the type of a public key comes from its algorithm OID. */
export const importKey = (key: VerifyKey): Effect.Effect<ImportedVerifyKey, SignerError> =>
  key._tag === "Hmac" ? KeyImport.importKey(key.secret, true, "verify") : KeyImport.importKey(key.pem, false, "verify")

const HEX = /^(?:[0-9a-fA-F]{2})*$/
/** Standard base64, padded: Effect's decoder alone would also skip whitespace. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const signatureBytes = (keyType: ImportedVerifyKey["keyType"], signature: string): Uint8Array | undefined => {
  const decoded = keyType === "HMAC"
    ? HEX.test(signature) ? Encoding.decodeHex(signature) : undefined
    : BASE64.test(signature) ? Encoding.decodeBase64(signature) : undefined
  return decoded !== undefined && Either.isRight(decoded) ? decoded.right : undefined
}

const encoder = new TextEncoder()

/** Whether `signature` (percent-decoded, as received) signs `payload` with `key`. */
export const verify = (key: ImportedVerifyKey, payload: string, signature: string): Effect.Effect<boolean> => {
  const bytes = signatureBytes(key.keyType, signature)
  if (bytes === undefined || bytes.length === 0) return Effect.succeed(false)
  return Effect.tryPromise(() =>
    crypto.subtle.verify(KeyImport.algorithm(key.keyType), key.key, new Uint8Array(bytes), encoder.encode(payload))
  ).pipe(Effect.orElseSucceed(() => false))
}
