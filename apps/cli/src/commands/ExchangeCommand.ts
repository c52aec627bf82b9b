/**
 * What every exchange command shares: the target and output options, the client for the chosen
 * target, and input parsing that names the field and the accepted values.
 */
import * as Args from "@effect/cli/Args"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import type * as FileSystem from "@effect/platform/FileSystem"
import { BinanceHttp } from "@marginctl/core/BinanceHttp"
import * as Domain from "@marginctl/core/Domain"
import { InvalidInput } from "@marginctl/core/Errors"
import { MarginClient } from "@marginctl/core/MarginClient"
import * as CommandLine from "@marginctl/simulator/CommandLine"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Env from "../Env.js"
import { CliFailure } from "../Failure.js"
import * as Vocabulary from "../Vocabulary.js"
import { clientLayer } from "../MainLive.js"
import * as Output from "../Output.js"

export const targetOptions = {
  env: Options.choice("env", ["prod", "testnet", "demo", "sim"]).pipe(
    Options.withDescription(
      `Exchange to talk to: sim (local simulator, ${Env.SIM_DEFAULT_URL} or $${Env.VARS.simUrl}), testnet, demo or prod. ` +
        "Nothing is sent unless a target is chosen; prod only when given explicitly."
    ),
    Options.optional
  ),
  baseUrl: Options.text("base-url").pipe(
    Options.withDescription("Base URL of a Binance USDⓈ-M Futures API (instead of --env)."),
    Options.optional
  ),
  profile: Options.text("profile").pipe(
    Options.withDescription(`Named profile from $${Env.VARS.config} or ~/.config/marginctl/profiles.json (target and keys).`),
    Options.optional
  ),
  recvWindow: Options.integer("recv-window").pipe(
    Options.withDescription("recvWindow of signed requests in ms, 1 to 60000 (default 5000)."),
    Options.optional
  ),
  json: Options.boolean("json").pipe(Options.withDescription("Print exactly one JSON object on stdout."))
}

export const symbolArgs = Args.text({ name: "SYMBOL" }).pipe(
  Args.withDescription("Futures symbol such as BTCUSDT (any case)."),
  Args.repeated
)

/** A command description: what it does, then examples. */
export const described = (summary: string, examples: ReadonlyArray<string>): HelpDoc.HelpDoc =>
  HelpDoc.blocks([HelpDoc.p(summary), HelpDoc.p(`Examples:\n${examples.map((e) => `  ${e}`).join("\n")}`)])

export interface Ctx {
  readonly client: MarginClient
  readonly http: BinanceHttp
  readonly target: Env.Target
}

const tagOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "_tag" in e ? String((e as { _tag: unknown })._tag) : undefined

/**
 * Runs `f` with the core's client for the target the flags choose. A refused timestamp that survives the core's
 * resync is explained with the measured offset; an unreachable target (or stream) names its URL.
 */
export const withClient = <A, E, R>(
  flags: Env.TargetFlags,
  keys: "required" | "optional",
  f: (ctx: Ctx) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const target = yield* Env.resolveTarget(flags, keys)
    yield* Effect.forEach(target.warnings, Output.warn, { discard: true })
    return yield* withTargetClient(target, clientLayer(target), f)
  })

/** Runs `f` with the client `layer` builds for `target`, its failures explained as `withClient` does. */
export const withTargetClient = <A, E, R, LE>(
  target: Env.Target,
  layer: Layer.Layer<MarginClient | BinanceHttp, LE>,
  f: (ctx: Ctx) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const ctx: Ctx = { client: yield* MarginClient, http: yield* BinanceHttp, target }
    return yield* f(ctx).pipe(Effect.catchAll((e) => explain(ctx, e)))
  }).pipe(Effect.provide(layer))

const explain = <E>(ctx: Ctx, e: E): Effect.Effect<never, E | CliFailure> => {
  const tag = tagOf(e)
  const err = e as { readonly code?: number | null; readonly message?: string }
  if (tag === "TimestampOutsideWindow") {
    return ctx.client.syncClock.pipe(
      Effect.option,
      Effect.flatMap((sample) =>
        Effect.fail(
          new CliFailure({
            exitCode: 5,
            tag,
            code: err.code ?? null,
            message: err.message ?? tag,
            hint: Vocabulary.hint({ _tag: tag, code: err.code }, {
              offsetMs: sample._tag === "Some" ? sample.value.offsetMs : undefined,
              recvWindow: ctx.target.recvWindow
            })
          })
        )
      )
    )
  }
  // No answer from the target, or its user-data stream kept failing: name the target.
  if (tag === "Transport" || tag === "StreamConnectionLost") {
    return Effect.fail(
      new CliFailure({
        exitCode: 6,
        tag,
        code: null,
        message: err.message ?? tag,
        hint: Vocabulary.hint({ _tag: tag }, { host: ctx.target.baseUrl })
      })
    )
  }
  return Effect.fail(e)
}

export const parseMarginType = (raw: string): Effect.Effect<Domain.MarginType, InvalidInput> =>
  Either.match(Schema.decodeUnknownEither(Domain.MarginTypeFromInput)(raw), {
    onLeft: () =>
      Effect.fail(new InvalidInput({ field: "margin type", accepted: Domain.MARGIN_TYPE_ACCEPTED, received: JSON.stringify(raw) })),
    onRight: Effect.succeed
  })

export const parseOnOff = (raw: string, field: string): Effect.Effect<boolean, InvalidInput> =>
  Either.match(Schema.decodeUnknownEither(Domain.OnOffFromInput)(raw), {
    onLeft: () => Effect.fail(new InvalidInput({ field, accepted: Domain.ON_OFF_ACCEPTED, received: JSON.stringify(raw) })),
    onRight: Effect.succeed
  })

/**
 * Parses symbols typed by a person (trimmed, upper-cased), without duplicates. @effect/cli hands an
 * option it does not know to the repeated SYMBOL argument; no symbol starts with "-", so such an
 * argument is refused as the unknown option it is.
 */
export const parseSymbols = (raws: ReadonlyArray<string>): Effect.Effect<Array<Domain.SymbolId>, InvalidInput> =>
  Effect.forEach(raws, (raw) =>
    raw.startsWith("-")
      ? Effect.fail(CommandLine.unknownOption(raw))
      : Either.match(Schema.decodeUnknownEither(Domain.SymbolFromInput)(raw), {
        onLeft: () => Effect.fail(new InvalidInput({ field: "symbol", accepted: Domain.SYMBOL_ACCEPTED, received: JSON.stringify(raw) })),
        onRight: Effect.succeed
      })).pipe(Effect.map((symbols) => [...new Set(symbols)]))

export const parseConcurrency = (n: number): Effect.Effect<number, InvalidInput> =>
  Number.isInteger(n) && n >= 1 && n <= 20
    ? Effect.succeed(n)
    : Effect.fail(new InvalidInput({ field: "concurrency", accepted: "a whole number from 1 to 20", received: String(n) }))

export const concurrencyOption = Options.integer("concurrency").pipe(
  Options.withDescription("How many margin-type changes run at once (1 to 20)."),
  Options.withDefault(5)
)

/** The target in words, for confirmations and headers: `sim (http://127.0.0.1:7357)`. */
export const targetLabel = (t: Env.Target): string =>
  `${t.name === "prod" ? "PRODUCTION" : t.name} (${t.baseUrl})`

export type FS = FileSystem.FileSystem

/**
 * The planner, loaded when a command needs it: its schemas cost start-up time that `multi-assets get`
 * and friends should not pay.
 */
export const loadPlanner = Effect.promise(() => import("@marginctl/core/Planner"))
