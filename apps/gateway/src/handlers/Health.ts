import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { describeOffset } from "@marginctl/core/ServerClock"
import { NotReady, StoreUnavailable } from "@marginctl/gateway-api/Errors"
import { GatewayApi, VERSION } from "@marginctl/gateway-api/GatewayApi"
import { Accounts, type AccountRuntime } from "../Accounts.js"
import { RETRY_AFTER_SECONDS } from "../audit/Unavailable.js"
import { AuditStore } from "../AuditStore.js"
import { GatewayConfig } from "../Config.js"
import { LiveSettings } from "../LiveSettings.js"
import { Metrics } from "../Metrics.js"

interface Check {
  readonly name: string
  readonly ready: boolean
  readonly detail: string
}

export const layer = HttpApiBuilder.group(GatewayApi, "health", (handlers) =>
  Effect.gen(function*() {
    const accounts = yield* Accounts
    const config = yield* GatewayConfig
    const metrics = yield* Metrics
    const audit = yield* AuditStore
    const live = yield* LiveSettings
    const started = yield* Clock.currentTimeMillis
    let last: { at: number; checks: ReadonlyArray<Check> } | undefined

    /** Upstream reachable and clock offset known: a fresh offset, or a new measurement (weight 1). */
    const check = (a: AccountRuntime): Effect.Effect<Check> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const offset = yield* a.clock.offset
        if (Option.isSome(offset) && now - offset.value.measuredAt < 60_000) {
          return { name: a.name, ready: true, detail: describeOffset(offset.value.offsetMs).text }
        }
        return yield* a.client.syncClock.pipe(
          Effect.timeout("3 seconds"),
          Effect.match({
            onFailure: (e) => ({ name: a.name, ready: false, detail: `upstream ${a.upstream} not reachable: ${e.message}` }),
            onSuccess: (s) => ({ name: a.name, ready: true, detail: describeOffset(s.offsetMs).text })
          })
        )
      })

    /** The store answers a trivial query (not cached: a store that went away shows at once). */
    const storeCheck = audit.ping.pipe(
      Effect.timeoutFail({
        duration: "3 seconds",
        onTimeout: () => new StoreUnavailable({ retryAfterSeconds: RETRY_AFTER_SECONDS, message: "no answer within 3 s" })
      }),
      Effect.match({
        onFailure: (e) => ({ kind: audit.kind, ready: false, detail: e.message }),
        onSuccess: () => ({ kind: audit.kind, ready: true, detail: "answering" })
      })
    )

    const checks = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const fresh = last !== undefined &&
        now - last.at < (last.checks.every((c) => c.ready) ? config.readinessCacheMs : 1000)
      if (fresh) return last!.checks
      const result = yield* Effect.forEach(accounts.list, check, { concurrency: "unbounded" })
      last = { at: now, checks: result }
      return result
    })

    return handlers
      .handle("healthz", () =>
        Effect.map(Clock.currentTimeMillis, (now) => ({
          status: "ok" as const,
          uptimeSeconds: Math.round((now - started) / 1000),
          version: VERSION
        })))
      .handle("readyz", () =>
        Effect.flatMap(Effect.all([checks, storeCheck], { concurrency: 2 }), ([list, store]) =>
          list.every((c) => c.ready) && store.ready
            ? Effect.succeed({ ready: true as const, accounts: list, store, streams: live.checks() })
            : Effect.fail(
              new NotReady({
                message: store.ready
                  ? "not every upstream is reachable with a known clock offset"
                  : `the audit and job store (${store.kind}) does not answer`,
                accounts: list,
                store,
                streams: live.checks()
              })
            )))
      .handle("metrics", () => metrics.render)
  }))
