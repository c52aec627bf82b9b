/**
 * `marginctl-sim`: runs the simulator server until SIGINT/SIGTERM (then exit 0).
 *
 *   marginctl-sim [serve] [--port N] [--host HOST] [--seed FILE] [--admin-token TOKEN]
 *
 * `serve` is the default command, so `marginctl-sim --port 8080` still works. The command line is
 * @effect/cli's (--help, --version, --completions); a bad one is refused as `CommandLine` says (exit 2).
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { InvalidInput } from "@marginctl/core/Errors"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as CommandLine from "./CommandLine.js"
import * as Server from "./Server.js"

const BIN = "marginctl-sim"
const PORT_ACCEPTED = "a whole number from 0 to 65535"

const SPEC: CommandLine.CommandSpec = {
  commands: ["serve"],
  flags: [],
  options: [
    { name: "--port", accepted: PORT_ACCEPTED },
    { name: "--host", accepted: "an address to bind, e.g. 127.0.0.1" },
    { name: "--seed", accepted: "a seed file (JSON)" },
    { name: "--admin-token", accepted: "a bearer token for the /_sim control API" }
  ]
}

const options = {
  port: Options.text("port").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("Port to listen on (0, the default, picks a free one)."),
    Options.optional
  ),
  host: Options.text("host").pipe(
    Options.withPseudoName("HOST"),
    Options.withDescription("Address to bind (default 127.0.0.1: loopback only)."),
    Options.optional
  ),
  seed: Options.text("seed").pipe(
    Options.withPseudoName("FILE"),
    Options.withDescription("Seed file (JSON): accounts, keys, state, config. Default: one demo account."),
    Options.optional
  ),
  adminToken: Options.redacted("admin-token").pipe(
    Options.withPseudoName("TOKEN"),
    Options.withDescription("Bearer token of the /_sim control API (default: generated and printed)."),
    Options.optional
  )
}

interface Given {
  readonly port: Option.Option<string>
  readonly host: Option.Option<string>
  readonly seed: Option.Option<string>
  readonly adminToken: Option.Option<Redacted.Redacted>
}

/** A value given before `serve` counts as well as one given after it (after wins). */
const merge = (before: Given, after: Given): Given => ({
  port: Option.orElse(after.port, () => before.port),
  host: Option.orElse(after.host, () => before.host),
  seed: Option.orElse(after.seed, () => before.seed),
  adminToken: Option.orElse(after.adminToken, () => before.adminToken)
})

const valueOf = (option: string, accepted: string, given: Option.Option<string>): Effect.Effect<string | undefined, InvalidInput> =>
  Option.match(given, {
    onNone: () => Effect.succeed(undefined),
    onSome: (v) =>
      v === "" || v.startsWith("-")
        ? Effect.fail(new InvalidInput({ field: option, accepted, received: JSON.stringify(v) }))
        : Effect.succeed(v)
  })

const portOf = (given: Option.Option<string>): Effect.Effect<number, InvalidInput> =>
  Effect.flatMap(valueOf("--port", PORT_ACCEPTED, given), (v) =>
    v === undefined
      ? Effect.succeed(0)
      : /^\d{1,5}$/.test(v) && Number(v) <= 65535
      ? Effect.succeed(Number(v))
      : Effect.fail(new InvalidInput({ field: "--port", accepted: PORT_ACCEPTED, received: JSON.stringify(v) })))

/** A seed file that cannot be read is refused as bad input; anything else (a port in use…) is a failure to start. */
const startFailure = (e: Error, seedFile: string | undefined): InvalidInput | Error => {
  const code = (e as NodeJS.ErrnoException).code
  return seedFile !== undefined && (e as NodeJS.ErrnoException).path === seedFile
    ? new InvalidInput({ field: "--seed", accepted: "a readable seed file (JSON)", received: `${JSON.stringify(seedFile)} (${code ?? e.message})` })
    : e
}

const serve = (given: Given) =>
  Effect.gen(function*() {
    const port = yield* portOf(given.port)
    const host = (yield* valueOf("--host", SPEC.options[1]!.accepted, given.host)) ?? "127.0.0.1"
    const seedFile = yield* valueOf("--seed", SPEC.options[2]!.accepted, given.seed)
    const adminToken = Option.getOrUndefined(Option.map(given.adminToken, Redacted.value))
    const server = yield* Server.scoped({ port, host, seedFile, adminToken }).pipe(Effect.mapError((e) => startFailure(e, seedFile)))
    const lines = [`simulator listening on ${server.url}`]
    lines.push(adminToken === undefined ? `admin token: ${server.adminToken}` : "admin token: (from --admin-token)")
    if (server.demo !== undefined) {
      lines.push(`demo account: ${server.demo.account}`)
      lines.push(`demo api key: ${server.demo.apiKey}`)
      lines.push(`demo secret:  ${server.demo.secret} (HMAC)`)
    } else if (seedFile !== undefined) {
      lines.push(`accounts from ${seedFile}`)
    }
    lines.push(`user-data stream: ${server.url.replace(/^http/, "ws")}/private/ws?listenKey=<key from POST /fapi/v1/listenKey>`)
    yield* Effect.sync(() => process.stdout.write(`${lines.join("\n")}\n`))
    return yield* Effect.never
  }).pipe(Effect.scoped)

const root = Command.make(BIN, options)

const serveCommand = Command.make("serve", options, (after) => Effect.flatMap(root, (before) => serve(merge(before, after)))).pipe(
  Command.withDescription("Run the simulator until SIGINT/SIGTERM; print its URL, admin token and, without --seed, a demo account.")
)

const command = root.pipe(
  Command.withHandler(serve),
  Command.withSubcommands([serveCommand]),
  Command.withDescription(HelpDoc.blocks([
    HelpDoc.p("A local Binance USDⓈ-M Futures exchange for Multi-Assets Mode and margin type. `serve` is the default command."),
    HelpDoc.p("Examples:\n  marginctl-sim --port 8080\n  marginctl-sim serve --port 0 --seed seed.json --admin-token s3cret\n" +
      "  marginctl-sim --completions bash > /etc/bash_completion.d/marginctl-sim")
  ]))
)

/** Set by the bundler (build.mjs) from package.json; "0.0.0-dev" when run from source. */
declare const __MARGINCTL_VERSION__: string | undefined
const VERSION = typeof __MARGINCTL_VERSION__ === "string" ? __MARGINCTL_VERSION__ : "0.0.0-dev"

const args = process.argv.slice(2)

Command.run(command, { name: BIN, version: VERSION })(process.argv).pipe(
  Effect.catchAll((e) =>
    ValidationError.isValidationError(e)
      ? CommandLine.refused(BIN, CommandLine.refusal(SPEC, HelpDoc.toAnsiText(e.error), args))
      : e instanceof InvalidInput
      ? CommandLine.refused(BIN, e)
      : CommandLine.failed(e.message, e)
  ),
  Effect.catchAllDefect((d) => CommandLine.failed(`unexpected failure: ${d instanceof Error ? d.message : String(d)}`, d)),
  Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer, CommandLine.CliConsole)),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true, teardown: CommandLine.teardown })
)
