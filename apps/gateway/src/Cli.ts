/**
 * The command line of `marginctl-gateway` (@effect/cli: typed options, --help, --version,
 * --completions). `serve` is the default command, so `marginctl-gateway --demo` and
 * `marginctl-gateway --config FILE` keep working; `hash-token` and `new-token` make the token hashes
 * of the config. Bad input is an `InvalidInput` naming the option (`CommandLine`, exit code 2).
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import { InvalidInput } from "@marginctl/core/Errors"
import * as CommandLine from "@marginctl/simulator/CommandLine"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { serve } from "./Serve.js"
import * as Tokens from "./Tokens.js"

export const BIN = "marginctl-gateway"

const CONFIG_ACCEPTED = "a config file (JSON)"

export const SPEC: CommandLine.CommandSpec = {
  commands: ["serve", "hash-token", "new-token"],
  flags: ["--demo"],
  options: [{ name: "--config", accepted: CONFIG_ACCEPTED }]
}

const serveOptions = {
  config: Options.text("config").pipe(
    Options.withPseudoName("FILE"),
    Options.withDescription("The config file (default: $MARGINCTL_GATEWAY_CONFIG, else ./marginctl-gateway.json)."),
    Options.optional
  ),
  demo: Options.boolean("demo").pipe(
    Options.withDescription("Serve a demo account on an embedded simulator (127.0.0.1:7357 or a free port), with a fresh token.")
  )
}

interface Given {
  readonly config: Option.Option<string>
  readonly demo: boolean
}

const configPathOf = (given: Given): Effect.Effect<string | undefined, InvalidInput> =>
  Option.match(given.config, {
    onNone: () => Effect.succeed(undefined),
    onSome: (file) =>
      file === "" || file.startsWith("-")
        ? Effect.fail(new InvalidInput({ field: "--config", accepted: CONFIG_ACCEPTED, received: JSON.stringify(file) }))
        : given.demo
        ? Effect.fail(new InvalidInput({ field: "--demo", accepted: "no --config (the demo makes its own configuration)", received: `--config ${JSON.stringify(file)}` }))
        : Effect.succeed(file)
  })

const serveGiven = (given: Given) => Effect.flatMap(configPathOf(given), (configPath) => serve({ demo: given.demo, configPath }))

const root = Command.make(BIN, serveOptions)

const serveCommand = Command.make("serve", serveOptions, (after) =>
  Effect.flatMap(root, (before) =>
    serveGiven({ config: Option.orElse(after.config, () => before.config), demo: after.demo || before.demo }))).pipe(
    Command.withDescription(
      "Serve the accounts of the config file until SIGINT/SIGTERM (the default command: `marginctl-gateway --config FILE` is the same)."
    )
  )

const readStdinLine = Effect.promise(() =>
  new Promise<string>((resolve) => {
    let data = ""
    process.stdin.setEncoding("utf8")
    process.stdin.on("data", (c) => (data += c))
    process.stdin.on("end", () => resolve(data.split(/\r?\n/)[0] ?? ""))
  })
)

const TOKEN_ACCEPTED = "a token, as the argument or on the first line of stdin"

const hashTokenCommand = Command.make("hash-token", {
  token: Args.redacted({ name: "TOKEN" }).pipe(
    Args.withDescription("The token (default: the first line of stdin, which keeps it out of the shell's history)."),
    Args.optional
  )
}, ({ token }) =>
  Effect.gen(function*() {
    const given = Option.map(token, Redacted.value)
    if (Option.isSome(given) && given.value.startsWith("-")) return yield* CommandLine.unknownOption(given.value)
    const text = Option.isSome(given) ? given.value : (yield* readStdinLine).trim()
    if (text === "") return yield* new InvalidInput({ field: "TOKEN", accepted: TOKEN_ACCEPTED, received: "nothing" })
    yield* Effect.sync(() => process.stdout.write(`${Tokens.hashToken(text)}\n`))
  })).pipe(Command.withDescription("Print the SHA-256 of a token, as the config's tokens[].sha256 wants it."))

const newTokenCommand = Command.make("new-token", {}, () =>
  Effect.sync(() => {
    const token = Tokens.newToken()
    process.stdout.write(`token: ${token}\nsha256: ${Tokens.hashToken(token)}\n`)
  })).pipe(Command.withDescription("Print a fresh random token and its SHA-256 (the token for the caller, the hash for the config)."))

export const command = root.pipe(
  Command.withHandler(serveGiven),
  Command.withSubcommands([serveCommand, hashTokenCommand, newTokenCommand]),
  Command.withDescription(HelpDoc.blocks([
    HelpDoc.p(
      "An internal HTTP gateway in front of a team's Binance USDⓈ-M accounts: holds the keys, shares one weight budget, " +
        "caches reads, records every change. `serve` is the default command."
    ),
    HelpDoc.p(
      "Examples:\n  marginctl-gateway --demo\n  marginctl-gateway --config gateway.json\n  marginctl-gateway new-token\n" +
        "  printf %s \"$TOKEN\" | marginctl-gateway hash-token\n" +
        "  marginctl-gateway --completions bash > /etc/bash_completion.d/marginctl-gateway"
    ),
    HelpDoc.p("Exit codes: 0 done or stopped by SIGINT/SIGTERM, 1 failed (a bad config file, a port in use…), 2 invalid command line.")
  ]))
)

/** Set by the bundler (build.mjs) from package.json; "0.0.0-dev" when run from source. */
declare const __MARGINCTL_VERSION__: string | undefined

export const run = Command.run(command, { name: BIN, version: typeof __MARGINCTL_VERSION__ === "string" ? __MARGINCTL_VERSION__ : "0.0.0-dev" })
