/**
 * The CLI's own failures (no target chosen, missing credentials, a refused confirmation, a blocked
 * plan…) and the exit-code classes every failure maps to.
 */
import * as Data from "effect/Data"

/**
 * 0 done (changed or unchanged), 1 anything else, 2 invalid input, 3 blocked by an exchange rule,
 * 4 rate limited or banned, 5 authentication / signature / clock, 6 network or unknown outcome.
 */
export type ExitClass = 0 | 1 | 2 | 3 | 4 | 5 | 6

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

/** Ends the process with this code once everything has been printed (see `Output.teardown`). */
export class ExitCode extends Data.TaggedError("ExitCode")<{ readonly code: ExitClass }> {}

const EXIT_BY_TAG: Readonly<Record<string, ExitClass>> = {
  InvalidInput: 2,
  DesiredStateRejected: 2,
  InvalidParameter: 2,
  UnknownSymbol: 2,
  ValidationError: 2,
  MarginTypeBlocked: 3,
  MultiAssetsBlocked: 3,
  PositionModeBlocked: 3,
  AccountRejected: 3,
  PlannedBlocker: 3,
  RateLimited: 4,
  IpBanned: 4,
  InvalidSignature: 5,
  InvalidApiKey: 5,
  TimestampOutsideWindow: 5,
  SignerError: 5,
  Transport: 6,
  ExecutionUnknown: 6,
  ServiceUnavailable: 6
}

/** The exit class of an error tag (core error `_tag`, or a step error's `tag`); 1 when unknown. */
export const exitClassOf = (tag: string): ExitClass => EXIT_BY_TAG[tag] ?? 1

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
