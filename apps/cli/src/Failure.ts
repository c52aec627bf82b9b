/**
 * The CLI's own failures (no target chosen, missing credentials, a refused confirmation, a blocked
 * plan…) and the exit-code classes every failure maps to.
 */
import type * as Explain from "@marginctl/core/Explain"
import * as Data from "effect/Data"

/** The exit classes (`Explain.ExitClass`): 0 done, 2 invalid input, 3 blocked, 4 limits, 5 auth, 6 network, 1 other. */
export type ExitClass = Explain.ExitClass

/** A failure the CLI describes itself: what went wrong, and what to do about it. */
export class CliFailure extends Data.TaggedError("CliFailure")<{
  readonly exitCode: ExitClass
  /** Stable name for `--json` (`NoTarget`, `MissingCredentials`, `ConfirmationRequired`, …). */
  readonly tag: string
  /** The Binance error code behind it, if any. */
  readonly code: number | null
  readonly message: string
  readonly hint: string | null
}> {}

export const invalid = (tag: string, message: string, hint: string | null = null): CliFailure =>
  new CliFailure({ exitCode: 2, tag, code: null, message, hint })

/** `plan --detailed-exitcode`: the plan has changes to apply (as Terraform's 2, which marginctl uses for invalid input). */
export const CHANGES_PENDING = 7

/** What the process exits with: an exit class, or 7 for pending changes. */
export type ProcessExit = ExitClass | typeof CHANGES_PENDING

/** Ends the process with this code once everything has been printed (see `Output.teardown`). */
export class ExitCode extends Data.TaggedError("ExitCode")<{ readonly code: ProcessExit }> {}

/**
 * When several results differ, the worst class wins, in this order (worst first):
 * 6 network / unknown outcome, 5 authentication, 4 rate limit, 1 other, 3 blocked, 2 invalid input, 0 done.
 */
export const SEVERITY: ReadonlyArray<ExitClass> = [6, 5, 4, 1, 3, 2, 0]

export const worst = (codes: Iterable<ExitClass>): ExitClass => {
  let best: ExitClass = 0
  for (const c of codes) if (SEVERITY.indexOf(c) < SEVERITY.indexOf(best)) best = c
  return best
}
