/**
 * The desired state of `plan` and `apply`, from flags (`--multi-assets on|off`, `--margin-type TYPE
 * SYMBOL…|--all`) or from a JSON file with the core's DesiredState shape (`--file desired.json`):
 *
 *   { "multiAssets": false,
 *     "marginTypes": { "all": "CROSSED", "symbols": [{ "symbol": "BTCUSDT", "marginType": "ISOLATED" }] } }
 */
import type * as Args from "@effect/cli/Args"
import * as Options from "@effect/cli/Options"
import * as FileSystem from "@effect/platform/FileSystem"
import { InvalidInput } from "@marginctl/core/Errors"
import type * as Planner from "@marginctl/core/Planner"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { invalid } from "../Failure.js"
import { loadPlanner, parseMarginType, parseOnOff, parseSymbols, symbolArgs } from "./ExchangeCommand.js"

export const desiredOptions = {
  multiAssets: Options.text("multi-assets").pipe(
    Options.withDescription("Desired Multi-Assets Mode: on or off."),
    Options.optional
  ),
  marginType: Options.text("margin-type").pipe(
    Options.withDescription("Desired margin type (ISOLATED or CROSSED) of the SYMBOLs given, or of every symbol with --all."),
    Options.optional
  ),
  all: Options.boolean("all").pipe(Options.withDescription("--margin-type applies to every symbol.")),
  file: Options.text("file").pipe(
    Options.withDescription(
      "JSON file with the desired state (shape: README, \"Desired state file\"), instead of the flags; or a fleet file " +
        "(YAML or JSON with a top-level \"accounts\" key: README, \"Fleet file\") for many accounts at once."
    ),
    Options.optional
  ),
  symbols: symbolArgs as Args.Args<Array<string>>
}

export interface DesiredFlags {
  readonly multiAssets: Option.Option<string>
  readonly marginType: Option.Option<string>
  readonly all: boolean
  readonly file: Option.Option<string>
  readonly symbols: ReadonlyArray<string>
}

const fromFile = (file: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError(() => new InvalidInput({ field: "--file", accepted: "a readable JSON file", received: JSON.stringify(file) }))
    )
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return yield* new InvalidInput({ field: `--file ${file}`, accepted: "valid JSON with the desired state (README, \"Desired state file\")" })
    }
    const { DesiredState } = yield* loadPlanner
    const decoded = Schema.decodeUnknownEither(DesiredState, { onExcessProperty: "error", errors: "first" })(json)
    if (Either.isRight(decoded)) return decoded.right
    const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]
    const where = (issue?.path ?? []).map(String).join(".") || "(top level)"
    return yield* new InvalidInput({
      field: `${file}: ${where}`,
      accepted: issue?._tag === "Unexpected"
        ? "only multiAssets, positionMode, marginTypes { all, symbols: [{ symbol, marginType }] }, leverage { all, symbols: [{ symbol, leverage }] }"
        : (issue?.message ?? "a valid value")
    })
  })

/** Whether the desired state is (also) given with flags. */
export const usesDesiredFlags = (flags: DesiredFlags): boolean =>
  Option.isSome(flags.multiAssets) || Option.isSome(flags.marginType) || flags.all || flags.symbols.length > 0

/** The desired state the flags (or the file) describe, checked for contradictions. */
export const resolveDesired = (flags: DesiredFlags) =>
  Effect.gen(function*() {
    const usesFlags = usesDesiredFlags(flags)
    let desired: Planner.DesiredState
    if (Option.isSome(flags.file)) {
      if (usesFlags) return yield* invalid("InvalidInput", "give the desired state with --file or with flags, not both")
      desired = yield* fromFile(flags.file.value)
    } else {
      const multiAssets = Option.isSome(flags.multiAssets)
        ? yield* parseOnOff(flags.multiAssets.value, "--multi-assets")
        : undefined
      const symbols = yield* parseSymbols(flags.symbols)
      let marginTypes: Planner.DesiredMarginTypes | undefined
      if (Option.isSome(flags.marginType)) {
        const type = yield* parseMarginType(flags.marginType.value)
        if (flags.all && symbols.length > 0) return yield* invalid("InvalidInput", "give SYMBOL… or --all with --margin-type, not both")
        if (!flags.all && symbols.length === 0) {
          return yield* invalid("InvalidInput", "--margin-type needs symbols", "name the symbols after it, or pass --all")
        }
        marginTypes = flags.all ? { all: type } : { symbols: symbols.map((symbol) => ({ symbol, marginType: type })) }
      } else if (flags.all || symbols.length > 0) {
        return yield* invalid("InvalidInput", "symbols and --all need --margin-type ISOLATED|CROSSED")
      }
      desired = { ...(multiAssets === undefined ? {} : { multiAssets }), ...(marginTypes === undefined ? {} : { marginTypes }) }
    }
    if (desired.multiAssets === undefined && desired.marginTypes === undefined) {
      return yield* invalid(
        "InvalidInput",
        "no desired state given",
        "pass --multi-assets on|off, --margin-type TYPE SYMBOL…|--all, or --file desired.json"
      )
    }
    return yield* (yield* loadPlanner).validateDesired(desired)
  })
