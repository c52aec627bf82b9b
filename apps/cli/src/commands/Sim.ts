/**
 * `marginctl sim [--port N] [--seed FILE]`: runs the local simulator in the foreground until
 * SIGINT/SIGTERM. The simulator's code is loaded only by this command.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { InvalidInput } from "@marginctl/core/Errors"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { VARS } from "../Env.js"
import { CliFailure } from "../Failure.js"
import * as Output from "../Output.js"
import { described } from "./ExchangeCommand.js"

export const DEFAULT_PORT = 7357

const start = (port: number, seedFile: string | undefined) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => import("@marginctl/simulator/Server").then((m) => m.startServer({ port, seedFile })),
      catch: (e) => {
        const message = e instanceof Error ? e.message : String(e)
        const inUse = /EADDRINUSE/.test(message)
        return new CliFailure({
          exitCode: inUse ? 1 : 2,
          tag: inUse ? "PortInUse" : "InvalidSeed",
          code: null,
          message: inUse ? `port ${port} is already in use` : message,
          hint: inUse ? "another simulator may be running; pick a free port with --port N (0 = any free port)" : null
        })
      }
    }),
    (server) => Effect.promise(() => server.close())
  )

export const command = Command.make("sim", {
  port: Options.integer("port").pipe(
    Options.withDescription(`Port to listen on, on 127.0.0.1 (default ${DEFAULT_PORT}; 0 picks a free one).`),
    Options.withDefault(DEFAULT_PORT)
  ),
  seed: Options.text("seed").pipe(
    Options.withDescription("Seed file (JSON): accounts, keys, balances, positions, orders, config. Default: one demo account."),
    Options.optional
  )
}, (flags) =>
  Output.run(
    false,
    Effect.gen(function*() {
      if (!Number.isInteger(flags.port) || flags.port < 0 || flags.port > 65535) {
        return yield* new InvalidInput({ field: "port", accepted: "a whole number from 0 to 65535", received: String(flags.port) })
      }
      const server = yield* start(flags.port, Option.getOrUndefined(flags.seed))
      const lines = [
        `Simulator (Binance USDⓈ-M Futures, local) listening on ${server.url}`,
        `Control API: ${server.url}/_sim/… with Authorization: Bearer ${server.adminToken}`
      ]
      if (server.demo !== undefined) {
        lines.push(
          `Demo account "${server.demo.account}":`,
          `  API key: ${server.demo.apiKey}`,
          `  Secret:  ${server.demo.secret} (HMAC)`,
          "In another shell:",
          `  export ${VARS.simUrl}=${server.url} ${VARS.apiKey}=${server.demo.apiKey} ${VARS.apiSecret}=${server.demo.secret}`,
          "  marginctl status --env sim"
        )
      } else {
        lines.push(`Accounts from ${Option.getOrElse(flags.seed, () => "the seed")}; use their keys with --env sim.`)
      }
      lines.push("Stop with Ctrl-C.")
      yield* Effect.forEach(lines, Output.stdout, { discard: true })
      yield* Output.stopIsSuccess
      return yield* Effect.never
    }).pipe(Effect.scoped)
  )).pipe(
    Command.withDescription(described(
      `Run the local exchange simulator in the foreground (default port ${DEFAULT_PORT}) and print its URL and demo ` +
        `credentials. Every other command reaches it with --env sim ($${VARS.simUrl} when not on the default port).`,
      ["marginctl sim", "marginctl sim --port 0 --seed accounts.json"]
    ))
  )
