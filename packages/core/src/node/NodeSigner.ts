/// <reference types="node" />
/**
 * A `Signer` that signs with node:crypto, synchronously: HMAC-SHA256 with `createHmac`, RSA
 * (PKCS#1 v1.5, SHA-256) and Ed25519 with `crypto.sign`. WebCrypto's `subtle.sign` (the core's
 * `Signer.make`) costs a promise and a thread-pool round trip per call. The key is read and checked by
 * `Signer.importSigningKey`, as for every signer, and handed to node:crypto as a `KeyObject`.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createHmac, KeyObject, sign as signWith } from "node:crypto"
import { SignerError } from "../Errors.js"
import * as Signer from "../Signer.js"

/** Imports the key once and returns a signer for it that signs with node:crypto. */
export const make = (credentials: Signer.Credentials): Effect.Effect<Signer.SignerShape, SignerError> =>
  Effect.map(Signer.importSigningKey(credentials), ({ key, keyType }) => {
    const keyObject = KeyObject.from(key)
    const failed = () => new SignerError({ reason: "sign-failed", detail: `the ${keyType} key could not sign the payload` })
    const signature = keyType === "HMAC"
      ? (payload: string) => createHmac("sha256", keyObject).update(payload).digest("hex")
      : keyType === "RSA"
      ? (payload: string) => signWith("sha256", Buffer.from(payload), keyObject).toString("base64")
      : (payload: string) => signWith(null, Buffer.from(payload), keyObject).toString("base64")
    const sign = (payload: string): Effect.Effect<string, SignerError> => Effect.try({ try: () => signature(payload), catch: failed })
    return { keyType, sign } satisfies Signer.SignerShape
  })

export const layer = (credentials: Signer.Credentials): Layer.Layer<Signer.Signer, SignerError> =>
  Layer.effect(Signer.Signer, make(credentials))

/** `Client.layer` builds its signer with node:crypto under this layer. */
export const layerMaker = Layer.succeed(Signer.SignerMaker, { make })
