/**
 * `marginctl status`: Multi-Assets Mode, position mode, isolated symbols, open orders and positions,
 * and what would block switching Multi-Assets Mode, from one snapshot of cheap reads
 * (accountConfig, symbolConfig, openOrders, openAlgoOrders, account, exchangeInfo).
 */
import * as Command from "@effect/cli/Command"
import * as Explain from "@marginctl/core/Explain"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Output from "../Output.js"
import * as Vocabulary from "../Vocabulary.js"
import { described, loadPlanner, targetLabel, targetOptions, withClient } from "./ExchangeCommand.js"

const list = (names: ReadonlyArray<string>, max = 8) =>
  names.length === 0 ? "" : ` (${names.slice(0, max).join(", ")}${names.length > max ? `, +${names.length - max} more` : ""})`

export const command = Command.make("status", targetOptions, (flags) =>
  Output.run(
    flags.json,
    withClient(flags, "required", ({ client, target }) =>
      Effect.gen(function*() {
        const snap = yield* client.getAccountSnapshot
        const isolated = snap.symbols.filter((s) => s.marginType === "ISOLATED").map((s) => s.symbol)
        const withOrders = snap.symbols.filter((s) => s.openOrders > 0)
        const withPositions = snap.symbols.filter((s) => s.positionAmt !== 0).map((s) => s.symbol)
        const openOrders = withOrders.reduce((n, s) => n + s.openOrders, 0)
        const to = !snap.multiAssetsMargin
        // The planner knows every rule: plan the switch and keep what would block it.
        const Planner = yield* loadPlanner
        const switchPlan = Planner.plan({ multiAssets: to }, snap)
        const steps = Either.isRight(switchPlan) ? switchPlan.right.steps : []
        const blockers = steps.flatMap((s) => s.blockers)
        const onOff = (b: boolean) => (b ? "on" : "off")
        const json = {
          multiAssetsMargin: snap.multiAssetsMargin,
          positionMode: snap.dualSidePosition ? "hedge" : "one-way",
          symbols: snap.symbols.length,
          isolated: isolated.length,
          isolatedSymbols: isolated,
          openOrders,
          openOrdersBySymbol: Object.fromEntries(withOrders.map((s) => [s.symbol, s.openOrders])),
          positions: withPositions.length,
          positionSymbols: withPositions,
          creditsMode: snap.creditsMode,
          switch: { to: onOff(to), steps: steps.length, blocked: blockers.length > 0, blockers },
          readWeight: snap.readWeight
        }
        const human = [
          `Account on ${targetLabel(target)}`,
          `  Multi-Assets Mode:  ${onOff(snap.multiAssetsMargin)}${snap.creditsMode ? " (Credits Trading Mode)" : ""}`,
          `  Position mode:      ${json.positionMode}`,
          `  Isolated symbols:   ${isolated.length} of ${snap.symbols.length}${list(isolated)}`,
          `  Open orders:        ${openOrders}${list(withOrders.map((s) => `${s.symbol} ${s.openOrders}`))}`,
          `  Open positions:     ${withPositions.length}${list(withPositions)}`,
          blockers.length === 0
            ? `Turning Multi-Assets Mode ${onOff(to)}: nothing blocks it (${steps.length} ${steps.length === 1 ? "step" : "steps"}; ` +
              `\`marginctl apply --multi-assets ${onOff(to)}\`).`
            : `Turning Multi-Assets Mode ${onOff(to)} is blocked:`,
          ...blockers.map((b) => {
            const { fix, what } = Explain.explainBlocker(b, Vocabulary.vocabulary)
            return `  - ${what}; ${fix} (Binance ${b.code})`
          }),
          `(reads cost weight ${snap.readWeight})`
        ]
        return Output.report(json, human)
      }))
  )).pipe(
    Command.withDescription(described(
      "Show Multi-Assets Mode, position mode, isolated symbols, open orders and positions, and what would block " +
        "switching Multi-Assets Mode, with the fix for each blocker. Reads only (about weight 96). JSON shape: README.",
      ["marginctl status --env sim", "marginctl status --profile main --json"]
    ))
  )
