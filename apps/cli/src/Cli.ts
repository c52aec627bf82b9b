/** The command tree of `marginctl`, with @effect/cli's built-ins (--help, --version, --completions). */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Effect from "effect/Effect"
import * as Collateral from "./commands/Collateral.js"
import * as MarginType from "./commands/MarginType.js"
import * as MultiAssets from "./commands/MultiAssets.js"
import * as Plan from "./commands/Plan.js"
import * as Sim from "./commands/Sim.js"
import * as Status from "./commands/Status.js"
import * as Time from "./commands/Time.js"
import * as Watch from "./commands/Watch.js"
import { invalid } from "./Failure.js"
import * as Output from "./Output.js"
import { VERSION } from "./Version.js"

const root = Command.make("marginctl", {}, () =>
  Output.run(
    false,
    Effect.fail(invalid(
      "InvalidInput",
      "missing command",
      "see `marginctl --help`; to try it out, start the simulator with `marginctl sim`"
    ))
  )).pipe(
    Command.withDescription(HelpDoc.blocks([
      HelpDoc.p(
        "Read and change Binance USDⓈ-M Futures Multi-Assets Mode and margin types safely, in bulk, without getting " +
          "banned. Nothing is sent unless a target is chosen (--env, --base-url or --profile); production only when asked."
      ),
      HelpDoc.p(
        "Examples:\n  marginctl sim\n  marginctl status --env sim\n  marginctl apply --multi-assets on --env sim\n  marginctl watch --env sim\n" +
          "  marginctl --completions bash > /etc/bash_completion.d/marginctl"
      ),
      HelpDoc.p("Exit codes: 0 done, 1 other, 2 invalid input, 3 blocked by an exchange rule, 4 rate limited or banned, " +
        "5 authentication / signature / clock, 6 network or unknown outcome.")
    ])),
    Command.withSubcommands([
      Status.command,
      MultiAssets.command,
      MarginType.command,
      ...Plan.commands,
      Watch.command,
      Time.command,
      Collateral.command,
      Sim.command
    ])
  )

export const run = Command.run(root, { name: "marginctl", version: VERSION })
