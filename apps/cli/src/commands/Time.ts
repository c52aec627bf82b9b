/** `marginctl time`: the server time offset, measured with round-trip correction, and which side is off. */
import * as Command from "@effect/cli/Command"
import * as ServerClock from "@marginctl/core/ServerClock"
import * as Effect from "effect/Effect"
import * as Output from "../Output.js"
import { described, targetOptions, withClient } from "./ExchangeCommand.js"

const grouped = (n: number) => Math.round(n).toLocaleString("en-US")

export const command = Command.make("time", targetOptions, (flags) =>
  Output.run(
    flags.json,
    withClient(flags, "optional", ({ client }) =>
      Effect.map(client.syncClock, (sample) => {
        const { side, text } = ServerClock.describeOffset(sample.offsetMs)
        const serverTime = sample.measuredAt + sample.offsetMs
        const off = side !== "in-sync"
        return Output.report(
          { serverTime, localTime: sample.measuredAt, offsetMs: sample.offsetMs, rttMs: sample.rttMs, side, text },
          [
            `Server time: ${new Date(serverTime).toISOString()}`,
            `${text.charAt(0).toUpperCase()}${text.slice(1)}; measured over a ${grouped(sample.rttMs)} ms round trip, ` +
            `so accurate to ±${grouped(Math.ceil(sample.rttMs / 2))} ms.`,
            ...(off
              ? [
                "marginctl corrects every signed request for this offset. Binance refuses timestamps more than 1,000 ms " +
                "ahead of its clock or older than the receive window, so other tools may fail: sync this machine's clock " +
                "(e.g. `timedatectl set-ntp true`)."
              ]
              : [])
          ]
        )
      }))
  )).pipe(
    Command.withDescription(described(
      "Measure the offset between this machine's clock and the exchange's (GET /fapi/v1/time, weight 1, corrected by " +
        "half the round trip) and say which side is off. Needs no API key. JSON: {\"serverTime\", \"localTime\", " +
        "\"offsetMs\", \"rttMs\", \"side\": \"in-sync\"|\"local-behind\"|\"local-ahead\", \"text\"}.",
      ["marginctl time --env sim", "marginctl time --env prod --json"]
    ))
  )
