/** The signature test vectors and test keys of shared/vectors, read by relative path from here. */
import { readFileSync } from "node:fs"

export interface Vectors {
  readonly keys: { readonly hmacSecret: string }
  readonly officialExamples: ReadonlyArray<
    { readonly hmacSecret: string; readonly payload: string; readonly hmacSha256Hex: string }
  >
  readonly cases: ReadonlyArray<{
    readonly payload: string
    readonly hmacSha256Hex: string
    readonly rsaSha256Base64: string
    readonly ed25519Base64: string
  }>
}

const SIGNATURES = new URL("../../../../../shared/vectors/signatures.json", import.meta.url)
const vectorFile = (name: string) => readFileSync(new URL(name, SIGNATURES), "utf8")

export const vectors: Vectors = JSON.parse(readFileSync(SIGNATURES, "utf8"))
export const RSA_PRIVATE = vectorFile("rsa-test-private.pem")
export const RSA_PUBLIC = vectorFile("rsa-test-public.pem")
export const ED25519_PRIVATE = vectorFile("ed25519-test-private.pem")
export const ED25519_PUBLIC = vectorFile("ed25519-test-public.pem")
export const HMAC_SECRET = vectors.keys.hmacSecret
