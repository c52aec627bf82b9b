/**
 * A short-lived memo of an account's overview in the worker, whatever the backend: re-opening the
 * popup within `OVERVIEW_TTL` answers from it and sends nothing. Effect's `Cache` (one entry per
 * backend) keeps a read for `OVERVIEW_TTL` and a failure not at all, so "Try again" reads again;
 * concurrent opens share one read. An apply forgets it when it is done, so the read that follows
 * shows what is true now. (A read already in flight when an apply ends, from another popup, may still be
 * kept: it is at most `OVERVIEW_TTL` old.) A change pushed on the live stream, or the settings read
 * again there, forget it too.
 */
import * as Cache from "effect/Cache"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import type { BackendShape } from "./Backend.js"

export const OVERVIEW_TTL = Duration.seconds(5)

const KEY = "overview"

/** `backend` with its overview memoized for `OVERVIEW_TTL`, and forgotten after every apply and live change. */
export const memoized = (backend: BackendShape): Effect.Effect<BackendShape> =>
  Effect.map(
    Cache.makeWith({
      capacity: 1,
      lookup: (_: typeof KEY) => backend.overview,
      timeToLive: Exit.match({ onSuccess: () => OVERVIEW_TTL, onFailure: () => Duration.zero })
    }),
    (cache): BackendShape => ({
      ...backend,
      overview: cache.get(KEY),
      // Forgotten as `Done` passes (before the page hears of it and reads again), and on any other end.
      apply: (plan, desired) =>
        backend.apply(plan, desired).pipe(
          Stream.tap((message) => message._tag === "Done" ? cache.invalidate(KEY) : Effect.void),
          Stream.ensuring(cache.invalidate(KEY))
        ),
      live: Stream.tap(backend.live, (message) => message._tag === "LiveStatus" ? Effect.void : cache.invalidate(KEY))
    })
  )
