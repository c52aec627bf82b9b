/**
 * Audited writes, shared by the single-setting endpoints and apply jobs: the audit row is written
 * before the upstream call (`started`) and completed after it with the outcome, the state after and
 * Binance's code; an interrupted call (shutdown) is recorded as `interrupted`. The cache entries the
 * write touches are invalidated whatever the outcome. A store that does not answer fails the change
 * before it is sent (StoreUnavailable).
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { isDualSide, type MarginType, type PositionMode, type SymbolId } from "@marginctl/core/Domain"
import type { BinanceError } from "@marginctl/core/Errors"
import * as Explain from "@marginctl/core/Explain"
import type { SetResult } from "@marginctl/core/Outcome"
import type { AuditAction } from "@marginctl/gateway-api/Audit"
import type { StoreUnavailable } from "@marginctl/gateway-api/Errors"
import type { AccountRuntime } from "./Accounts.js"
import { type AuditFinish, AuditStore } from "./AuditStore.js"
import { untilStored } from "./audit/Unavailable.js"
import { Metrics } from "./Metrics.js"
import { keys, ReadCache } from "./ReadCache.js"
import { requests } from "./SettingChanges.js"

export interface Who {
  /** Token name. */
  readonly token: string
  readonly jobId: string | null
}

/** The outcome of a change, with the id of its audit row. */
export interface Applied extends SetResult {
  readonly auditId: number
}

export interface ChangesShape {
  readonly setMultiAssets: (account: AccountRuntime, on: boolean, who: Who, before: boolean | null) => Effect.Effect<Applied, BinanceError | StoreUnavailable>
  readonly setMarginType: (
    account: AccountRuntime,
    symbol: SymbolId,
    marginType: MarginType,
    who: Who,
    before: MarginType | null
  ) => Effect.Effect<Applied, BinanceError | StoreUnavailable>
  readonly setPositionMode: (
    account: AccountRuntime,
    mode: PositionMode,
    who: Who,
    before: PositionMode | null
  ) => Effect.Effect<Applied, BinanceError | StoreUnavailable>
  /** `before` is the leverage the caller saw; the core's setter compares with it (Binance answers alike either way). */
  readonly setLeverage: (
    account: AccountRuntime,
    symbol: SymbolId,
    leverage: number,
    who: Who,
    before: number | null
  ) => Effect.Effect<Applied, BinanceError | StoreUnavailable>
}

export class Changes extends Context.Tag("@marginctl/gateway/Changes")<Changes, ChangesShape>() {}

/** The audit outcome of a failed call, by the kind of failure the core says it is. */
const outcomeOf = (e: BinanceError): AuditFinish["outcome"] => {
  const kind = Explain.kindOf(e._tag)
  return kind === "blocked"
    ? "blocked"
    : kind === "unknown-outcome"
    ? "unknown"
    : kind === "input" || kind === "auth"
    ? "rejected"
    : "failed"
}

export const layer: Layer.Layer<Changes, never, AuditStore | ReadCache | Metrics> = Layer.scoped(
  Changes,
  Effect.gen(function*() {
    const audit = yield* AuditStore
    /** Outcomes written once the store is back (interrupted at shutdown). */
    const pending = yield* FiberSet.make()
    const cache = yield* ReadCache
    const metrics = yield* Metrics

    const audited = <S>(
      account: AccountRuntime,
      who: Who,
      action: AuditAction,
      request: Record<string, unknown>,
      before: S,
      after: S,
      send: Effect.Effect<SetResult, BinanceError>,
      touched: ReadonlyArray<string>
    ): Effect.Effect<Applied, BinanceError | StoreUnavailable> =>
      // The rows are always written; only the upstream call itself can be interrupted (shutdown).
      Effect.uninterruptibleMask((restore) => Effect.gen(function*() {
        const id = yield* audit.started({ token: who.token, account: account.name, action, request, before, jobId: who.jobId })
        metrics.count("marginctl_gateway_audit_writes_total", { phase: "started" })
        const exit = yield* Effect.exit(restore(send))
        // The answer does not wait for a store that went away: the outcome is written when it is back
        // (a row still `started` at shutdown is marked interrupted at the next start).
        const finish = (r: AuditFinish) => {
          const write = Effect.zipRight(audit.finished(id, r), Effect.sync(() => metrics.count("marginctl_gateway_audit_writes_total", { phase: r.outcome })))
          return Effect.catchTag(write, "StoreUnavailable", () => FiberSet.run(pending, Effect.interruptible(untilStored(`audit row ${id}, its outcome`)(write))))
        }
        yield* cache.invalidate(touched)
        if (Exit.isSuccess(exit)) {
          yield* finish({
            outcome: exit.value.outcome,
            after,
            code: null,
            message: exit.value.reconciled ? "outcome established by re-reading the account" : null
          })
          return { ...exit.value, auditId: id }
        }
        const failure = Cause.failureOption(exit.cause)
        if (Option.isSome(failure)) {
          const e = failure.value
          const outcome = outcomeOf(e)
          yield* finish({ outcome, after: outcome === "unknown" ? null : before, code: "code" in e ? e.code : null, message: e.message })
          return yield* Effect.fail(e)
        }
        if (Cause.isInterruptedOnly(exit.cause)) {
          yield* finish({ outcome: "interrupted", after: null, code: null, message: "interrupted (shutdown) before the answer arrived; re-read the account" })
        } else {
          yield* finish({ outcome: "failed", after: null, code: null, message: "internal error while calling upstream" })
        }
        return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
      }))

    return {
      setMultiAssets: (account, on, who, before) =>
        audited(
          account,
          who,
          "set-multi-assets",
          requests.multiAssets(on),
          before === null ? null : requests.multiAssets(before),
          requests.multiAssets(on),
          account.client.setMultiAssetsMode(on),
          [keys.multiAssets(account.name), keys.snapshot(account.name)]
        ),
      setMarginType: (account, symbol, marginType, who, before) =>
        audited(
          account,
          who,
          "set-margin-type",
          requests.marginType(symbol, marginType),
          before === null ? null : requests.marginType(symbol, before),
          requests.marginType(symbol, marginType),
          account.client.setMarginType(symbol, marginType),
          [keys.marginTypes(account.name), keys.snapshot(account.name)]
        ),
      setPositionMode: (account, mode, who, before) =>
        audited(
          account,
          who,
          "set-position-mode",
          requests.positionMode(isDualSide(mode)),
          before === null ? null : requests.positionMode(isDualSide(before)),
          requests.positionMode(isDualSide(mode)),
          account.client.setPositionMode(mode),
          keys.all(account.name)
        ),
      setLeverage: (account, symbol, leverage, who, before) =>
        audited(
          account,
          who,
          "set-leverage",
          requests.leverage(symbol, leverage),
          before === null ? null : requests.leverage(symbol, before),
          requests.leverage(symbol, leverage),
          account.client.setLeverage(symbol, leverage, before ?? undefined),
          keys.all(account.name)
        )
    }
  })
)
