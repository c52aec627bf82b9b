/**
 * The `marginctl-gateway` executable: runs the command line (`Cli`) with Node's file system, terminal
 * and console, and exits 0 when done or stopped by SIGINT/SIGTERM, 2 for a refused command line, 1
 * for any other failure (printed as one `error:` line).
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { InvalidInput } from "@marginctl/core/Errors"
import * as CommandLine from "@marginctl/simulator/CommandLine"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Cli from "./Cli.js"
import { ConfigError } from "./ConfigError.js"

const args = process.argv.slice(2)

Cli.run(process.argv).pipe(
  Effect.catchAll((e) =>
    ValidationError.isValidationError(e)
      ? CommandLine.refused(Cli.BIN, CommandLine.refusal(Cli.SPEC, HelpDoc.toAnsiText(e.error), args))
      : e instanceof InvalidInput
      ? CommandLine.refused(Cli.BIN, e)
      : CommandLine.failed(e instanceof ConfigError ? e.text : e.message, e)
  ),
  Effect.catchAllDefect((d) => CommandLine.failed(`unexpected failure: ${d instanceof Error ? d.message : String(d)}`, d)),
  Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer, CommandLine.CliConsole)),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true, teardown: CommandLine.teardown })
)
