/**
 * Signs the exact bytes of a request. The key type comes from the key itself: an HMAC secret is
 * a plain string; a PEM private key is RSA or Ed25519 according to the algorithm inside it.
 * `Redacted.value` of key material appears only in this module's implementation.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { SignerError } from "./Errors.js"

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
