/**
 * The pages' side of the messages to the service worker: a request is Schema-encoded, sent with
 * `chrome.runtime.sendMessage`, and its answer decoded with the request's answer schema; an apply
 * streams decoded `ApplyMessage`s from a port, and so does following an account (`LiveMessage`s).
 * Transport and decoding problems become a UserErrorData.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import {
  Answer,
  APPLY_PORT,
  ApplyMessage,
  ApplyRequest,
  LIVE_PORT,
  LiveMessage,
  LiveRequest,
  Request,
  type RequestTag,
  Success,
  type UserErrorData
} from "./Messages.js"

const unreachable: UserErrorData = {
  _tag: "UserError",
  kind: "internal",
  title: "The extension's background worker did not answer",
  detail: "It may have been restarting.",
  fix: "Close and reopen this page."
}

const garbled: UserErrorData = {
  _tag: "UserError",
  kind: "internal",
  title: "The extension's background worker sent an unreadable answer",
  detail: "Reload the extension."
}

export interface WorkerClientShape {
  readonly request: <R extends Request>(request: R) => Effect.Effect<Success<R["_tag"]>, UserErrorData>
  /** Sends an apply and calls `onMessage` for each message until `Done` or `ApplyFailed`. */
  readonly apply: (input: ApplyRequest, onMessage: (message: ApplyMessage) => void) => Effect.Effect<void, UserErrorData>
  /**
   * Follows the account's setting changes: calls `onMessage` for each until interrupted (the port is
   * then closed and the worker stops following), or fails when the worker goes away.
   */
  readonly live: (input: LiveRequest, onMessage: (message: LiveMessage) => void) => Effect.Effect<never, UserErrorData>
}

export class WorkerClient extends Context.Tag("@marginctl/extension/WorkerClient")<WorkerClient, WorkerClientShape>() {}

const encodeRequest = Schema.encode(Request)
const answers = new Map<RequestTag, (u: unknown) => Effect.Effect<unknown, unknown>>()
const decodeAnswer = (tag: RequestTag) => {
  let decode = answers.get(tag)
  if (decode === undefined) {
    decode = Schema.decodeUnknown(Answer(Success[tag]))
    answers.set(tag, decode)
  }
  return decode
}
const decodeApplyMessage = Schema.decodeUnknownEither(ApplyMessage)
const encodeApplyRequest = Schema.encode(ApplyRequest)
const decodeLiveMessage = Schema.decodeUnknownEither(LiveMessage)
const encodeLiveRequest = Schema.encode(LiveRequest)

const disconnect = (port: chrome.runtime.Port) => {
  try {
    port.disconnect()
  } catch {
    // already disconnected
  }
}

export const make = (runtime: typeof chrome.runtime): WorkerClientShape => ({
  request: <R extends Request>(request: R) =>
    Effect.gen(function*() {
      const encoded = yield* Effect.mapError(encodeRequest(request), () => garbled)
      const raw = yield* Effect.tryPromise({ try: () => runtime.sendMessage(encoded), catch: () => unreachable })
      if (raw === undefined) return yield* Effect.fail(unreachable)
      const answer = (yield* Effect.mapError(decodeAnswer(request._tag)(raw), () => garbled)) as
        | { readonly _tag: "Ok"; readonly value: Success<R["_tag"]> }
        | { readonly _tag: "Err"; readonly error: UserErrorData }
      return answer._tag === "Ok" ? answer.value : yield* Effect.fail(answer.error)
    }),
  apply: (input, onMessage) =>
    Effect.flatMap(Effect.mapError(encodeApplyRequest(input), () => garbled), (encoded) =>
      Effect.async<void, UserErrorData>((resume) => {
        const port = runtime.connect({ name: APPLY_PORT })
        let finished = false
        const finish = (result: Effect.Effect<void, UserErrorData>) => {
          if (finished) return
          finished = true
          disconnect(port)
          resume(result)
        }
        port.onMessage.addListener((raw: unknown) => {
          const message = decodeApplyMessage(raw)
          if (message._tag === "Left") return finish(Effect.fail(garbled))
          onMessage(message.right)
          if (message.right._tag === "Done") finish(Effect.void)
          if (message.right._tag === "ApplyFailed") finish(Effect.fail(message.right.error))
        })
        port.onDisconnect.addListener(() => finish(Effect.fail(unreachable)))
        port.postMessage(encoded)
        return Effect.sync(() => finish(Effect.void))
      })),
  live: (input, onMessage) =>
    Effect.flatMap(Effect.mapError(encodeLiveRequest(input), () => garbled), (encoded) =>
      Effect.async<never, UserErrorData>((resume) => {
        const port = runtime.connect({ name: LIVE_PORT })
        const stop = (error: UserErrorData) => {
          disconnect(port)
          resume(Effect.fail(error))
        }
        port.onMessage.addListener((raw: unknown) => {
          const message = decodeLiveMessage(raw)
          if (message._tag === "Left") return stop(garbled)
          onMessage(message.right)
        })
        port.onDisconnect.addListener(() => stop(unreachable))
        port.postMessage(encoded)
        return Effect.sync(() => disconnect(port))
      }))
})

export const layer: Layer.Layer<WorkerClient> = Layer.sync(WorkerClient, () => make(chrome.runtime))
