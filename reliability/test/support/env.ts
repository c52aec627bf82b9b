/**
 * What every reliability test shares: where things are, the keys and tokens of the suite (every one
 * of them is looked for by the final secrets scan), and the results each test file leaves in
 * test-results/reliability/ for scripts/reliability.mjs (RELIABILITY.md) and for the secrets scan.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
export const OUT = process.env.RELIABILITY_OUT ?? path.join(ROOT, "test-results", "reliability")
export const CLI_BIN = path.join(ROOT, "apps/cli/dist/marginctl.js")
export const GATEWAY_MAIN = path.join(ROOT, "apps/gateway/dist/main.js")
/** RELIABILITY_FULL=1: the load runs 60 s instead of 20 s. */
export const FULL = process.env.RELIABILITY_FULL === "1"

export type KeyKind = "HMAC" | "ED25519" | "RSA"

/** API keys of the simulated accounts (one per key type) and the HMAC secret. */
export const API_KEYS: Record<KeyKind, string> = {
  HMAC: "relHmacApiKey-Qx7vN2pL9sT4wZ8kR3mY6bC1dF5gH0jA",
  ED25519: "relEdApiKey-Mn4bV7cX1zL8kJ5hG2fD9sA6pO3iU0yT",
  RSA: "relRsaApiKey-Wq2eR5tY8uI1oP4aS7dF0gH3jK6lZ9xC"
}
export const HMAC_SECRET = "relHmacSecret-Vb8nM3qW6eR1tY4uI7oP0aS2dF5gH9jKlZxC"

/** Gateway tokens (only their SHA-256 is in the gateway's config). */
export const TOKENS = {
  admin: "mgw_rel_admin_Kq3Lw8Zx1Vb6Nm4Pt9Rs2Yd5",
  reader: "mgw_rel_reader_Hj7Gf2Dk9Sa4Qw1Ez6Rx3Cv8"
} as const

export const SIM_ADMIN_TOKEN = "relSimAdminToken-Tg5Yh8Uj1Ik4Ol7Pz0Xc3Vb6"

/** The extension's vault passphrase. */
export const PASSPHRASE = "reliability horse battery staple"

export const sha256 = (s: string) => crypto.createHash("sha256").update(s, "utf8").digest("hex")

export interface KeyPair {
  readonly privatePem: string
  readonly publicPem: string
  readonly privateFile: string
}

const keysDir = path.join(OUT, "keys")

/** Ed25519 and RSA key pairs, made once per run (kept in test-results/reliability/keys so that every file uses the same). */
const loadOrMake = (name: string, type: "ed25519" | "rsa"): KeyPair => {
  const privateFile = path.join(keysDir, `${name}.pem`)
  const publicFile = path.join(keysDir, `${name}.pub.pem`)
  if (!fs.existsSync(privateFile) || !fs.existsSync(publicFile)) {
    fs.mkdirSync(keysDir, { recursive: true })
    const pair = type === "rsa"
      ? crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
      : crypto.generateKeyPairSync("ed25519")
    const tmp = `${privateFile}.${process.pid}.tmp`
    fs.writeFileSync(`${publicFile}.${process.pid}.tmp`, pair.publicKey.export({ type: "spki", format: "pem" }))
    fs.writeFileSync(tmp, pair.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 })
    fs.renameSync(`${publicFile}.${process.pid}.tmp`, publicFile)
    fs.renameSync(tmp, privateFile)
  }
  return { privatePem: fs.readFileSync(privateFile, "utf8"), publicPem: fs.readFileSync(publicFile, "utf8"), privateFile }
}

export const ED25519 = loadOrMake("ed25519", "ed25519")
export const RSA = loadOrMake("rsa", "rsa")

/** Simulator seed fields of the key of a kind. */
export const keySeed = (kind: KeyKind) =>
  kind === "HMAC"
    ? { apiKey: API_KEYS.HMAC, secret: HMAC_SECRET }
    : { apiKey: API_KEYS[kind], publicKeyPem: (kind === "RSA" ? RSA : ED25519).publicPem }

/** The base64 lines of a PEM body. */
const pemLines = (pem: string) => pem.split("\n").filter((l) => l.length >= 16 && !l.startsWith("-----"))

/** Every secret the suite uses: none may appear in anything the suite captured. */
export const secrets = (): Array<{ readonly name: string; readonly value: string }> => [
  ...Object.entries(API_KEYS).map(([k, v]) => ({ name: `API key (${k})`, value: v })),
  { name: "HMAC secret", value: HMAC_SECRET },
  ...Object.entries(TOKENS).map(([k, v]) => ({ name: `gateway token (${k})`, value: v })),
  { name: "simulator admin token", value: SIM_ADMIN_TOKEN },
  { name: "vault passphrase", value: PASSPHRASE },
  ...pemLines(ED25519.privatePem).map((l, i) => ({ name: `Ed25519 private key, line ${i + 1}`, value: l })),
  ...pemLines(RSA.privatePem).map((l, i) => ({ name: `RSA private key, line ${i + 1}`, value: l }))
]

// ---------------------------------------------------------------------------------------------
// Captured outputs and results, per test file (each file runs in its own module graph).

const captured: Array<{ readonly source: string; readonly text: string }> = []

/** Keeps an output (stdout, stderr, a log, an HTTP body, audit rows, DOM, console) for the secrets scan. */
export const capture = (source: string, text: string): void => {
  if (text.length > 0) captured.push({ source, text })
}

const records: Array<Record<string, unknown>> = []

/** One result row for RELIABILITY.md. */
export const record = (row: Record<string, unknown>): void => {
  records.push(row)
}

/** Writes this file's captured outputs and results (call in afterAll). */
export const flush = (name: string): void => {
  fs.mkdirSync(path.join(OUT, "captured"), { recursive: true })
  fs.writeFileSync(path.join(OUT, "captured", `${name}.json`), JSON.stringify(captured))
  fs.writeFileSync(path.join(OUT, `${name}.json`), JSON.stringify(records, null, 2))
  for (const dir of tmpDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
}

const tmpDirs: Array<string> = []

/** A fresh temporary directory, removed by `flush`. */
export const tmpDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `marginctl-rel-${prefix}-`))
  tmpDirs.push(dir)
  return dir
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `f` until it returns something other than undefined. */
export const until = async <A>(f: () => Promise<A | undefined> | A | undefined, ms = 20_000, every = 50): Promise<A> => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const a = await f()
    if (a !== undefined) return a
    await sleep(every)
  }
  throw new Error(`condition not reached within ${ms} ms`)
}
