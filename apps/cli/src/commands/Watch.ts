/**
 * `marginctl watch [--symbols A,B] [--json]`: the account's setting changes as they happen, from the
 * core's `UserDataStream`, until Ctrl-C. The first line is the settings as read when the stream
 * connects; after a reconnection, what changed meanwhile is found by comparing the settings read again
 * with what was known. Connection losses and recoveries go to stderr, so stdout holds settings only.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { InvalidInput } from "@marginctl/core/Errors"
import type { AccountSettings, SettingChange, UserDataEvent } from "@marginctl/core/UserDataEvent"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { CliFailure } from "../Failure.js"
import * as Output from "../Output.js"
import { described, parseSymbols, targetLabel, targetOptions, withClient } from "./ExchangeCommand.js"
import * as Lines from "./WatchLines.js"

/**
 * The stream, its events' helpers and Node's WebSocket (the `ws` package): loaded by this command
 * only, so that the other commands do not pay for them at start-up.
 */
const loadStream = Effect.promise(() =>
  Promise.all([
    import("@marginctl/core/UserDataStream"),
    import("@marginctl/core/UserDataEvent"),
    import("@effect/platform-node/NodeSocket")
  ])
)

const ATTEMPTS_MAX = 1000
/** The failed reconnections allowed in a row are counted again once this long has passed since the first. */
const ATTEMPTS_WINDOW = "5 minutes"

const options = {
  ...targetOptions,
  json: Options.boolean("json").pipe(
    Options.withDescription("Print one JSON object per line: {type, symbol, value, time, via} (README, \"watch\").")
  ),
  symbols: Options.text("symbols").pipe(
    Options.withDescription("Only these symbols' margin type and leverage, comma-separated (Multi-Assets Mode is always shown)."),
    Options.optional
  ),
  reconnectAttempts: Options.integer("reconnect-attempts").pipe(
    Options.withDescription(
      `How many reconnections may fail in a row (within ${ATTEMPTS_WINDOW}) before watch gives up with exit code 6 ` +
        `(1 to ${ATTEMPTS_MAX}).`
    ),
    Options.withDefault(10)
  )
}

const parseAttempts = (n: number): Effect.Effect<number, InvalidInput> =>
  Number.isInteger(n) && n >= 1 && n <= ATTEMPTS_MAX
    ? Effect.succeed(n)
    : Effect.fail(new InvalidInput({ field: "reconnect-attempts", accepted: `a whole number from 1 to ${ATTEMPTS_MAX}`, received: String(n) }))

const parseSymbolList = (raw: Option.Option<string>) =>
  Option.match(raw, {
    onNone: () => Effect.succeed(undefined),
    onSome: (list) => Effect.map(parseSymbols(list.split(",")), (symbols) => new Set<string>(symbols))
  })

export const command = Command.make("watch", options, (flags) =>
  Output.run(
    flags.json,
    Effect.gen(function*() {
      const attempts = yield* parseAttempts(flags.reconnectAttempts)
      const only = yield* parseSymbolList(flags.symbols)
      // Ctrl-C is how a watch ends: exit 0 once the stream and its listen key are closed.
      yield* Output.stopIsSuccess
      return yield* withClient(flags, "required", ({ target }) =>
        Effect.gen(function*() {
          const [UserDataStream, Events, NodeSocket] = yield* loadStream
          const known = yield* Ref.make(Option.none<AccountSettings>())
          const everConnected = yield* Ref.make(false)
          const shown = (change: SettingChange) => change._tag === "MultiAssetsChanged" || only === undefined || only.has(change.symbol)
          const show = (change: SettingChange, via: Lines.Via) =>
            shown(change)
              ? Output.stdout(flags.json ? JSON.stringify(Lines.jsonChange(change, via)) : Lines.humanChange(change, via, Events.describeChange))
              : Effect.void
          const first = (settings: AccountSettings, at: number) => {
            const mine = only === undefined ? settings : { ...settings, symbols: settings.symbols.filter((s) => only.has(s.symbol)) }
            const held = new Set<string>(settings.symbols.map((s) => s.symbol))
            const unknown = [...(only ?? [])].filter((s) => !held.has(s))
            return Effect.all([
              Output.stdout(
                flags.json ? JSON.stringify(Lines.jsonSettings(mine, at)) : `${Lines.clock(at)} ${Lines.summary(mine, only !== undefined)}`
              ),
              unknown.length === 0
                ? Effect.void
                : Output.warn(`--symbols: ${unknown.join(", ")} ${unknown.length === 1 ? "is" : "are"} not among the account's symbols`),
              Output.stderr(`Watching ${targetLabel(target)}; stop with Ctrl-C.`)
            ], { discard: true })
          }
          const onEvent = (event: UserDataEvent): Effect.Effect<void> => {
            switch (event._tag) {
              case "Connected":
                return Effect.flatMap(Ref.getAndSet(everConnected, true), (again) =>
                  again ? Output.stderr(`${Lines.clock(event.at)} connected again; reading the settings again`) : Effect.void)
              case "Disconnected":
                return Output.stderr(`${Lines.clock(event.at)} connection lost (${event.reason}); reconnecting`)
              case "Resynced":
                return Effect.flatMap(Ref.getAndSet(known, Option.some(event.settings)), (before) =>
                  Option.isNone(before)
                    ? first(event.settings, event.at)
                    : Effect.forEach(Events.changesBetween(before.value, event.settings, event.at), (c) => show(c, "re-read"), {
                      discard: true
                    }))
              default:
                return Effect.zipRight(Ref.update(known, Option.map((s) => Events.apply(s, event))), show(event, "stream"))
            }
          }
          // A target that cannot be watched at all (wrong URL, no stream) fails at once, like any other command;
          // once connected, the watch reconnects until `attempts` reconnections in a row have failed.
          const reconnect = UserDataStream.RECONNECT_DEFAULT.pipe(
            Schedule.intersect(Schedule.recurs(attempts)),
            Schedule.resetAfter(ATTEMPTS_WINDOW),
            Schedule.checkEffect(() => Ref.get(everConnected))
          )
          yield* Effect.flatMap(UserDataStream.UserDataStream, (s) => Stream.runForEach(s.events, onEvent)).pipe(
            Effect.provide(UserDataStream.UserDataStream.Default({ reconnect })),
            Effect.provide(NodeSocket.layerWebSocketConstructor)
          )
          // The stream only ends by failing; should it ever end otherwise, say so rather than wait forever.
          return yield* new CliFailure({ exitCode: 6, tag: "StreamEnded", code: null, message: "the user-data stream ended", hint: null })
        }))
    })
  )).pipe(
    Command.withDescription(described(
      "Print the account's setting changes (Multi-Assets Mode, margin type, leverage) as they happen, one line each, " +
        "until Ctrl-C (exit 0). The first line is the current settings. A lost connection is reconnected by itself " +
        "(noted on stderr), and what changed meanwhile is found by reading the settings again; if the first connection " +
        "fails, watch exits at once. JSON lines: README.",
      ["marginctl watch --env sim", "marginctl watch --profile main --symbols BTCUSDT,ETHUSDT --json"]
    ))
  )
