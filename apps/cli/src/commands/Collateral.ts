/**
 * `marginctl collateral`: what the futures wallet is worth as Multi-Assets collateral (after haircuts),
 * the margin balance in each mode, and whether auto-exchange would run and what it would sell.
 */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Output from "../Output.js"
import { described, targetOptions, withClient } from "./ExchangeCommand.js"

export const command = Command.make("collateral", targetOptions, (flags) =>
  Output.run(
    flags.json,
    withClient(flags, "required", (ctx) =>
      Effect.flatMap(Effect.promise(() => import("./CollateralReport.js")), (m) => m.report(ctx)))
  )).pipe(
    Command.withDescription(described(
      "Show the wallet's collateral value after haircuts, the margin balance in Single-Asset and in Multi-Assets mode, " +
        "and whether auto-exchange would run and how much collateral it would sell (deficit ÷ (1 − haircut)). Reads " +
        "only. JSON shape: README.",
      ["marginctl collateral --env sim", "marginctl collateral --env sim --json"]
    ))
  )
