/**
 * Configuration: the README's example is valid, every error names its field, keys come only from
 * environment variables or files (an encrypted private key is decrypted with its passphrase), and
 * environment overrides win.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Signer from "@marginctl/core/Signer"
import * as Config from "../src/Config.js"
import * as ConfigFile from "../src/ConfigFile.js"
import * as Tokens from "../src/Tokens.js"
import { tmpDir } from "./support/harness.js"
import { appDir } from "./support/process.js"

const base = {
  tokens: [{ name: "t", sha256: Tokens.hashToken("x"), scopes: ["read"], accounts: ["*"] }],
  accounts: [{ name: "main", baseUrl: "https://fapi.binance.com", apiKeyEnv: "K", apiSecretEnv: "S" }]
}
const resolve = (file: unknown, env: Config.Env, dir = "/") =>
  Effect.runPromise(Effect.either(Effect.flatMap(ConfigFile.decodeFile(file), (f) => Config.resolve(f, env, dir))))

describe("configuration", () => {
  it("accepts the example documented in the README", () => {
    const readme = fs.readFileSync(path.join(appDir, "README.md"), "utf8")
    const example = /### Configuration[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1]!
    const decoded = ConfigFile.decodeFile(JSON.parse(example))
    expect(Either.isRight(decoded)).toBe(true)
  })

  it("names the field of every error", async () => {
    const typo = ConfigFile.decodeFile({ ...base, prot: 1 })
    expect(Either.isLeft(typo) && typo.left.field).toBe("prot")
    const hash = ConfigFile.decodeFile({ ...base, tokens: [{ ...base.tokens[0], sha256: "abc" }] })
    expect(Either.isLeft(hash) && hash.left.text).toContain("tokens[0].sha256")
    const missing = await resolve(base, { K: "key" })
    expect(Either.isLeft(missing) && missing.left.text).toBe("configuration: accounts[0].apiSecretEnv: environment variable S is not set")
    const both = await resolve({ ...base, accounts: [{ ...base.accounts[0], privateKeyFile: "k.pem" }] }, { K: "k", S: "s" })
    expect(Either.isLeft(both) && both.left.field).toBe("accounts[0]")
    const unknown = await resolve({ ...base, tokens: [{ ...base.tokens[0], accounts: ["ghost"] }] }, { K: "k", S: "s" })
    expect(Either.isLeft(unknown) && unknown.left.message).toBe("unknown account ghost")
    const url = await resolve({ ...base, accounts: [{ ...base.accounts[0], baseUrl: "ftp://x" }] }, { K: "k", S: "s" })
    expect(Either.isLeft(url) && url.left.field).toBe("accounts[0].baseUrl")
  })

  it("defaults to loopback and applies environment overrides", async () => {
    const plain = await resolve(base, { K: "k", S: "s" })
    expect(Either.isRight(plain) && plain.right).toMatchObject({ host: "127.0.0.1", port: 7358, logFormat: "logfmt", cacheTtlMs: 2000, audit: { store: "sqlite" } })
    const env = {
      K: "k",
      S: "s",
      MARGINCTL_GATEWAY_PORT: "9000",
      MARGINCTL_GATEWAY_HOST: "0.0.0.0",
      MARGINCTL_GATEWAY_DATA_DIR: "/tmp/gw",
      MARGINCTL_GATEWAY_REDIS_URL: "redis://127.0.0.1:6380",
      MARGINCTL_GATEWAY_POSTGRES_URL: "postgres://u:p@db/audit",
      NODE_ENV: "production"
    }
    const over = await resolve({ ...base, port: 8000 }, env)
    expect(Either.isRight(over)).toBe(true)
    const c = (over as Either.Right<never, Config.GatewayConfigShape>).right
    expect(c).toMatchObject({ host: "0.0.0.0", port: 9000, dataDir: "/tmp/gw", logFormat: "json", instance: expect.stringMatching(/:9000$/) })
    expect(c.redisUrl && Redacted.value(c.redisUrl)).toBe("redis://127.0.0.1:6380")
    expect(c.audit.store).toBe("postgres")
    // Secrets stay redacted when the configuration is printed.
    expect(JSON.stringify(c)).not.toContain("u:p@db")
  })

  it("reads keys from files and decrypts a private key with its passphrase", async () => {
    const dir = tmpDir()
    const { privateKey } = crypto.generateKeyPairSync("ed25519")
    fs.writeFileSync(path.join(dir, "key.pem"), privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "open sesame" }))
    fs.writeFileSync(path.join(dir, "api-key"), "file-api-key\n")
    const file = { ...base, accounts: [{ name: "main", baseUrl: "https://fapi.binance.com", apiKeyFile: "api-key", privateKeyFile: "key.pem", privateKeyPassphraseEnv: "PASS" }] }
    const wrong = await resolve(file, { PASS: "nope" }, dir)
    expect(Either.isLeft(wrong) && wrong.left.message).toContain("could not be decrypted")
    const ok = await resolve(file, { PASS: "open sesame" }, dir)
    const account = (ok as Either.Right<never, Config.GatewayConfigShape>).right.accounts[0]!
    expect(Redacted.value(account.apiKey)).toBe("file-api-key")
    const signer = await Effect.runPromise(Signer.make(account.credentials))
    expect(signer.keyType).toBe("ED25519")
  })
})
