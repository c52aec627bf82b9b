/**
 * A connection to the Redis the replicas share (the weight budget, the streams' leases and the
 * fan-out of their changes), scoped: closed with its scope. A Redis that cannot be reached, or that
 * fails a command, is `BudgetStoreUnavailable`-like for its user; the reason never carries the URL
 * (it may hold a password).
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { Redis } from "ioredis"

/** What went wrong, without the URL. */
export const reasonOf = (e: unknown): string => {
  const { code, message } = e as { code?: string; message?: string }
  return code ?? String(message ?? e).replace(/rediss?:\/\/\S+/g, "<url>")
}

/** Connects (scoped); `setup` runs before the connection (e.g. to define scripts). */
export const connect = <E>(
  url: Redacted.Redacted<string>,
  onError: (reason: string) => E,
  setup: (redis: Redis) => void = () => {}
): Effect.Effect<Redis, E, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const redis = new Redis(Redacted.value(url), {
          lazyConnect: true,
          maxRetriesPerRequest: 2,
          connectTimeout: 5000,
          // A Redis that stops answering fails the call instead of holding it.
          commandTimeout: 2000,
          enableAutoPipelining: true
        })
        redis.on("error", () => {/* reported through the failing commands */})
        setup(redis)
        await redis.connect()
        return redis
      },
      catch: (e) => onError(`cannot connect to Redis: ${reasonOf(e)}`)
    }),
    (redis) => Effect.promise(() => redis.quit().catch(() => undefined))
  )
