/**
 * Where configuration values come from besides the file: files and environment variables it names.
 * An account's keys are read from them here (never from the file itself) and wrapped in `Redacted`
 * at once; an encrypted private key is decrypted with its passphrase.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as path from "node:path"
import * as EncryptedPem from "@marginctl/core/node/EncryptedPem"
import * as Signer from "@marginctl/core/Signer"
import type { AccountConfig, Env } from "./Config.js"
import { ConfigError } from "./ConfigError.js"
import type { ConfigFile } from "./ConfigFile.js"

const fail = (field: string, message: string) => Effect.fail(new ConfigError({ field, message }))

/** The text of a file named in the configuration (relative to `baseDir`). */
export const readText = (file: string, field: string, baseDir: string) =>
  Effect.try({
    try: () => fs.readFileSync(path.resolve(baseDir, file), "utf8"),
    catch: (e) => new ConfigError({ field, message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}` })
  })

/** The value of an environment variable named in the configuration; unset or blank is an error. */
export const fromEnv = (env: Env, name: string, field: string) => {
  const v = env[name]
  return v === undefined || v.trim() === "" ? fail(field, `environment variable ${name} is not set`) : Effect.succeed(v.trim())
}

const secretOf = (
  env: Env,
  baseDir: string,
  prefix: string,
  envName: string | undefined,
  file: string | undefined,
  what: string
): Effect.Effect<string | undefined, ConfigError> => {
  if (envName !== undefined && file !== undefined) return fail(`${prefix}`, `give ${what}Env or ${what}File, not both`)
  if (envName !== undefined) return fromEnv(env, envName, `${prefix}.${what}Env`)
  if (file !== undefined) return Effect.map(readText(file, `${prefix}.${what}File`, baseDir), (t) => t.trim())
  return Effect.succeed(undefined)
}

const upstreamKeyOf = (baseUrl: string, egress: string | undefined) => `${new URL(baseUrl).origin}|${egress ?? "default"}`

/** An account of the file with its keys read and wrapped in `Redacted`. */
export const resolveAccount = (a: ConfigFile["accounts"][number], i: number, env: Env, baseDir: string) =>
  Effect.gen(function*() {
    const at = `accounts[${i}]`
    let url: URL
    try {
      url = new URL(a.baseUrl)
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error()
    } catch {
      return yield* fail(`${at}.baseUrl`, "must be an http:// or https:// URL, e.g. https://fapi.binance.com")
    }
    const apiKey = yield* secretOf(env, baseDir, at, a.apiKeyEnv, a.apiKeyFile, "apiKey")
    if (apiKey === undefined) return yield* fail(at, "needs apiKeyEnv or apiKeyFile")
    const secret = yield* secretOf(env, baseDir, at, a.apiSecretEnv, a.apiSecretFile, "apiSecret")
    let credentials: Signer.Credentials
    if (secret !== undefined) {
      if (a.privateKeyFile !== undefined) return yield* fail(at, "give an API secret or a private key file, not both")
      credentials = Signer.hmac(Redacted.make(secret))
    } else if (a.privateKeyFile !== undefined) {
      const pem = yield* readText(a.privateKeyFile, `${at}.privateKeyFile`, baseDir)
      const passphrase = a.privateKeyPassphraseEnv === undefined
        ? undefined
        : yield* fromEnv(env, a.privateKeyPassphraseEnv, `${at}.privateKeyPassphraseEnv`)
      credentials = Signer.privateKey(Redacted.make(yield* decryptPem(pem, passphrase, `${at}.privateKeyFile`)))
    } else {
      return yield* fail(at, "needs apiSecretEnv, apiSecretFile or privateKeyFile")
    }
    return {
      name: a.name,
      baseUrl: url.origin + url.pathname.replace(/\/+$/, ""),
      apiKey: Redacted.make(apiKey),
      credentials,
      recvWindow: a.recvWindow,
      upstreamKey: upstreamKeyOf(a.baseUrl, a.egressIp),
      websocketUrl: a.websocketUrl,
      reconcile: a.reconcile ?? "off",
      policy: a.policy ?? {}
    } satisfies AccountConfig
  })

/** An encrypted PEM is decrypted with its passphrase into the PKCS#8 the core's signer imports. */
const decryptPem = (pem: string, passphrase: string | undefined, field: string) =>
  !EncryptedPem.isEncrypted(pem)
    ? Effect.succeed(pem)
    : passphrase === undefined
    ? fail(field, "the private key is encrypted and could not be decrypted: give its passphrase in privateKeyPassphraseEnv")
    : Either.match(EncryptedPem.decrypt(pem, Redacted.make(passphrase)), {
      onLeft: () => fail(field, "the private key could not be decrypted (wrong passphrase?)"),
      onRight: (key) => Effect.succeed(Redacted.value(key))
    })
