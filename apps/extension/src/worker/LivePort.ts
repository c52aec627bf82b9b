/**
 * The account's setting changes, forwarded to an open popup over a port named "live": the popup posts
 * one `LiveRequest`; the worker follows the backend's live stream (direct: the core's user-data
 * stream, gateway: the account's events) and posts each `LiveMessage`. It stops when the port
 * disconnects (the popup closed, or switched accounts): a direct account's listen key is then
 * DELETEd, so no key is held while no popup shows the account.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { Backends } from "../Backends.js"
import { LIVE_PORT, LiveMessage, LiveRequest } from "../Messages.js"
import { plainly } from "../Plainly.js"
import { internal } from "../UserErrors.js"

const encodeLiveMessage = Schema.encodeSync(LiveMessage)
const decodeLiveRequest = Schema.decodeUnknown(LiveRequest)

/** The live stream asked for on `port`, ready to fork: it ends when the port disconnects. */
export const onConnect = (
  port: chrome.runtime.Port,
  fork: (live: Effect.Effect<void, never, Backends>) => void
): void => {
  if (port.name !== LIVE_PORT || port.sender?.id !== chrome.runtime.id) return
  let connected = true
  const disconnected = Effect.async<void>((resume) => {
    if (!connected) return resume(Effect.void)
    port.onDisconnect.addListener(() => resume(Effect.void))
  })
  port.onDisconnect.addListener(() => {
    connected = false
  })
  const post = (message: LiveMessage) =>
    Effect.sync(() => {
      if (!connected) return
      try {
        port.postMessage(encodeLiveMessage(message))
      } catch {
        connected = false
      }
    })
  const onFirst = (raw: unknown) => {
    port.onMessage.removeListener(onFirst)
    const run = Effect.gen(function*() {
      const { account } = yield* Effect.mapError(decodeLiveRequest(raw), () => internal("The request to follow the account could not be read."))
      const backend = yield* (yield* Backends).forAccount(account)
      yield* Stream.runForEach(backend.live, post)
    })
    // A popup that cannot follow the account (locked vault, unknown account) is told it is not live, and why.
    const told = plainly(run, internal("An unexpected error stopped following the account.")).pipe(
      Effect.catchAll((error) => post({ _tag: "LiveStatus", live: false, reason: error.title }))
    )
    fork(Effect.raceFirst(told, disconnected))
  }
  port.onMessage.addListener(onFirst)
}
