/**
 * The popup's and the options page's words for the ways to act that the core's explanations point to
 * (its switches, its pages), and a failure as a `UserError` built from them. Every other word comes
 * from the core (`Explain`).
 */
import * as Explain from "@marginctl/core/Explain"
import type { Plan, StepError } from "@marginctl/core/Planner"
import type { BlockerWords, StepFailed } from "./Messages.js"

export const vocabulary: Explain.Vocabulary = {
  actions: {
    ...Explain.plain.actions,
    reread: " (reopen the popup)",
    target: " and the account's environment or URL in the options page",
    apiKey: " the API key stored in the options page",
    secret: " the secret or private key stored for this account",
    signingKey: ": remove the account in the options page and add it again with a valid secret or private key"
  }
}

/** A failure's title, detail, fix (as a sentence) and kind, in the extension's words. */
export const explain = (subject: Explain.Subject, context: Explain.Context = {}) => {
  const x = Explain.explain(subject, vocabulary, context)
  return {
    kind: x.kind,
    title: x.title,
    detail: x.detail,
    ...(x.fix === null ? {} : { fix: Explain.sentence(x.fix) }),
    ...(x.code === null ? {} : { code: x.code })
  }
}

/** A plan's blocker: what is in the way and the fix, as sentences. */
export const blockerText = (b: Parameters<typeof Explain.explainBlocker>[0]) => {
  const { fix, what } = Explain.explainBlocker(b, vocabulary)
  return { what: `${what} (Binance ${b.code}).`, fix: `Fix: ${Explain.sentence(fix)}` }
}

/** Every blocker of a plan, in words, with its step's index. */
export const planBlockers = (plan: Plan): Array<BlockerWords> =>
  plan.steps.flatMap((step) => step.blockers.map((b) => ({ step: step.index, ...blockerText(b) })))

/** Step `index` of `plan` failed with `error`: what happened and the fix, as the popup shows it. */
export const stepFailed = (plan: Plan, index: number, error: StepError): StepFailed => {
  const step = plan.steps.find((s) => s.index === index)
  const x = explain({ _tag: error.tag, code: error.code, ...(step !== undefined && "symbol" in step ? { symbol: step.symbol } : {}) })
  return {
    _tag: "StepFailed",
    index,
    title: x.title,
    ...(x.fix === undefined ? {} : { fix: x.fix }),
    ...(error.code === null ? {} : { code: error.code })
  }
}
