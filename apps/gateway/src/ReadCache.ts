/**
 * Cached, coalesced reads. An entry is fresh for `ttlMs` after its read finished; any number of
 * concurrent readers of a missing or stale entry share one upstream call (the call runs in its own
 * fiber, so a reader that gives up does not cancel it for the others). A failed read is not cached.
 * Writes invalidate the keys they changed; a read in flight while its key is invalidated (or replaced
 * by `put`) still answers its own waiters but is not kept.
 *
 * Keys of an account whose user-data stream is live are pinned: the stream `put`s every change, so
 * their entries stay fresh whatever their age and answer with `ageMs` 0; unpinned, they age as usual.
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
  /** Replaces an entry with a value just learned (a pushed change), as read now. */
  readonly put: (key: string, value: unknown) => Effect.Effect<void>
  /** Pins keys (kept current by a live stream) or unpins them (they age from when they were read). */
  readonly pin: (keys: ReadonlyArray<string>, pinned: boolean) => void
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
    const pinned = new Set<string>()
    /** The answer of a loaded entry that is still fresh, else undefined. */
    const freshOf = (key: string, entry: Entry | undefined, now: number): Cached<unknown> | undefined =>
      entry?.loadedAt == null
        ? undefined
        : pinned.has(key)
        ? { value: entry.value, ageMs: 0 }
        : now - entry.loadedAt < ttlMs
        ? { value: entry.value, ageMs: now - entry.loadedAt }
        : undefined
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
        const fresh = refresh ? undefined : freshOf(key, entry, now)
        if (fresh !== undefined) {
          metrics.cache("hit")
          return Effect.succeed(fresh as Cached<A>)
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
      put: (key, value) =>
        Effect.gen(function*() {
          const done = yield* Deferred.make<unknown, unknown>()
          yield* Deferred.succeed(done, value)
          entries.set(key, { done, value, loadedAt: yield* Clock.currentTimeMillis })
        }),
      pin: (keys, on) => {
        for (const k of keys) {
          if (on) pinned.add(k)
          else pinned.delete(k)
        }
      },
      peek: (key, now) => freshOf(key, entries.get(key), now)
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
  /** Each symbol's maximum leverage; changes rarely, so no write invalidates it (it ages like the others). */
  leverageBrackets: (account: string) => `${account}:leverage-brackets`,
  all: (account: string) => [`${account}:multi-assets`, `${account}:margin-types`, `${account}:snapshot`],
  /** The keys a live user-data stream keeps current (not the snapshot: its orders and positions have no event here). */
  settings: (account: string) => [`${account}:multi-assets`, `${account}:margin-types`]
}
