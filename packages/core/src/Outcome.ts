/**
 * What a setter reports. Setters are idempotent: "already set" is `unchanged`, not an error.
 */
import * as Schema from "effect/Schema"

export const SetOutcome = Schema.Literal("changed", "unchanged")
export type SetOutcome = typeof SetOutcome.Type

export const SetResult = Schema.Struct({
  outcome: SetOutcome,
  /**
   * True when the answer was lost or ambiguous (503 unknown, timeout, -4067) and the outcome was
   * established by re-reading the account.
   */
  reconciled: Schema.Boolean
})
export type SetResult = typeof SetResult.Type

export const changed: SetResult = { outcome: "changed", reconciled: false }
export const unchanged: SetResult = { outcome: "unchanged", reconciled: false }
