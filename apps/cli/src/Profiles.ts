/**
 * The profiles file's shape and its validation (pure; `Env` reads the file):
 *
 *   { "profiles": { "NAME": { "env" | "baseUrl", "apiKey"?, "apiSecret"? | "privateKeyFile"?,
 *                             "privateKeyPassphrase"?, "recvWindow"? } } }
 *
 * Secret fields decode straight to `Redacted`, and errors about them never show their value.
 */
import * as Domain from "@marginctl/core/Domain"
import { InvalidInput } from "@marginctl/core/Errors"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const Secret = Schema.Redacted(Schema.NonEmptyString)

export const Profile = Schema.Struct({
  env: Schema.optional(Domain.Environment),
  baseUrl: Schema.optional(Schema.String),
  apiKey: Schema.optional(Secret),
  apiSecret: Schema.optional(Secret),
  /** Relative paths are relative to the profiles file; `~/` is the home directory. */
  privateKeyFile: Schema.optional(Schema.NonEmptyString),
  privateKeyPassphrase: Schema.optional(Secret),
  recvWindow: Schema.optional(Schema.Number)
})
export type Profile = typeof Profile.Type

export const ProfilesFile = Schema.Struct({ profiles: Schema.Record({ key: Schema.String, value: Profile }) })

const SECRET_FIELDS = new Set(["apiKey", "apiSecret", "privateKeyPassphrase"])

const decodeFile = Schema.decodeUnknownEither(ProfilesFile, { onExcessProperty: "error", errors: "first" })

/** Parses the file's text; errors name the field (`profiles.NAME.apiSecret`). */
export const parse = (text: string, file: string): Either.Either<Readonly<Record<string, Profile>>, InvalidInput> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Either.left(new InvalidInput({ field: `profiles file ${file}`, accepted: "valid JSON (see the README, \"Profiles\")" }))
  }
  const decoded = decodeFile(json)
  if (Either.isLeft(decoded)) {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]
    const where = (issue?.path ?? []).map(String)
    const last = where[where.length - 1] ?? ""
    const accepted = issue?._tag === "Unexpected"
      ? "only env, baseUrl, apiKey, apiSecret, privateKeyFile, privateKeyPassphrase, recvWindow"
      : SECRET_FIELDS.has(last)
      ? "a non-empty string"
      : (issue?.message ?? "a valid value")
    return Either.left(new InvalidInput({ field: `${file}: ${where.join(".") || "(top level)"}`, accepted }))
  }
  return Either.right(decoded.right.profiles)
}

/** Parses the file's text and picks one profile. */
export const pick = (
  text: string,
  file: string,
  name: string
): Either.Either<{ readonly profile: Profile; readonly holdsSecrets: boolean }, InvalidInput> =>
  Either.flatMap(parse(text, file), (profiles) => pickFrom(profiles, file, name))

const pickFrom = (
  profiles: Readonly<Record<string, Profile>>,
  file: string,
  name: string
): Either.Either<{ readonly profile: Profile; readonly holdsSecrets: boolean }, InvalidInput> => {
  const profile = profiles[name]
  if (profile === undefined) {
    const names = Object.keys(profiles)
    return Either.left(
      new InvalidInput({
        field: "profile",
        accepted: names.length === 0 ? `a profile defined in ${file} (it has none)` : `one of ${names.join(", ")} (from ${file})`,
        received: JSON.stringify(name)
      })
    )
  }
  const at = (field: string) => `profiles.${name}.${field}`
  if (profile.env !== undefined && profile.baseUrl !== undefined) {
    return Either.left(new InvalidInput({ field: at("env"), accepted: "either env or baseUrl, not both" }))
  }
  if (profile.apiSecret !== undefined && profile.privateKeyFile !== undefined) {
    return Either.left(new InvalidInput({ field: at("apiSecret"), accepted: "either apiSecret or privateKeyFile, not both" }))
  }
  const holdsSecrets = Object.values(profiles).some((p) =>
    p.apiKey !== undefined || p.apiSecret !== undefined || p.privateKeyPassphrase !== undefined
  )
  return Either.right({ profile, holdsSecrets })
}
