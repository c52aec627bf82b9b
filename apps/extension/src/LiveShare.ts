/**
 * One live stream per account in the worker, shared by the popups that show it: started when the
 * first one connects, stopped `LIVE_GRACE` after the last one closed (a direct account's listen key is
 * then DELETEd). A popup that connects while it runs gets the settings as they are now at once. While
 * it is live, the overview is answered from it (nothing is read, as on a gateway whose stream is
 * connected); when it is not running, it is started and its first state (its read on connecting)
 * answers; while it runs without being live (reconnecting), from the backend (and its memo).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { BackendShape } from "./Backend.js"
import { type LiveView, update } from "./LiveOverview.js"
import type { LiveMessage } from "./Messages.js"

/** How long an overview waits for a starting stream's first state before reading on its own. */
const STREAM_STATE_WAIT = Duration.seconds(5)

/** How long the stream runs on after the last popup closed: a re-open within it costs no read. */
export const LIVE_GRACE = Duration.seconds(15)

/** `backend` with its live stream shared; the stream is stopped at the latest when `Scope` closes. */
export const shared = (backend: BackendShape): Effect.Effect<BackendShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const hub = yield* PubSub.unbounded<LiveMessage>()
    let view: LiveView = { overview: null, live: false }
    let consumers = 0
    let upstream: Fiber.RuntimeFiber<void> | null = null
    let stopping: Fiber.RuntimeFiber<void> | null = null

    const start = Effect.suspend(() => {
      if (upstream !== null) return Effect.void
      view = { overview: null, live: false }
      return Effect.map(
        Stream.runForEach(backend.live, (message) =>
          Effect.suspend(() => {
            view = update(view, message)
            return PubSub.publish(hub, message)
          })).pipe(
            // Ended on its own (a refused key or token): the next popup starts it again.
            Effect.ensuring(Effect.sync(() => {
              upstream = null
              view = { ...view, live: false }
            })),
            // Forked while a popup's acquisition runs (uninterruptible): the fiber itself must not be.
            Effect.interruptible,
            Effect.forkIn(scope)
          ),
        (fiber) => {
          upstream = fiber
        }
      )
    })

    const stopLater = Effect.suspend(() =>
      Effect.map(
        Effect.forkIn(
          Effect.interruptible(
            Effect.delay(Effect.suspend(() => (consumers === 0 && upstream !== null ? Fiber.interrupt(upstream) : Effect.void)), LIVE_GRACE)
          ),
          scope
        ),
        (fiber) => {
          stopping = fiber
        }
      )
    )

    const acquire = Effect.suspend(() => {
      consumers++
      const pending = stopping
      stopping = null
      return Effect.zipRight(pending === null ? Effect.void : Fiber.interrupt(pending), start)
    })
    const release = Effect.suspend(() => --consumers === 0 ? stopLater : Effect.void)

    const live: Stream.Stream<LiveMessage> = Stream.unwrapScoped(Effect.gen(function*() {
      // Subscribed before the view is read: a message between the two is seen twice, which is harmless
      // (applying a change or a state again gives the same view).
      const subscription = yield* PubSub.subscribe(hub)
      yield* Effect.acquireRelease(acquire, () => release)
      const now: ReadonlyArray<LiveMessage> = view.overview !== null
        ? [{ _tag: "LiveState", overview: view.overview, live: view.live }]
        : []
      return Stream.concat(Stream.fromIterable(now), Stream.fromQueue(subscription))
    }))

    /**
     * Not live yet: the stream is started and its first state taken — the read it makes when it
     * connects (a direct account: the listen key, weight 1, and the settings, 10) — instead of reading
     * here and again when it connects. A stream that does not come up (a refused key, no network)
     * leaves the answer to the backend's own read, which says why.
     */
    const fromStream = Effect.scoped(Effect.gen(function*() {
      const subscription = yield* PubSub.subscribe(hub)
      yield* Effect.acquireRelease(acquire, () => release)
      const first = yield* Stream.fromQueue(subscription).pipe(
        Stream.takeUntil((m) => m._tag === "LiveState" || (m._tag === "LiveStatus" && m.reason !== undefined)),
        Stream.runLast
      )
      return Option.isSome(first) && first.value._tag === "LiveState" ? first.value.overview : yield* Effect.fail("no state")
    })).pipe(Effect.timeout(STREAM_STATE_WAIT))

    return {
      ...backend,
      overview: Effect.suspend(() =>
        view.live && view.overview !== null
          ? Effect.succeed({ ...view.overview, readWeight: 0 })
          : upstream === null
          ? Effect.catchAll(fromStream, () => backend.overview)
          : backend.overview
      ),
      live
    } satisfies BackendShape
  })
