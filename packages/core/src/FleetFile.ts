/**
 * The fleet file: the desired state of many accounts in one YAML or JSON file (README, "Fleet file").
 *
 *   accounts:
 *     main:                     # an account (a CLI profile, a gateway account), or a glob (`bots-*`) over them
 *       multiAssets: on         # on | off | true | false
 *       positionMode: hedge     # one-way | hedge
 *       marginTypes: { "*": CROSSED, BTCUSDT: ISOLATED }
 *       leverage: { "*": 5, BTCUSDT: 10 }
 *
 * A top-level `accounts` key is what tells it apart from the one-account `--file` (the core's
 * DesiredState). `FleetFile` is also what the CLI's fleet.schema.json is generated from. The CLI's
 * `plan`/`apply --file` and the gateway's `fleetFile` read it here.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Domain from "./Domain.js"
import { InvalidInput } from "./Errors.js"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const OnOff = Schema.Union(Schema.Literal("on", "off"), Schema.Boolean).annotations({
  description: "Multi-Assets Mode: on, off, true or false",
  message: () => ({ message: "must be on, off, true or false", override: true })
})

const PositionMode = Schema.Literal("one-way", "hedge").annotations({
  description: "Position mode: one-way or hedge",
  message: () => "must be one-way or hedge"
})

const MarginType = Domain.MarginType.annotations({ message: () => "must be ISOLATED or CROSSED" })

const Leverage = Schema.Int.pipe(Schema.between(1, 125)).annotations({
  description: "Leverage: a whole number from 1 to 125",
  message: () => `must be ${Domain.LEVERAGE_ACCEPTED}`
})

const isSymbol = Schema.is(Domain.SymbolId)

/** `*` (every symbol not named) or a symbol; a refinement, not a union with a literal, which would make `*` required. */
const SymbolKey = Schema.String.pipe(
  Schema.filter((s) => s === "*" || isSymbol(s), {
    description: `"*" (every symbol not named) or a symbol: ${Domain.SYMBOL_ACCEPTED}`,
    message: () => `must be "*" or a symbol (${Domain.SYMBOL_ACCEPTED})`,
    jsonSchema: {}
  })
)

export const FleetAccount = Schema.Struct({
  multiAssets: Schema.optional(OnOff),
  positionMode: Schema.optional(PositionMode),
  marginTypes: Schema.optional(Schema.Record({ key: SymbolKey, value: MarginType })),
  leverage: Schema.optional(Schema.Record({ key: SymbolKey, value: Leverage }))
}).annotations({ identifier: "FleetAccount", description: "One account's desired settings; an absent field is left as it is." })
export type FleetAccount = typeof FleetAccount.Type

export const FleetFile = Schema.Struct({
  accounts: Schema.Record({
    key: Schema.NonEmptyString.annotations({ description: "An account (a CLI profile, a gateway account), or a glob (* and ?) over them" }),
    value: FleetAccount
  })
}).annotations({ identifier: "FleetFile", title: "marginctl fleet file" })
export type FleetFile = typeof FleetFile.Type

const FIELDS_ACCEPTED: Record<number, string> = {
  0: "only accounts",
  2: "only multiAssets, positionMode, marginTypes, leverage"
}

/** Where the names a fleet file's keys match come from: `profile` names of a profiles file, or `account` names of a gateway's configuration. */
export interface Names {
  readonly noun: "profile" | "account"
  readonly names: ReadonlyArray<string>
  /** Where they are defined (a file), for the error. */
  readonly source: string
}

const decode = Schema.decodeUnknownEither(FleetFile, { onExcessProperty: "error", errors: "first" })

const isYamlName = (file: string) => /\.ya?ml$/i.test(file)

/**
 * What a YAML parser gives for a text (the `yaml` package's `parseDocument(text, { uniqueKeys: true })`,
 * which the apps load: the core imports no parser). JSON is YAML: one parser reads both and names the
 * line of a syntax error.
 */
export interface ParsedDocument {
  readonly errors: ReadonlyArray<{ readonly message: string; readonly linePos?: readonly [{ readonly line: number; readonly col: number }, ...ReadonlyArray<unknown>] | undefined }>
  readonly toJS: () => unknown
}

/**
 * Reads `file` with `parse` and, when it is a fleet file, decodes it. `None` for anything else (the
 * one-account format, or a JSON file that does not parse: the one-account reader reports that).
 */
export const load = (
  file: string,
  parse: (text: string) => Effect.Effect<ParsedDocument>
): Effect.Effect<Option.Option<FleetFile>, InvalidInput, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError(() => new InvalidInput({ field: "--file", accepted: "a readable YAML or JSON file", received: JSON.stringify(file) }))
    )
    const doc = yield* parse(text)
    const syntax = doc.errors[0]
    if (syntax !== undefined) {
      if (!isYamlName(file)) return Option.none()
      const line = syntax.linePos?.[0]
      return yield* new InvalidInput({
        field: `${file}${line === undefined ? "" : `: line ${line.line}, column ${line.col}`}`,
        accepted: `valid YAML (${syntax.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")})`
      })
    }
    const json: unknown = doc.toJS()
    const isFleet = typeof json === "object" && json !== null && !Array.isArray(json) && "accounts" in json
    if (!isFleet && !isYamlName(file)) return Option.none()
    return Option.some(yield* decodeFleet(json, file))
  })

/** Decodes a parsed fleet file; the error names the file, the path in it and what is accepted. */
export const decodeFleet = (json: unknown, file: string): Effect.Effect<FleetFile, InvalidInput> =>
  Either.match(decode(json), {
    onRight: Effect.succeed,
    onLeft: (error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      const path = (issue?.path ?? []).map(String)
      const accepted = issue?._tag === "Unexpected"
        ? (FIELDS_ACCEPTED[path.length - 1] ?? issue.message.replace(/^is unexpected, expected: /, ""))
        : issue?._tag === "Missing"
        ? "an accounts key with one entry per profile (README, \"Fleet file\")"
        : (issue?.message ?? "a valid value").replace(/^must be /, "")
      return Effect.fail(new InvalidInput({ field: `${file}: ${path.join(".") || "(top level)"}`, accepted }))
    }
  })

/**
 * A glob over profile names: `*` any run of characters, `?` one character. Hand-written because
 * Node's path.matchesGlob is not in every Node version the CLI supports (>= 20.11), and a name is
 * not a path.
 */
const globMatcher = (pattern: string): (name: string) => boolean => {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")
  const regex = new RegExp(`^${source}$`)
  return (name) => regex.test(name)
}

export interface FleetAccountEntry {
  /** The profile (CLI) or account (gateway) it names. */
  readonly profile: string
  /** The key of the fleet file that names it (the profile itself, or a glob). */
  readonly key: string
  readonly settings: FleetAccount
}

/**
 * The names each key matches. A key that matches none, or a name that two keys match, is refused
 * (which settings would win is not obvious).
 */
export const expand = (fleet: FleetFile, file: string, given: Names): Either.Either<ReadonlyArray<FleetAccountEntry>, InvalidInput> => {
  const { names: profiles, noun, source } = given
  const entries: Array<FleetAccountEntry> = []
  const byProfile = new Map<string, string>()
  for (const [key, settings] of Object.entries(fleet.accounts)) {
    const matches = profiles.filter(globMatcher(key))
    if (matches.length === 0) {
      return Either.left(
        new InvalidInput({
          field: `${file}: accounts.${key}`,
          accepted: profiles.length === 0
            ? `a ${noun} name or glob; ${source} defines no ${noun}`
            : `a ${noun} name or glob matching one of ${profiles.join(", ")} (from ${source})`
        })
      )
    }
    for (const profile of matches) {
      const other = byProfile.get(profile)
      if (other !== undefined) {
        return Either.left(
          new InvalidInput({
            field: `${file}: accounts.${key}`,
            accepted: `each ${noun} named by one key only; ${profile} is also named by accounts.${other}`
          })
        )
      }
      byProfile.set(profile, key)
      entries.push({ profile, key, settings })
    }
  }
  return Either.right(entries)
}

const bySymbol = <A, K extends string>(record: Readonly<Record<string, A>>, field: K) => {
  const { "*": all, ...named } = record
  return {
    ...(all === undefined ? {} : { all }),
    ...(Object.keys(named).length === 0
      ? {}
      : { symbols: Object.entries(named).map(([symbol, value]) => ({ symbol, [field]: value })) })
  }
}

/**
 * One account's settings in the shape of the core's DesiredState (decoded with the core's schema by
 * the caller, so a field the core does not know is refused by name).
 */
export const toDesired = (settings: FleetAccount): Record<string, unknown> => ({
  ...(settings.multiAssets === undefined
    ? {}
    : { multiAssets: settings.multiAssets === true || settings.multiAssets === "on" }),
  ...(settings.positionMode === undefined ? {} : { positionMode: settings.positionMode }),
  ...(settings.marginTypes === undefined ? {} : { marginTypes: bySymbol(settings.marginTypes, "marginType") }),
  ...(settings.leverage === undefined ? {} : { leverage: bySymbol(settings.leverage, "leverage") })
})
