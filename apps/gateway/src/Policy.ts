/**
 * An account's policy: rules set in the gateway's configuration (`accounts[].policy`) that every change
 * and every desired state of the account must keep, whoever sends them — a single write, a job, a
 * stored desired state, an automatic reconcile. A desired state or change that breaks one is refused
 * with 409 `PolicyViolation` naming the rule.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { MarginType, PositionMode } from "@marginctl/core/Domain"
import type { DesiredState } from "@marginctl/core/Planner"
import { PolicyViolation } from "@marginctl/gateway-api/Errors"

export const Policy = Schema.Struct({
  /** The highest leverage any symbol may be set to. */
  maxLeverage: Schema.optional(Schema.Int.pipe(Schema.between(1, 125))),
  /** The margin types symbols may be set to. */
  marginTypes: Schema.optional(Schema.Array(MarginType).pipe(Schema.minItems(1))),
  /** The only Multi-Assets value allowed. */
  multiAssets: Schema.optional(Schema.Boolean),
  /** The only position mode allowed. */
  positionMode: Schema.optional(PositionMode)
})
export type Policy = typeof Policy.Type

/** The leverages a desired state asks for, each with what it applies to. */
const leveragesOf = (desired: DesiredState): ReadonlyArray<readonly [string, number]> => [
  ...(desired.leverage?.all === undefined ? [] : [["every symbol", desired.leverage.all] as const]),
  ...(desired.leverage?.symbols ?? []).map((s) => [s.symbol, s.leverage] as const)
]

/** The desired state if it keeps the policy, else the violation naming the rule. */
export const check = (policy: Policy, desired: DesiredState): Either.Either<DesiredState, PolicyViolation> => {
  const refuse = (rule: string, message: string) => Either.left(new PolicyViolation({ rule, message: `the account's policy refuses it: ${message}` }))
  if (policy.multiAssets !== undefined && desired.multiAssets !== undefined && desired.multiAssets !== policy.multiAssets) {
    return refuse("multiAssets", `Multi-Assets Mode must stay ${policy.multiAssets ? "on" : "off"}`)
  }
  if (policy.positionMode !== undefined && desired.positionMode !== undefined && desired.positionMode !== policy.positionMode) {
    return refuse("positionMode", `the position mode must stay ${policy.positionMode}`)
  }
  if (policy.marginTypes !== undefined) {
    const allowed = policy.marginTypes
    const asked = [
      ...(desired.marginTypes?.all === undefined ? [] : [["every symbol", desired.marginTypes.all] as const]),
      ...(desired.marginTypes?.symbols ?? []).map((s) => [s.symbol, s.marginType] as const)
    ]
    const bad = asked.find(([, type]) => !allowed.includes(type))
    if (bad !== undefined) return refuse("marginTypes", `${bad[0]} cannot be ${bad[1]} (allowed: ${allowed.join(", ")})`)
  }
  if (policy.maxLeverage !== undefined) {
    const bad = leveragesOf(desired).find(([, l]) => l > policy.maxLeverage!)
    if (bad !== undefined) return refuse("maxLeverage", `leverage ${bad[1]}x for ${bad[0]} is over the maximum of ${policy.maxLeverage}x`)
  }
  return Either.right(desired)
}
