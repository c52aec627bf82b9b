/**
 * Cached, coalesced reads. An entry is fresh for `ttlMs` after its read finished; any number of
 * concurrent readers of a missing or stale entry share one upstream call (the call runs in its own
 * fiber, so a reader that gives up does not cancel it for the others). A failed read is not cached.
 * Writes invalidate the keys they changed; a read in flight while its key is invalidated still
 * answers its own waiters but is not kept.
 *
 * Not Effect's `Cache` (3.x): its lookup runs in the first reader's fiber (one hang-up interrupts
 * every waiter), it keeps a lookup whose key was invalidated meanwhile (stale after a write), counts
 * a joined read as a hit, and has no synchronous look-up for the hot path.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { GatewayConfig } from "./Config.js"
import { Metrics } from "./Metrics.js"

export interface Cached<A> {
  readonly value: A
  /** Milliseconds since the value was read upstream. */
  readonly ageMs: number
}

export interface ReadCacheShape {
  readonly get: <A, E>(key: string, load: Effect.Effect<A, E>) => Effect.Effect<Cached<A>, E>
  /** Reads upstream now (joining a read already in flight started after the last invalidation). */
  readonly refresh: <A, E>(key: string, load: Effect.Effect<A, E>) => Effect.Effect<Cached<A>, E>
  readonly invalidate: (keys: ReadonlyArray<string>) => Effect.Effect<void>
  /** A fresh entry, synchronously (the hot path); counts nothing. */
  readonly peek: (key: string, now: number) => Cached<unknown> | undefined
}

export class ReadCache extends Context.Tag("@marginctl/gateway/ReadCache")<ReadCache, ReadCacheShape>() {}

interface Entry {
  /** Completed with the read's exit. */
  readonly done: Deferred.Deferred<unknown, unknown>
  value: unknown
  loadedAt: number | null
}

export const make = (ttlMs: number, metrics: { readonly cache: (e: "hit" | "miss" | "coalesced") => void }) =>
  Effect.gen(function*() {
    const entries = new Map<string, Entry>()
    const scope = yield* Effect.scope

    const start = <A, E>(key: string, load: Effect.Effect<A, E>): Effect.Effect<Entry> =>
      Effect.gen(function*() {
        const entry: Entry = { done: yield* Deferred.make<unknown, unknown>(), value: undefined, loadedAt: null }
        entries.set(key, entry)
        metrics.cache("miss")
        yield* load.pipe(
          Effect.exit,
          Effect.flatMap((exit) =>
            Effect.gen(function*() {
              if (Exit.isSuccess(exit)) {
                entry.value = exit.value
                entry.loadedAt = yield* Clock.currentTimeMillis
              } else if (entries.get(key) === entry) {
                entries.delete(key)
              }
              yield* Deferred.done(entry.done, exit)
            })
          ),
          Effect.forkIn(scope)
        )
        return entry
      })

    const await_ = <A, E>(entry: Entry): Effect.Effect<Cached<A>, E> =>
      Effect.flatMap(
        Deferred.await(entry.done) as Effect.Effect<A, E>,
        (value) => Effect.map(Clock.currentTimeMillis, (now) => ({ value, ageMs: Math.max(0, now - (entry.loadedAt ?? now)) }))
      )

    /** A fresh entry (unless `refresh`), else the read in flight, else a new read. */
    const lookup = (refresh: boolean) => <A, E>(key: string, load: Effect.Effect<A, E>): Effect.Effect<Cached<A>, E> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const entry = entries.get(key)
        if (entry?.loadedAt === null) {
          metrics.cache("coalesced")
          return await_<A, E>(entry)
        }
        if (!refresh && entry?.loadedAt != null && now - entry.loadedAt < ttlMs) {
          metrics.cache("hit")
          return Effect.succeed({ value: entry.value as A, ageMs: now - entry.loadedAt })
        }
        return Effect.flatMap(start(key, load), (e) => await_<A, E>(e))
      })

    return {
      get: lookup(false),
      refresh: lookup(true),
      invalidate: (keys) =>
        Effect.sync(() => {
          for (const k of keys) entries.delete(k)
        }),
      peek: (key, now) => {
        const entry = entries.get(key)
        return entry === undefined || entry.loadedAt === null || now - entry.loadedAt >= ttlMs
          ? undefined
          : { value: entry.value, ageMs: now - entry.loadedAt }
      }
    } satisfies ReadCacheShape
  })

export const layer: Layer.Layer<ReadCache, never, GatewayConfig | Metrics> = Layer.scoped(
  ReadCache,
  Effect.gen(function*() {
    const config = yield* GatewayConfig
    const metrics = yield* Metrics
    return yield* make(config.cacheTtlMs, metrics)
  })
)

/** Cache keys of one account. */
export const keys = {
  multiAssets: (account: string) => `${account}:multi-assets`,
  marginTypes: (account: string) => `${account}:margin-types`,
  snapshot: (account: string) => `${account}:snapshot`,
  all: (account: string) => [`${account}:multi-assets`, `${account}:margin-types`, `${account}:snapshot`]
}
