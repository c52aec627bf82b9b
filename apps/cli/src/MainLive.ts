/**
 * The CLI's layers: what @effect/cli needs (file system, path, terminal), a console that drops colour
 * codes when the output is not a terminal, logs on stderr, and — per command, once the target is
 * known — the core's client over Node's HTTP client (node:http: a one-shot process starts faster than
 * with undici, whose parser is WebAssembly) with node:crypto signing.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import type { BinanceConfig } from "@marginctl/core/BinanceConfig"
import type { BinanceHttp } from "@marginctl/core/BinanceHttp"
import * as Client from "@marginctl/core/Client"
import * as NodeSigner from "@marginctl/core/node/NodeSigner"
import { InvalidInput } from "@marginctl/core/Errors"
import type { MarginClient } from "@marginctl/core/MarginClient"
import * as Signer from "@marginctl/core/Signer"
import * as WeightBudget from "@marginctl/core/WeightBudget"
import * as Arr from "effect/Array"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { type Target, VARS } from "./Env.js"
import * as Output from "./Output.js"

const strip = (args: ReadonlyArray<unknown>, stream: NodeJS.WriteStream) =>
  args.map((a) => (typeof a === "string" ? Output.plain(a, stream) : a))

/** Help and parse errors from @effect/cli without colour codes when piped. */
const PlainConsole = Layer.unwrapEffect(
  Effect.map(Effect.console, (base) =>
    Console.setConsole({
      ...base,
      log: (...args: ReadonlyArray<unknown>) => base.log(...strip(args, process.stdout)),
      error: (...args: ReadonlyArray<unknown>) => base.error(...strip(args, process.stderr))
    }))
)

/**
 * Logs go to stderr, so stdout stays one JSON object with --json: warnings (the core's, such as a 429
 * being waited out) as `warning: …` lines like the CLI's own, the rest (`--log-level debug`) as logfmt.
 */
const logfmt = Logger.withConsoleError(Logger.logfmtLogger)
const StderrLogger = Logger.replace(
  Logger.defaultLogger,
  Logger.make((options) =>
    options.logLevel._tag === "Warning"
      ? void process.stderr.write(Output.warningLine(Arr.ensure(options.message).map(String).join(" ")))
      : logfmt.log(options)
  )
)

export const MainLive = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer, PlainConsole, StderrLogger)

/** Unsigned calls (`marginctl time`) still build a signer; this placeholder never signs anything. */
const NO_KEY = Redacted.make("none")

/** The core's option names as the CLI's user knows them. */
const CLI_NAMES: Record<string, string> = {
  target: "--base-url",
  apiKey: VARS.apiKey,
  secret: VARS.apiSecret,
  privateKey: VARS.privateKeyFile,
  passphrase: VARS.passphrase,
  recvWindow: "--recv-window"
}

const optionsOf = (target: Target): Client.Options => ({
  target: target.baseUrl,
  apiKey: Option.getOrElse(target.apiKey, () => NO_KEY),
  ...Client.credentialOptions(Option.getOrElse(target.credentials, () => Signer.hmac(NO_KEY))),
  recvWindow: target.recvWindow,
  // A person at a terminal: a 429 is waited out as Binance asks (the core logs a warning first).
  onRateLimited: "wait"
})

const named = <A, R>(layer: Layer.Layer<A, InvalidInput, R>) =>
  layer.pipe(Layer.mapError((e) => new InvalidInput({ ...e, field: CLI_NAMES[e.field] ?? e.field })))

const nodeServices = Layer.merge(NodeHttpClient.layer, NodeSigner.layerMaker)

/**
 * The core's client for one target (its own weight budget and server clock), over Node's HTTP client,
 * with its configuration (what `watch`'s user-data stream connects with).
 */
export const clientLayer = (target: Target): Layer.Layer<MarginClient | BinanceHttp | BinanceConfig, InvalidInput> =>
  named(Client.layer(optionsOf(target))).pipe(Layer.provide(nodeServices))

/** The same client using a weight budget that other clients on the same upstream share (a fleet file's accounts). */
export const sharedBudgetClientLayer = (
  target: Target,
  budget: WeightBudget.WeightBudgetShape
): Layer.Layer<MarginClient | BinanceHttp | BinanceConfig, InvalidInput> =>
  named(Client.layerSharedBudget(optionsOf(target))).pipe(
    Layer.provide(Layer.merge(nodeServices, Layer.succeed(WeightBudget.WeightBudget, budget)))
  )
