/**
 * The exchange's clock as seen from here. Signed requests carry a `timestamp` that Binance accepts only
 * when it is less than 1000 ms ahead of its own clock and at most `recvWindow` behind it
 * (binance-usdm.md §2.3), so the timestamp is local time plus an offset measured with
 * `GET /fapi/v1/time`, corrected by half the round trip. The offset is measured again once older than
 * `refreshMs`, and at once after a -1021 answer (`invalidate`).
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type { BinanceError } from "./Errors.js"

export interface ClockSample {
  /** Server time minus local time, in ms (positive: the server is ahead of this machine). */
  readonly offsetMs: number
  /** Round trip of the measuring request, in ms; the offset is accurate to within half of it. */
  readonly rttMs: number
  /** Local epoch ms at which the sample was taken (end of the round trip). */
  readonly measuredAt: number
}

export interface ServerClockShape<E> {
  /** The server's current time (epoch ms): local time plus the offset, measured first when missing or stale. */
  readonly now: Effect.Effect<number, E>
  /** Measures the offset now and keeps it. */
  readonly sync: Effect.Effect<ClockSample, E>
  /** Forgets the offset (after a -1021 answer), so the next `now` measures again. */
  readonly invalidate: Effect.Effect<void>
  /** The kept sample, if any. */
  readonly offset: Effect.Effect<Option.Option<ClockSample>>
}

export class ServerClock extends Context.Tag("@marginctl/core/ServerClock")<ServerClock, ServerClockShape<BinanceError>>() {}

interface State<E> {
  readonly sample: Option.Option<ClockSample>
  /** Number of measurements finished, and how the last one ended (shared with callers that waited for it). */
  readonly finished: number
  readonly last: Option.Option<Exit.Exit<ClockSample, E>>
}

/**
 * A server clock over `fetchServerTime` (the server's epoch ms). Concurrent callers of `now` that find no
 * fresh sample share one measurement: 100 of them on a cold clock make one request.
 */
export const make = <E>(
  fetchServerTime: Effect.Effect<number, E>,
  options: { readonly refreshMs: number }
): Effect.Effect<ServerClockShape<E>> =>
  Effect.gen(function*() {
    const state = yield* Ref.make<State<E>>({ sample: Option.none(), finished: 0, last: Option.none() })
    const lock = yield* Effect.makeSemaphore(1)

    const measure: Effect.Effect<ClockSample, E> = Effect.gen(function*() {
      const t0 = yield* Clock.currentTimeMillis
      const serverTime = yield* fetchServerTime
      const t1 = yield* Clock.currentTimeMillis
      return { offsetMs: Math.round(serverTime - (t0 + t1) / 2), rttMs: t1 - t0, measuredAt: t1 }
    })

    /** One measurement at a time; a caller that waited while another finished takes that one's result. */
    const shared = (seen: number): Effect.Effect<ClockSample, E> =>
      lock.withPermits(1)(Effect.gen(function*() {
        const current = yield* Ref.get(state)
        if (current.finished !== seen && Option.isSome(current.last)) return yield* current.last.value
        const exit = yield* Effect.exit(measure)
        yield* Ref.update(state, (s) => ({
          sample: exit._tag === "Success" ? Option.some(exit.value) : s.sample,
          finished: s.finished + 1,
          last: Option.some(exit)
        }))
        return yield* exit
      }))

    // On every signed call: plain flatMaps, no generator.
    const now: Effect.Effect<number, E> = Effect.flatMap(Clock.currentTimeMillis, (local) =>
      Effect.flatMap(Ref.get(state), ({ finished, sample }) =>
        Option.isSome(sample) && local - sample.value.measuredAt < options.refreshMs
          ? Effect.succeed(local + sample.value.offsetMs)
          : Effect.flatMap(shared(finished), (fresh) => Effect.map(Clock.currentTimeMillis, (t) => t + fresh.offsetMs))))

    return {
      now,
      sync: Effect.flatMap(Ref.get(state), (s) => shared(s.finished)).pipe(Effect.withSpan("ServerClock.sync")),
      invalidate: Ref.update(state, (s) => ({ ...s, sample: Option.none() })),
      offset: Effect.map(Ref.get(state), (s) => s.sample)
    } satisfies ServerClockShape<E>
  })

const grouped = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",")

/** Plain words for an offset (server − local): whether this machine's clock is behind, ahead or in sync. */
export const describeOffset = (
  offsetMs: number,
  toleranceMs = 100
): { readonly side: "in-sync" | "local-behind" | "local-ahead"; readonly text: string } => {
  const size = `${grouped(Math.abs(offsetMs))} ms`
  if (offsetMs > toleranceMs) return { side: "local-behind", text: `your clock is ${size} behind the server` }
  if (offsetMs < -toleranceMs) return { side: "local-ahead", text: `your clock is ${size} ahead of the server` }
  return {
    side: "in-sync",
    text: `your clock is in sync with the server (${size} apart, within ${grouped(toleranceMs)} ms)`
  }
}
