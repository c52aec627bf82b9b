/**
 * How the marginctl binaries built on `@effect/cli` (`marginctl-sim`, `marginctl-gateway`) refuse a
 * command line, in the words of `marginctl`: `error: invalid <what>: expected <accepted>; got <value>`
 * (the core's `InvalidInput`), then where to look, and exit code 2.
 *
 * `@effect/cli`'s own parse errors name neither the option nor what it accepts ("Received unknown
 * argument: '--x'", "Invalid subcommand for marginctl-sim - use one of 'serve'", "Expected a value
 * following option: '--port'"): `refusal` turns their text into an `InvalidInput` that does. It works
 * on text so that this module needs nothing beyond `effect` and the core; `marginctl` uses its
 * `unknownOption` too. Node only (stdout, stderr): import it as `@marginctl/simulator/CommandLine`.
 */
import type { Teardown } from "@effect/platform/Runtime"
import { InvalidInput } from "@marginctl/core/Errors"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

/** An option of the command line and what it accepts, e.g. `{ name: "--port", accepted: "a whole number from 0 to 65535" }`. */
export interface OptionSpec {
  readonly name: string
  readonly accepted: string
}

export interface CommandSpec {
  /** The subcommands, in the order --help lists them. */
  readonly commands: ReadonlyArray<string>
  /** Every option taking no value (`--demo`), of any command. */
  readonly flags: ReadonlyArray<string>
  /** Every option taking a value, of any command. */
  readonly options: ReadonlyArray<OptionSpec>
}

const ANSI = /\x1b\[[0-9;]*m/g

const UNKNOWN_OPTION = "an option the command lists in --help (unknown option)"

/** Refuses an argument that looks like an option where a value was expected (`hash-token --bogus`). */
export const unknownOption = (raw: string): InvalidInput =>
  new InvalidInput({ field: "option", accepted: UNKNOWN_OPTION, received: JSON.stringify(raw) })

const words = (names: ReadonlyArray<string>): string =>
  names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`

const optionNamed = (spec: CommandSpec, raw: string): OptionSpec | undefined => {
  const name = raw.includes("=") ? raw.slice(0, raw.indexOf("=")) : raw
  return spec.options.find((o) => o.name === name)
}

/** The refusal of `raw`, an argument that @effect/cli did not expect. */
const unexpected = (spec: CommandSpec, raw: string, where: "command" | "argument"): InvalidInput => {
  const option = optionNamed(spec, raw)
  if (option !== undefined) return new InvalidInput({ field: option.name, accepted: option.accepted, received: "nothing" })
  if (raw.startsWith("-")) return unknownOption(raw)
  return where === "command"
    ? new InvalidInput({ field: "command", accepted: words(spec.commands), received: JSON.stringify(raw) })
    : new InvalidInput({ field: "argument", accepted: "no further argument (see --help)", received: JSON.stringify(raw) })
}

/**
 * Where @effect/cli stopped when it reports an invalid subcommand, which it does for anything it
 * cannot place: the first argument after the options it knows, or the first after a command name.
 */
const mismatchAt = (spec: CommandSpec, args: ReadonlyArray<string>): readonly [string, "command" | "argument"] | undefined => {
  let i = 0
  for (;;) {
    const a = args[i]
    if (a === undefined) return undefined
    const name = a.includes("=") ? a.slice(0, a.indexOf("=")) : a
    if (spec.flags.includes(name) || (a.includes("=") && optionNamed(spec, a) !== undefined)) i += 1
    else if (optionNamed(spec, a) !== undefined && args[i + 1] !== undefined) i += 2
    else if (spec.commands.includes(a)) return args[i + 1] === undefined ? undefined : [args[i + 1]!, "argument"]
    else return [a, "command"]
  }
}

/**
 * The refusal for @effect/cli's parse error, given as its text (`HelpDoc.toAnsiText`), of the
 * arguments `args` (without node and the script).
 */
export const refusal = (spec: CommandSpec, text: string, args: ReadonlyArray<string>): InvalidInput => {
  const message = text.replace(ANSI, "").trim()
  const unknown = /^Received unknown argument: '(.*)'$/s.exec(message)
  if (unknown !== null) return unexpected(spec, unknown[1]!, "argument")
  const missing = /^Expected a value following option: '(.*)'$/s.exec(message)
  if (missing !== null) {
    const option = optionNamed(spec, missing[1]!)
    return new InvalidInput({ field: missing[1]!, accepted: option?.accepted ?? "a value", received: "nothing" })
  }
  if (message.startsWith("Invalid subcommand for")) {
    const at = mismatchAt(spec, args)
    if (at !== undefined) return unexpected(spec, at[0], at[1])
  }
  return new InvalidInput({ field: "command line", accepted: "what --help lists", received: JSON.stringify(message) })
}

const stderr = (lines: ReadonlyArray<string>): Effect.Effect<void> =>
  Effect.sync(() => void process.stderr.write(lines.map((l) => `${l}\n`).join("")))

/** Prints a refusal on stderr, as `marginctl` prints invalid input, and fails with it (exit code 2). */
export const refused = (bin: string, e: InvalidInput): Effect.Effect<never, InvalidInput> =>
  Effect.zipRight(stderr([`error: ${e.message}`, `  See \`${bin} --help\`.`]), Effect.fail(e))

/** Prints any other failure as one `error:` line on stderr and fails with it (exit code 1). */
export const failed = <E>(text: string, e: E): Effect.Effect<never, E> => Effect.zipRight(stderr([`error: ${text}`]), Effect.fail(e))

/** The exit code (for `NodeRuntime.runMain`): 0 done or stopped by a signal, 2 refused input, 1 anything else. */
export const teardown: Teardown = (exit, onExit) => {
  if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return onExit(0)
  const failure = Cause.failureOption(exit.cause)
  onExit(Option.isSome(failure) && failure.value instanceof InvalidInput ? 2 : 1)
}

/**
 * The console for @effect/cli: help and completions without colour codes when stdout is not a
 * terminal; its own parse-error text dropped, since `refusal` prints it again with the option named.
 */
export const CliConsole: Layer.Layer<never> = Layer.unwrapEffect(
  Effect.map(Effect.console, (base) =>
    Console.setConsole({
      ...base,
      log: (...args: ReadonlyArray<unknown>) =>
        base.log(...args.map((a) => (typeof a === "string" && !process.stdout.isTTY ? a.replace(ANSI, "") : a))),
      error: () => Effect.void
    }))
)
