/**
 * One account as the popup uses it, whatever is behind it: Binance directly (core's MarginClient in
 * the worker) or the team's gateway (its HttpApi contract). Both answer with core's types (Plan,
 * ProgressEvent) and fail with `UserError`.
 */
import type { DesiredState, Plan, ProgressEvent } from "@marginctl/core/Planner"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { ApplyStarted, DriftSummary, LiveMessage, Overview } from "./Messages.js"
import type { UserError } from "./UserErrors.js"

export interface BackendShape {
  /** Multi-Assets Mode alone (cheapest read). */
  readonly getMode: Effect.Effect<boolean, UserError>
  /** The account's settings (mode, position mode, margin types, leverage): no orders or positions. */
  readonly overview: Effect.Effect<Overview, UserError>
  /** How the account differs from its desired state; null when the backend keeps none (direct, or a gateway without drift). */
  readonly drift: Effect.Effect<DriftSummary | null, UserError>
  /** Plans from a full read of the account (orders, positions, balances): the blockers come from it. */
  readonly plan: (desired: DesiredState) => Effect.Effect<Plan, UserError>
  /** Runs a confirmed plan: `ApplyStarted` first, then core's progress events ending with `Done`. */
  readonly apply: (plan: Plan, desired: DesiredState) => Stream.Stream<ApplyStarted | ProgressEvent, UserError>
  /**
   * The account's setting changes as they happen, wherever they are made, for as long as it is
   * consumed: the settings (`LiveState`) after every connection, then each change (`LiveChange`), and
   * `LiveStatus` when the connection is lost. It does not fail: a failure is its last `LiveStatus`.
   */
  readonly live: Stream.Stream<LiveMessage>
}
