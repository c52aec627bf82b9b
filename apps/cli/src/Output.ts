/**
 * Everything the CLI prints: results on stdout (short human lines, or exactly one JSON object with
 * `--json`), warnings and human-readable errors on stderr, and the exit code of the process.
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import type * as Teardown from "@effect/platform/Runtime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Explain from "@marginctl/core/Explain"
import { CliFailure, type ExitClass, ExitCode, type ProcessExit } from "./Failure.js"
import * as Vocabulary from "./Vocabulary.js"

const ANSI = /\x1b\[[0-9;]*m/g

/** Removes colour codes (help text) when the stream is not a terminal or NO_COLOR-like output is wanted. */
export const plain = (text: string, stream: NodeJS.WriteStream): string => (stream.isTTY ? text : text.replace(ANSI, ""))

/** No signed URL ever reaches the screen, whatever produced the text. */
const scrub = (text: string): string => text.replace(/signature=[^&\s"']*/gi, "signature=<redacted>")

export const stdout = (line: string): Effect.Effect<void> => Effect.sync(() => void process.stdout.write(`${scrub(line)}\n`))

export const stderr = (line: string): Effect.Effect<void> => Effect.sync(() => void process.stderr.write(`${scrub(line)}\n`))

/** The line `warn` prints, for a caller that cannot run an effect (the logger). */
export const warningLine = (text: string): string => `${scrub(`warning: ${text}`)}\n`

export const warn = (text: string): Effect.Effect<void> => Effect.sync(() => void process.stderr.write(warningLine(text)))

export const isTerminal = (stream: "stdin" | "stdout"): boolean => Boolean(process[stream].isTTY)

/** What a command produced: its JSON object, its human lines, and its exit code (0 when absent). */
export interface Report {
  readonly json: unknown
  readonly human: ReadonlyArray<string>
  readonly exitCode?: ProcessExit | undefined
}

export const report = (json: unknown, human: ReadonlyArray<string>, exitCode?: ProcessExit): Report => ({ json, human, exitCode })

export interface ErrorReport {
  readonly tag: string
  readonly code: number | null
  readonly message: string
  readonly hint: string | null
  readonly exitCode: ExitClass
}

const isTagged = (e: unknown): e is { readonly _tag: string; readonly message?: string } =>
  typeof e === "object" && e !== null && "_tag" in e && typeof (e as { _tag: unknown })._tag === "string"

const describeDefect = (d: unknown): ErrorReport => ({
  tag: "Defect",
  code: null,
  message: `unexpected error${d instanceof Error ? `: ${d.message}` : ""}`.replace(/\?\S*/g, ""),
  hint: "this is a bug in marginctl; please report it with the command you ran",
  exitCode: 1
})

/** Tag, Binance code, message and hint of any failure. */
export const describe = (e: unknown): ErrorReport => {
  if (e instanceof CliFailure) return { tag: e.tag, code: e.code, message: e.message, hint: e.hint, exitCode: e.exitCode }
  if (ValidationError.isValidationError(e)) {
    const message = HelpDoc.toAnsiText(e.error).replace(ANSI, "").trim()
    return { tag: "InvalidInput", code: null, message, hint: "see `marginctl --help`", exitCode: 2 }
  }
  if (!isTagged(e)) return describeDefect(e)
  const tag = e._tag
  const message = typeof e.message === "string" ? e.message : tag
  switch (tag) {
    case "InvalidInput":
      return { tag, code: null, message, hint: null, exitCode: 2 }
    case "DesiredStateRejected":
      return { tag, code: null, message: `desired state rejected: ${message}`, hint: "change the desired state and run again", exitCode: 2 }
    case "CollateralInputError":
      return { tag, code: null, message: `the exchange sent values the collateral math cannot use: ${message}`, hint: null, exitCode: 1 }
  }
  const explained = Explain.explain(e as Explain.Subject, Vocabulary.vocabulary)
  return { tag, code: explained.code, message, hint: explained.fix, exitCode: explained.exitClass }
}

const { sentence } = Explain

/** Human lines for a failure: the hint as a sentence first (what to do), then what Binance said. */
export const humanError = (r: ErrorReport): Array<string> =>
  r.hint === null
    ? [`error: ${r.message}`]
    : r.code === null
    ? [`error: ${r.message}`, `  ${sentence(r.hint)}`]
    : [`error: ${sentence(r.hint)}`, `  (Binance ${r.code}: ${r.message})`]

export const errorJson = (r: ErrorReport) => ({ error: { tag: r.tag, code: r.code, message: r.message, hint: r.hint } })

const printError = (json: boolean, r: ErrorReport): Effect.Effect<never, ExitCode> =>
  Effect.zipRight(
    json ? stdout(JSON.stringify(errorJson(r))) : Effect.forEach(humanError(r), stderr, { discard: true }),
    Effect.fail(new ExitCode({ code: r.exitCode }))
  )

/**
 * Runs a command's body: prints its report (JSON or human) and exits with its code, or prints its
 * failure (JSON on stdout with --json, else on stderr) and exits with the failure's class.
 */
export const run = <E, R>(json: boolean, body: Effect.Effect<Report, E, R>): Effect.Effect<void, ExitCode, R> =>
  body.pipe(
    Effect.flatMap((r) =>
      Effect.zipRight(
        json ? stdout(JSON.stringify(r.json)) : Effect.forEach(r.human, stdout, { discard: true }),
        r.exitCode === undefined || r.exitCode === 0 ? Effect.void : Effect.fail(new ExitCode({ code: r.exitCode }))
      )
    ),
    Effect.catchAll((e): Effect.Effect<never, ExitCode> => (e instanceof ExitCode ? Effect.fail(e) : printError(json, describe(e)))),
    Effect.catchAllDefect((d) => printError(json, describeDefect(d)))
  )

const ENV_CHOICES = ["prod", "testnet", "demo", "sim"]
const NUMERIC_OPTIONS = ["--recv-window", "--concurrency", "--port", "--reconnect-attempts"]

/** Each `--option value` / `--option=value` pair of the command line. */
const optionValues = (argv: ReadonlyArray<string>): Array<readonly [string, string | undefined]> =>
  argv.flatMap((a, i) => {
    if (!a.startsWith("--")) return []
    const eq = a.indexOf("=")
    return [eq === -1 ? [a, argv[i + 1]] as const : [a.slice(0, eq), a.slice(eq + 1)] as const]
  })

/**
 * @effect/cli refuses a bad --env value or a non-numeric number without naming the option
 * ("Expected one of the following cases: …", "'abc' is not a integer"): name it and the value.
 */
export const namedRefusal = (message: string, argv: ReadonlyArray<string>): string | undefined => {
  const pairs = optionValues(argv)
  if (message.startsWith("Expected one of the following cases:")) {
    const env = pairs.find(([o, v]) => o === "--env" && (v === undefined || !ENV_CHOICES.includes(v)))
    if (env !== undefined) return `invalid --env: expected one of ${ENV_CHOICES.join(", ")}; got ${JSON.stringify(env[1] ?? "")}`
  }
  const numeric = /^'(.*)' is not a (integer|float|number)/s.exec(message)
  if (numeric !== null) {
    const option = pairs.find(([o, v]) => NUMERIC_OPTIONS.includes(o) && v === numeric[1])
    if (option !== undefined) return `invalid ${option[0]}: expected a whole number; got ${JSON.stringify(numeric[1])}`
  }
  return undefined
}

/**
 * Failures that reach the top: command-line parse errors (already explained by @effect/cli on
 * stderr, completed with the option's name where @effect/cli leaves it out; with --json also as one
 * JSON object on stdout) exit 2; exit codes pass through.
 */
export const handleCliErrors = (argv: ReadonlyArray<string>) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A | void, ExitCode, R> =>
  Effect.catchAll(self, (e): Effect.Effect<void, ExitCode> => {
    if (e instanceof ExitCode) return Effect.fail(e)
    const r = describe(e)
    if (ValidationError.isValidationError(e)) {
      const named = namedRefusal(r.message, argv)
      const report = named === undefined ? r : { ...r, message: named }
      return Effect.zipRight(
        argv.includes("--json")
          ? stdout(JSON.stringify(errorJson(report)))
          : named === undefined
          ? Effect.void
          : stderr(`error: ${named}`),
        Effect.fail(new ExitCode({ code: 2 }))
      )
    }
    return printError(argv.includes("--json"), r)
  })

let interruptedExitCode = 130

/** `marginctl sim` runs until stopped: a SIGINT/SIGTERM then ends it with 0 instead of 130. */
export const stopIsSuccess: Effect.Effect<void> = Effect.sync(() => {
  interruptedExitCode = 0
})

/** The exit code of the finished program (passed to NodeRuntime.runMain). */
export const teardown: Teardown.Teardown = (exit, onExit) => {
  if (Exit.isSuccess(exit)) return onExit(0)
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure) && failure.value instanceof ExitCode) return onExit(failure.value.code)
  if (Cause.isInterruptedOnly(exit.cause)) return onExit(interruptedExitCode)
  process.stderr.write(`error: unexpected failure\n`)
  onExit(1)
}
