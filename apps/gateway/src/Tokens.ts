/**
 * Callers' bearer tokens: the config holds only their SHA-256 (`marginctl-gateway hash-token`), and
 * `marginctl-gateway new-token` makes a fresh one.
 */
import * as crypto from "node:crypto"

/** SHA-256 of a token, lower-case hex: what the config stores. */
export const hashToken = (token: string): string => crypto.createHash("sha256").update(token, "utf8").digest("hex")

/** A new random token (URL-safe). */
export const newToken = (): string => `mgw_${crypto.randomBytes(24).toString("base64url")}`
