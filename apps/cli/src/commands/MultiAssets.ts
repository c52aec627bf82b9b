/** `marginctl multi-assets get|on|off`: read or set Multi-Assets Mode; "already set" is success. */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { invalid } from "../Failure.js"
import * as Output from "../Output.js"
import { described, targetOptions, withClient } from "./ExchangeCommand.js"

const onOff = (on: boolean) => (on ? "on" : "off")

const get = Command.make("get", targetOptions, (flags) =>
  Output.run(
    flags.json,
    withClient(flags, "required", ({ client }) =>
      client.getMultiAssetsMode().pipe(
        Effect.map((on) => Output.report({ multiAssetsMargin: on }, [`Multi-Assets Mode is ${onOff(on)}.`]))
      ))
  )).pipe(
    Command.withDescription(described(
      "Show whether Multi-Assets Mode is on (GET /fapi/v1/accountConfig, weight 5). JSON: {\"multiAssetsMargin\": true|false}.",
      ["marginctl multi-assets get --env sim", "marginctl multi-assets get --profile main --json"]
    ))
  )

const set = (on: boolean) =>
  Command.make(onOff(on), targetOptions, (flags) =>
    Output.run(
      flags.json,
      withClient(flags, "required", ({ client }) =>
        client.setMultiAssetsMode(on).pipe(
          Effect.map((r) => {
            const checked = r.reconciled ? " (Binance's answer was lost; confirmed by re-reading the account)" : ""
            const line = r.outcome === "changed"
              ? `Multi-Assets Mode is now ${onOff(on)}.${checked}`
              : `Multi-Assets Mode was already ${onOff(on)}; nothing changed.${checked}`
            return Output.report({ outcome: r.outcome, multiAssetsMargin: on }, [line])
          })
        ))
    )).pipe(
      Command.withDescription(described(
        `Turn Multi-Assets Mode ${onOff(on)}. Idempotent: if it is already ${onOff(on)}, nothing is sent twice and the ` +
          "exit code is 0. JSON: {\"outcome\": \"changed\"|\"unchanged\", \"multiAssetsMargin\": true|false}.",
        on
          ? ["marginctl multi-assets on --env sim", "marginctl apply --multi-assets on   # also crosses isolated symbols first"]
          : ["marginctl multi-assets off --env testnet --json"]
      ))
    )

export const command = Command.make("multi-assets", {}, () =>
  Output.run(false, Effect.fail(invalid("InvalidInput", "missing subcommand: expected get, on or off", "see `marginctl multi-assets --help`")))).pipe(
    Command.withDescription(described("Read or change Multi-Assets Mode (account-wide).", [
      "marginctl multi-assets get --env sim",
      "marginctl multi-assets off --env sim"
    ])),
    Command.withSubcommands([get, set(true), set(false)])
  )
