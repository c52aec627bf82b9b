/// <reference types="node" />
/**
 * An encrypted PEM private key (PKCS#8 `ENCRYPTED PRIVATE KEY`, or a legacy PEM with
 * `Proc-Type: 4,ENCRYPTED`) decrypted with node:crypto into the PKCS#8 PEM the core's signer
 * imports: WebCrypto cannot read an encrypted key. The key stays `Redacted`.
 */
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { createPrivateKey } from "node:crypto"

const ENCRYPTED = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/

/** Whether the PEM is encrypted (it needs a passphrase). */
export const isEncrypted = (pem: string): boolean => ENCRYPTED.test(pem)

/** The PKCS#8 PEM of an encrypted key; `Left` when the passphrase does not decrypt it. */
export const decrypt = (
  pem: string,
  passphrase: Redacted.Redacted<string>
): Either.Either<Redacted.Redacted<string>, "wrong-passphrase"> =>
  Either.try({
    try: () =>
      Redacted.make(
        createPrivateKey({ key: pem, format: "pem", passphrase: Redacted.value(passphrase) }).export({ type: "pkcs8", format: "pem" }).toString()
      ),
    catch: () => "wrong-passphrase" as const
  })
