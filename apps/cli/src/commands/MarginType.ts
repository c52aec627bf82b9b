/**
 * `marginctl margin-type get [SYMBOL…]` and `marginctl margin-type set TYPE SYMBOL…|--all`.
 * `set` reads every symbol's margin type once (weight 5), sends only the changes that are needed,
 * each symbol on its own with bounded concurrency, and reports every symbol; the worst result
 * decides the exit code.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type { MarginType, SymbolId } from "@marginctl/core/Domain"
import * as BinanceCodes from "@marginctl/core/BinanceCodes"
import { MarginTypeBlocked } from "@marginctl/core/Errors"
import * as Explain from "@marginctl/core/Explain"
import * as Effect from "effect/Effect"
import { CliFailure, type ExitClass, invalid, worst } from "../Failure.js"
import * as Output from "../Output.js"
import * as Vocabulary from "../Vocabulary.js"
import {
  concurrencyOption,
  type Ctx,
  described,
  parseConcurrency,
  parseMarginType,
  parseSymbols,
  symbolArgs,
  targetOptions,
  withClient
} from "./ExchangeCommand.js"

const UNKNOWN_SYMBOL = BinanceCodes.codeOf("UnknownSymbol", null)
const MULTI_ASSETS_ON = BinanceCodes.codeOf("MarginTypeBlocked", "multi-assets")

/** The refusal Binance would answer for ISOLATED while Multi-Assets Mode is on, known before sending. */
const multiAssetsOnBlocked = (symbol: string) =>
  new MarginTypeBlocked({ status: 0, code: MULTI_ASSETS_ON, msg: BinanceCodes.messageOf(MULTI_ASSETS_ON), reason: "multi-assets", symbol })

const unknownSymbols = (unknown: ReadonlyArray<string>) =>
  new CliFailure({
    exitCode: 2,
    tag: "UnknownSymbol",
    code: UNKNOWN_SYMBOL,
    message: `unknown ${unknown.length === 1 ? "symbol" : "symbols"}: ${unknown.join(", ")}; nothing was changed`,
    hint: "`marginctl margin-type get` lists the exchange's symbols"
  })

const pad = (s: string, n: number) => s.padEnd(n)

const get = Command.make("get", { ...targetOptions, symbols: symbolArgs }, (flags) =>
  Output.run(
    flags.json,
    Effect.gen(function*() {
      const symbols = yield* parseSymbols(flags.symbols)
      return yield* withClient(flags, "required", ({ client }) =>
        Effect.gen(function*() {
          const all = yield* client.getMarginTypes()
          const known = new Map(all.map((e) => [e.symbol as string, e]))
          const unknown = symbols.filter((s) => !known.has(s))
          if (unknown.length > 0) return yield* unknownSymbols(unknown)
          const entries = symbols.length === 0 ? all : symbols.map((s) => known.get(s)!)
          const isolated = entries.filter((e) => e.marginType === "ISOLATED").length
          const width = Math.max(6, ...entries.map((e) => e.symbol.length)) + 2
          const lines = entries.map((e) => `${pad(e.symbol, width)}${e.marginType}`)
          const summary = symbols.length === 0
            ? [`${entries.length} symbols: ${entries.length - isolated} CROSSED, ${isolated} ISOLATED.`]
            : []
          return Output.report({ symbols: entries.map((e) => ({ symbol: e.symbol, marginType: e.marginType })) }, [
            ...lines,
            ...summary
          ])
        }))
    })
  )).pipe(
    Command.withDescription(described(
      "Show the margin type of the given symbols, or of every symbol (one GET /fapi/v1/symbolConfig, weight 5). " +
        "JSON: {\"symbols\": [{\"symbol\": \"BTCUSDT\", \"marginType\": \"CROSSED\"|\"ISOLATED\"}, …]}.",
      ["marginctl margin-type get --env sim", "marginctl margin-type get btcusdt ETHUSDT --env sim --json"]
    ))
  )

type Outcome = "changed" | "unchanged" | "blocked" | "failed"

interface Result {
  readonly symbol: string
  readonly outcome: Outcome
  readonly reason: string | null
  readonly code: number | null
  readonly exit: ExitClass
}

const failed = (symbol: string, e: Explain.Subject & { readonly message: string }): Result => {
  const explained = Explain.explain({ ...e, _tag: e._tag, symbol }, Vocabulary.vocabulary)
  const outcome = explained.kind === "blocked" ? "blocked" : "failed"
  return { symbol, outcome, reason: explained.fix ?? e.message, code: explained.code, exit: explained.exitClass }
}

const setAll = (ctx: Ctx, type: MarginType, symbols: ReadonlyArray<SymbolId>, all: boolean, concurrency: number) =>
  Effect.gen(function*() {
    const current = yield* ctx.client.getMarginTypes()
    const byName = new Map(current.map((e) => [e.symbol as string, e.marginType]))
    const unknown = symbols.filter((s) => !byName.has(s))
    if (unknown.length > 0) return yield* unknownSymbols(unknown)
    const targets = all ? current.map((e) => e.symbol) : symbols
    const needed = targets.filter((s) => byName.get(s) !== type)
    // Binance refuses ISOLATED while Multi-Assets Mode is on: say so without sending anything.
    const multiAssetsOn = type === "ISOLATED" && needed.length > 0 ? yield* ctx.client.getMultiAssetsMode() : false
    return yield* Effect.forEach(targets, (symbol): Effect.Effect<Result> => {
      if (byName.get(symbol) === type) return Effect.succeed({ symbol, outcome: "unchanged", reason: null, code: null, exit: 0 })
      if (multiAssetsOn) {
        return Effect.succeed(failed(symbol, multiAssetsOnBlocked(symbol)))
      }
      return ctx.client.setMarginType(symbol, type).pipe(
        Effect.match({
          onSuccess: (r): Result => ({ symbol, outcome: r.outcome, reason: null, code: null, exit: 0 }),
          onFailure: (e) => failed(symbol, e)
        })
      )
    }, { concurrency })
  })

const lineOf = (r: Result, type: MarginType): string => {
  switch (r.outcome) {
    case "changed":
      return `${r.symbol}: changed to ${type}`
    case "unchanged":
      return `${r.symbol}: already ${type}`
    default:
      return `${r.symbol}: ${r.outcome}: ${r.reason ?? "unknown error"}${r.code === null ? "" : ` (Binance ${r.code})`}`
  }
}

const set = Command.make("set", {
  ...targetOptions,
  all: Options.boolean("all").pipe(Options.withDescription("Every symbol of the exchange (instead of SYMBOL…).")),
  concurrency: concurrencyOption,
  type: Args.text({ name: "TYPE" }).pipe(Args.withDescription("ISOLATED or CROSSED (also isolated, cross, crossed).")),
  symbols: symbolArgs
}, (flags) =>
  Output.run(
    flags.json,
    Effect.gen(function*() {
      const type = yield* parseMarginType(flags.type)
      const symbols = yield* parseSymbols(flags.symbols)
      const concurrency = yield* parseConcurrency(flags.concurrency)
      if (flags.all && symbols.length > 0) return yield* invalid("InvalidInput", "give SYMBOL… or --all, not both")
      if (!flags.all && symbols.length === 0) {
        return yield* invalid("InvalidInput", "no symbols given", "name one or more symbols, or pass --all for every symbol")
      }
      const results = yield* withClient(flags, "required", (ctx) => setAll(ctx, type, symbols, flags.all, concurrency))
      const count = (o: Outcome) => results.filter((r) => r.outcome === o).length
      const shown = flags.all ? results.filter((r) => r.outcome !== "unchanged") : results
      const summary = `${count("changed")} changed, ${count("unchanged")} unchanged, ${count("blocked")} blocked, ${count("failed")} failed.`
      return Output.report(
        { results: results.map(({ code, outcome, reason, symbol }) => ({ symbol, outcome, reason, code })) },
        [...shown.map((r) => lineOf(r, type)), summary],
        worst(results.map((r) => r.exit))
      )
    })
  )).pipe(
    Command.withDescription(described(
      "Set the margin type of the given symbols, or of every symbol with --all. Idempotent: symbols that already have " +
        "the type are reported unchanged and nothing is sent for them. Each symbol is set on its own; with mixed results " +
        "the worst decides the exit code (6 > 5 > 4 > 1 > 3 > 2 > 0). JSON: {\"results\": [{\"symbol\", \"outcome\": " +
        "\"changed\"|\"unchanged\"|\"blocked\"|\"failed\", \"reason\", \"code\"}, …]}.",
      [
        "marginctl margin-type set ISOLATED BTCUSDT ETHUSDT --env sim",
        "marginctl margin-type set cross --all --env sim --json"
      ]
    ))
  )

export const command = Command.make("margin-type", {}, () =>
  Output.run(false, Effect.fail(invalid("InvalidInput", "missing subcommand: expected get or set", "see `marginctl margin-type --help`")))).pipe(
    Command.withDescription(described("Read or change the margin type (ISOLATED or CROSSED) of symbols.", [
      "marginctl margin-type get BTCUSDT --env sim",
      "marginctl margin-type set CROSSED --all --env sim"
    ])),
    Command.withSubcommands([get, set])
  )
