/**
 * Applies over a port named "apply": the page posts one `ApplyRequest`; the worker posts
 * `ApplyStarted`, the core's progress events (a failed step's words in `StepFailed` before its
 * `StepFinished`) and `Done`, or `ApplyFailed`. The apply runs on in the
 * worker when the page closes (it would otherwise stop half-way); posting simply stops.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { Backends } from "../Backends.js"
import { APPLY_PORT, ApplyMessage, ApplyRequest } from "../Messages.js"
import { plainly } from "../Plainly.js"
import { internal, toData } from "../UserErrors.js"
import { stepFailed } from "../Vocabulary.js"

const encodeApplyMessage = Schema.encodeSync(ApplyMessage)
const decodeApplyRequest = Schema.decodeUnknown(ApplyRequest)

/** The apply asked for on `port`, ready to fork: it never fails (a failure is posted as `ApplyFailed`). */
export const onConnect = (
  port: chrome.runtime.Port,
  fork: (apply: Effect.Effect<void, never, Backends>) => void
): void => {
  if (port.name !== APPLY_PORT || port.sender?.id !== chrome.runtime.id) return
  let connected = true
  port.onDisconnect.addListener(() => {
    connected = false
  })
  const post = (message: ApplyMessage) =>
    Effect.sync(() => {
      if (!connected) return
      try {
        port.postMessage(encodeApplyMessage(message))
      } catch {
        connected = false
      }
    })
  const onFirst = (raw: unknown) => {
    port.onMessage.removeListener(onFirst)
    const run = Effect.gen(function*() {
      const input = yield* Effect.mapError(decodeApplyRequest(raw), () => internal("The apply request could not be read."))
      const backend = yield* (yield* Backends).forAccount(input.account)
      let plan = input.plan
      yield* Stream.runForEach(backend.apply(input.plan, input.desired), (message) => {
        if (message._tag === "ApplyStarted") plan = message.plan
        return message._tag === "StepFinished" && message.error !== undefined
          ? Effect.zipRight(post(stepFailed(plan, message.index, message.error)), post(message))
          : post(message)
      })
    })
    fork(
      plainly(run, internal("An unexpected error stopped the operation.")).pipe(
        Effect.catchAll((error) => post({ _tag: "ApplyFailed", error: toData(error) }))
      )
    )
  }
  port.onMessage.addListener(onFirst)
}
