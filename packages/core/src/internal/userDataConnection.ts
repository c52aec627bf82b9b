/**
 * The user-data stream's connections for one listen key: the first one, and every `rolloverAfter` a
 * new one opened before the old one is closed. All connections feed one inbox, read in order by one
 * fiber that drops a message already seen (the overlap of a rollover) and decodes the rest. A
 * connection's end goes into the inbox too, after its last messages (Binance sends `listenKeyExpired`
 * and then closes: the expiry is what ends the connection, not the close).
 */
import * as Socket from "@effect/platform/Socket"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import { decodeMessage, type SettingChange, StreamConnectionLost } from "../UserDataEvent.js"

export interface ConnectionsOptions<E> {
  readonly url: string
  readonly openTimeout: Duration.Duration
  readonly rolloverAfter: Duration.Duration
  /** Runs once the first connection is open, before any message is passed on. */
  readonly onOpen: Effect.Effect<void, E>
  readonly onChange: (change: SettingChange) => Effect.Effect<unknown>
  /** Runs while the connections do (after `onOpen`); its failure ends them. */
  readonly alongside: Effect.Effect<never, E>
}

/** How many recent messages are remembered to drop the ones a rollover's two connections both deliver. */
const REMEMBERED = 1024

/** Keeps connections until one is lost or `alongside` fails; never succeeds. */
export const connections = <E>(
  o: ConnectionsOptions<E>
): Effect.Effect<never, E | StreamConnectionLost, Socket.WebSocketConstructor | Scope.Scope> =>
  Effect.gen(function*() {
    const inbox = yield* Queue.unbounded<string | StreamConnectionLost>()
    const first = yield* open(o.url, inbox, o.openTimeout)
    yield* o.onOpen

    // A message is its own identity: both connections deliver the same text (event type, E, T, content).
    const seen = new Set<string>()
    const isNew = (text: string): boolean => {
      if (seen.has(text)) return false
      seen.add(text)
      if (seen.size > REMEMBERED) seen.delete(seen.values().next().value!)
      return true
    }
    const processing = Effect.forever(Effect.flatMap(Queue.take(inbox), (text) => {
      if (typeof text !== "string") return Effect.fail(text)
      if (!isNew(text)) return Effect.void
      const message = decodeMessage(text)
      return message._tag === "ListenKeyExpired"
        ? Effect.fail(new StreamConnectionLost({ reason: "listen-key-expired", detail: "Binance reported the listen key expired" }))
        : Effect.forEach(message.changes, o.onChange, { discard: true })
    }))

    // At `rolloverAfter` the next connection, then the old one closed (a connection lost before
    // that ends them all through the inbox).
    const rollover = (current: Fiber.Fiber<void, StreamConnectionLost>) =>
      Effect.gen(function*() {
        let fiber = current
        while (true) {
          yield* Effect.sleep(o.rolloverAfter)
          const next = yield* open(o.url, inbox, o.openTimeout)
          yield* Fiber.interrupt(fiber)
          fiber = next
        }
      })

    yield* Effect.all([rollover(first), processing, o.alongside], { concurrency: "unbounded", discard: true })
    return yield* Effect.never
  })

const decoder = new TextDecoder()

/**
 * Opens a connection whose messages go to `inbox`, followed by its end once it was open; fails if
 * it does not open.
 */
const open = (url: string, inbox: Queue.Enqueue<string | StreamConnectionLost>, openTimeout: Duration.Duration) =>
  Effect.gen(function*() {
    const socket = yield* Socket.makeWebSocket(url, { openTimeout })
    const opened = yield* Deferred.make<void>()
    const fiber = yield* socket.runRaw(
      (data) => {
        // Offered as received, in order; an unbounded queue never refuses.
        inbox.unsafeOffer(typeof data === "string" ? data : decoder.decode(data))
      },
      { onOpen: Deferred.succeed(opened, undefined) }
    ).pipe(
      Effect.zipRight(Effect.fail(new StreamConnectionLost({ reason: "closed", detail: "the server closed the connection" }))),
      Effect.catchIf(Socket.isSocketError, (e) => Effect.fail(lostOf(e))),
      Effect.catchAll((lost) =>
        Effect.flatMap(Deferred.isDone(opened), (wasOpen) => wasOpen ? Effect.sync(() => void inbox.unsafeOffer(lost)) : Effect.fail(lost))
      ),
      Effect.forkScoped
    )
    yield* Effect.raceFirst(Deferred.await(opened), Fiber.join(fiber))
    return fiber
  })

/** A socket's failure, without its cause (which may carry the URL, and with it the listen key). */
const lostOf = (e: Socket.SocketError): StreamConnectionLost =>
  e.reason === "Close"
    ? new StreamConnectionLost({ reason: "closed", detail: `closed with code ${e.code}${e.closeReason ? ` (${e.closeReason})` : ""}` })
    : e.reason === "Open" || e.reason === "OpenTimeout"
    ? new StreamConnectionLost({ reason: "open-failed", detail: e.reason === "OpenTimeout" ? "no answer in time" : "the connection was refused" })
    : new StreamConnectionLost({ reason: "closed", detail: `the connection failed (${e.reason})` })
