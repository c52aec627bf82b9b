/**
 * How `apply` shows its progress: a cli-progress bar on a terminal, one line per finished step when
 * stdout is not a terminal, nothing with --json (the final object says it all). Also the y/N question.
 */
import type * as Planner from "@marginctl/core/Planner"
import * as Effect from "effect/Effect"
import * as readline from "node:readline"
import * as Output from "../Output.js"
import { loadPlanner } from "./ExchangeCommand.js"

export interface Progress {
  readonly onEvent: (event: Planner.ProgressEvent) => Effect.Effect<void>
}

const titleOf = (plan: Planner.Plan, index: number) => plan.steps.find((s) => s.index === index)?.title ?? `step ${index}`

/** `prefix` starts every line (`[main] ` when several accounts are applied at once). */
export const make = (plan: Planner.Plan, mode: "bar" | "lines" | "silent", prefix = ""): Effect.Effect<Progress> =>
  Effect.gen(function*() {
    if (mode === "silent") return { onEvent: () => Effect.void }
    if (mode === "lines") {
      const { describeEvent } = yield* loadPlanner
      return {
        onEvent: (event) => event._tag === "StepFinished" ? Output.stdout(`${prefix}${describeEvent(event, plan)}`) : Effect.void
      }
    }
    const { Presets, SingleBar } = yield* Effect.promise(() => import("cli-progress"))
    const bar = new SingleBar({
      format: "Applying [{bar}] {value}/{total} | {step}",
      hideCursor: true,
      stopOnComplete: false,
      clearOnComplete: false,
      stream: process.stdout
    }, Presets.shades_classic)
    bar.start(plan.steps.length, 0, { step: "" })
    return {
      onEvent: (event) =>
        Effect.sync(() => {
          switch (event._tag) {
            case "StepStarted":
              return bar.update({ step: titleOf(plan, event.index) })
            case "StepFinished":
              return bar.increment(1, { step: `${titleOf(plan, event.index)}: ${event.outcome}` })
            case "Done":
              return bar.stop()
          }
        })
    }
  })

/** Asks on the terminal; anything but y/yes (end of input and Ctrl-C included) is no. */
export const confirm = (question: string): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr })
    let answered = false
    const finish = (yes: boolean) => {
      if (answered) return
      answered = true
      rl.close()
      resume(Effect.succeed(yes))
    }
    rl.question(question, (answer) => finish(/^\s*y(es)?\s*$/i.test(answer)))
    rl.once("close", () => finish(false))
    // Ctrl-C at the question (the terminal is in raw mode while readline reads) means no.
    rl.once("SIGINT", () => finish(false))
    return Effect.sync(() => rl.close())
  })
