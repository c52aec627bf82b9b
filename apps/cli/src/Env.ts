/**
 * Where the CLI talks to and with which keys. The only module that reads environment variables and
 * the profiles file. Secrets are `Redacted` from the moment they are read; an encrypted private key
 * is decrypted here (node:crypto) and handed on as a PKCS#8 PEM, still `Redacted`.
 *
 * Environment: BINANCE_API_KEY, BINANCE_API_SECRET, BINANCE_PRIVATE_KEY_FILE,
 * BINANCE_PRIVATE_KEY_PASSPHRASE, MARGINCTL_CONFIG (profiles file), MARGINCTL_SIM_URL (`--env sim`).
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Domain from "@marginctl/core/Domain"
import * as EncryptedPem from "@marginctl/core/node/EncryptedPem"
import { InvalidInput } from "@marginctl/core/Errors"
import type * as Signer from "@marginctl/core/Signer"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as os from "node:os"
import * as path from "node:path"
import { CliFailure, invalid } from "./Failure.js"
import * as Profiles from "./Profiles.js"

export type EnvName = Domain.Environment

/** The environment variables marginctl reads; other modules use these names, never their own. */
export const VARS = {
  apiKey: "BINANCE_API_KEY",
  apiSecret: "BINANCE_API_SECRET",
  privateKeyFile: "BINANCE_PRIVATE_KEY_FILE",
  passphrase: "BINANCE_PRIVATE_KEY_PASSPHRASE",
  config: "MARGINCTL_CONFIG",
  simUrl: "MARGINCTL_SIM_URL"
} as const

export const SIM_DEFAULT_URL = "http://127.0.0.1:7357"

/** The target options every exchange command takes. */
export interface TargetFlags {
  readonly env: Option.Option<EnvName>
  readonly baseUrl: Option.Option<string>
  readonly profile: Option.Option<string>
  readonly recvWindow: Option.Option<number>
}

export interface Target {
  /** `sim`, `testnet`, `demo`, `prod`, or `custom` for --base-url. */
  readonly name: string
  readonly baseUrl: string
  readonly recvWindow: number | undefined
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly credentials: Option.Option<Signer.Credentials>
  /** Things the user should know (e.g. a profiles file readable by others). */
  readonly warnings: ReadonlyArray<string>
}

const nonEmpty = (name: string) =>
  Config.option(Config.redacted(name)).pipe(
    Config.map(Option.filter((r) => Redacted.value(r).trim() !== ""))
  )

const text = (name: string) => Config.option(Config.string(name)).pipe(Config.map(Option.filter((s) => s.trim() !== "")))

const readEnv = Effect.orDie(Config.all({
  apiKey: nonEmpty(VARS.apiKey),
  apiSecret: nonEmpty(VARS.apiSecret),
  privateKeyFile: text(VARS.privateKeyFile),
  passphrase: nonEmpty(VARS.passphrase),
  configFile: text(VARS.config),
  simUrl: text(VARS.simUrl)
}))

const NO_TARGET_HINT = "start the local simulator with `marginctl sim` and pass --env sim, or choose an exchange with " +
  "--env testnet|demo|prod, --base-url URL or --profile NAME (marginctl never talks to production unless told to)"

const MISSING_KEYS_HINT = `set ${VARS.apiKey} with ${VARS.apiSecret} (HMAC) or ${VARS.privateKeyFile} (RSA or Ed25519 ` +
  "PEM), or use --profile NAME; `marginctl sim` prints demo credentials for the simulator"

const validUrl = (raw: string, field: string): Effect.Effect<string, InvalidInput> => {
  try {
    const url = new URL(raw)
    if ((url.protocol === "http:" || url.protocol === "https:") && url.search === "" && url.hash === "") {
      return Effect.succeed(url.toString().replace(/\/+$/, ""))
    }
  } catch {
    // reported below
  }
  return Effect.fail(
    new InvalidInput({
      field,
      accepted: "an http:// or https:// URL without query or fragment, e.g. https://testnet.binancefuture.com",
      received: JSON.stringify(raw)
    })
  )
}

const urlOf = (env: EnvName, simUrl: Option.Option<string>): string =>
  env === "sim" ? Option.getOrElse(simUrl, () => SIM_DEFAULT_URL) : Domain.BASE_URLS[env]

/** Reads a PEM private key file; decrypts it with the passphrase when it is encrypted. */
const readPrivateKey = (
  file: string,
  passphrase: Option.Option<Redacted.Redacted<string>>,
  field: string,
  passphraseField: string
): Effect.Effect<Redacted.Redacted<string>, InvalidInput, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const pem = yield* fs.readFileString(file).pipe(
      Effect.mapError(() =>
        new InvalidInput({ field, accepted: "a readable PEM file with an RSA or Ed25519 private key", received: JSON.stringify(file) })
      )
    )
    if (!EncryptedPem.isEncrypted(pem)) return Redacted.make(pem)
    if (Option.isNone(passphrase)) {
      return yield* new InvalidInput({ field: passphraseField, accepted: `the passphrase of the encrypted private key in ${file}` })
    }
    return yield* Either.mapLeft(
      EncryptedPem.decrypt(pem, passphrase.value),
      () => new InvalidInput({ field: passphraseField, accepted: `the passphrase that decrypts ${file} (this one does not)` })
    )
  })

const readProfiles = (file: string, asked: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    fs.readFileString(file).pipe(
      Effect.mapError(() =>
        invalid(
          "NoProfiles",
          `${asked}: cannot read the profiles file ${file}`,
          `create it (see the README, "Profiles") or point ${VARS.config} at it`
        )
      )
    ))

const profilesFileOf = (configFile: Option.Option<string>): string =>
  Option.getOrElse(configFile, () => path.join(os.homedir(), ".config", "marginctl", "profiles.json"))

/** The names of the profiles in the profiles file (what a fleet file's account names and globs match). */
export const profileNames = (asked: string): Effect.Effect<
  { readonly file: string; readonly names: ReadonlyArray<string> },
  InvalidInput | CliFailure,
  FileSystem.FileSystem
> =>
  Effect.gen(function*() {
    const file = profilesFileOf((yield* readEnv).configFile)
    const profiles = yield* Profiles.parse(yield* readProfiles(file, asked), file)
    return { file, names: Object.keys(profiles) }
  })

/** Reads one profile; warns when the file holds secrets and other users can read it. */
const loadProfile = (file: string, name: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* readProfiles(file, `--profile ${JSON.stringify(name)}`)
    const { holdsSecrets, profile } = yield* Profiles.pick(text, file, name)
    const mode = yield* fs.stat(file).pipe(Effect.map((s) => s.mode), Effect.orElseSucceed(() => 0o600))
    const warnings = holdsSecrets && (mode & 0o044) !== 0
      ? [`${file} holds secrets and other users can read it (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`]
      : []
    return { profile, warnings }
  })

/**
 * Resolves the target (URL, keys, recvWindow) from the flags, the profile and the environment.
 * With `keys: "required"` a missing API key or secret fails (exit 2).
 */
export const resolveTarget = (
  flags: TargetFlags,
  keys: "required" | "optional"
): Effect.Effect<Target, InvalidInput | CliFailure, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const env = yield* readEnv
    const profilesFile = profilesFileOf(env.configFile)
    const loaded = Option.isSome(flags.profile)
      ? Option.some(yield* loadProfile(profilesFile, flags.profile.value))
      : Option.none()
    const profile = Option.map(loaded, (l) => l.profile)
    const warnings = Option.match(loaded, { onNone: () => [], onSome: (l) => l.warnings })

    if (Option.isSome(flags.env) && Option.isSome(flags.baseUrl)) {
      return yield* invalid("InvalidInput", "give either --env or --base-url, not both")
    }
    let name: string
    let baseUrl: string
    if (Option.isSome(flags.baseUrl)) {
      name = "custom"
      baseUrl = yield* validUrl(flags.baseUrl.value, "--base-url")
    } else if (Option.isSome(flags.env)) {
      name = flags.env.value
      baseUrl = urlOf(flags.env.value, env.simUrl)
    } else if (Option.isSome(profile) && profile.value.baseUrl !== undefined) {
      name = "custom"
      baseUrl = yield* validUrl(profile.value.baseUrl, `profiles.${Option.getOrElse(flags.profile, () => "")}.baseUrl`)
    } else if (Option.isSome(profile) && profile.value.env !== undefined) {
      name = profile.value.env
      baseUrl = urlOf(profile.value.env, env.simUrl)
    } else {
      return yield* new CliFailure({
        exitCode: 2,
        tag: "NoTarget",
        code: null,
        message: "no exchange chosen",
        hint: NO_TARGET_HINT
      })
    }
    if (name === "sim") baseUrl = yield* validUrl(baseUrl, VARS.simUrl)
    // A base URL that is production is called so (confirmations then say PRODUCTION).
    if (name === "custom" && new URL(baseUrl).host === new URL(Domain.BASE_URLS.prod).host) name = "prod"

    const recvWindow = Option.isSome(flags.recvWindow)
      ? flags.recvWindow.value
      : Option.flatMap(profile, (p) => Option.fromNullable(p.recvWindow)).pipe(Option.getOrUndefined)
    if (recvWindow !== undefined && (!Number.isInteger(recvWindow) || recvWindow < 1 || recvWindow > 60000)) {
      return yield* new InvalidInput({
        field: "recv-window",
        accepted: "a whole number of milliseconds from 1 to 60000",
        received: String(recvWindow)
      })
    }

    const fromProfile = Option.getOrUndefined(profile)
    const profileDir = path.dirname(profilesFile)
    const apiKey = Option.orElse(Option.fromNullable(fromProfile?.apiKey), () => env.apiKey)
    let credentials: Option.Option<Signer.Credentials> = Option.none()
    const passphrase = Option.orElse(Option.fromNullable(fromProfile?.privateKeyPassphrase), () => env.passphrase)
    if (fromProfile?.apiSecret !== undefined) {
      credentials = Option.some({ _tag: "Hmac", secret: fromProfile.apiSecret })
    } else if (fromProfile?.privateKeyFile !== undefined) {
      const file = path.resolve(profileDir, fromProfile.privateKeyFile.replace(/^~(?=\/)/, os.homedir()))
      const field = `profiles.${Option.getOrElse(flags.profile, () => "")}.privateKeyFile`
      credentials = Option.some({ _tag: "PrivateKey", pem: yield* readPrivateKey(file, passphrase, field, "privateKeyPassphrase") })
    } else if (Option.isSome(env.apiSecret) && Option.isSome(env.privateKeyFile)) {
      return yield* invalid(
        "InvalidInput",
        `both ${VARS.apiSecret} and ${VARS.privateKeyFile} are set`,
        "keep only the one that belongs to the API key (HMAC secret, or RSA / Ed25519 private key)"
      )
    } else if (Option.isSome(env.apiSecret)) {
      credentials = Option.some({ _tag: "Hmac", secret: env.apiSecret.value })
    } else if (Option.isSome(env.privateKeyFile)) {
      const file = path.resolve(env.privateKeyFile.value)
      credentials = Option.some({
        _tag: "PrivateKey",
        pem: yield* readPrivateKey(file, passphrase, VARS.privateKeyFile, VARS.passphrase)
      })
    }
    if (keys === "required" && (Option.isNone(apiKey) || Option.isNone(credentials))) {
      const missing = Option.isNone(apiKey) ? "no API key" : "no API secret or private key"
      return yield* new CliFailure({ exitCode: 2, tag: "MissingCredentials", code: null, message: missing, hint: MISSING_KEYS_HINT })
    }
    return { name, baseUrl, recvWindow, apiKey, credentials, warnings }
  })
