/**
 * The service worker: owns the accounts, the vault and the backends (one ManagedRuntime for this
 * context), answers the popup's Schema-typed requests and runs applies. An apply keeps running when
 * the popup closes (it would otherwise stop half-way); the popup reads the result when reopened.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { AccountStore, summaryOf } from "./Accounts.js"
import { Backends } from "./Backends.js"
import * as ChromeStorage from "./ChromeStorage.js"
import { Answer, APPLY_PORT, ApplyMessage, ApplyRequest, type PopupState, Request, Success } from "./Messages.js"
import { fromAccounts, fromVault, internal, toData, type UserError } from "./UserErrors.js"
import { Vault } from "./Vault.js"

const MainLive = Backends.Default.pipe(
  Layer.provideMerge(AccountStore.Default),
  Layer.provideMerge(Vault.Default),
  Layer.provideMerge(ChromeStorage.layerChrome),
  // Nothing is logged: no message, URL or error can end up in the console.
  Layer.provideMerge(Logger.replace(Logger.defaultLogger, Logger.none))
)

const runtime = ManagedRuntime.make(MainLive)

/** Failures stay failures; defects and interruptions become a plain internal error (no stack trace). */
const plainly = <A, R>(effect: Effect.Effect<A, UserError, R>): Effect.Effect<A, UserError, R> =>
  Effect.catchAllCause(effect, (cause) =>
    Option.match(Cause.failureOption(cause), {
      onSome: Effect.fail,
      onNone: () => Effect.fail(internal("An unexpected error stopped the operation."))
    }))

const dispatch = (request: Request) =>
  Effect.gen(function*() {
    const accounts = yield* AccountStore
    const vault = yield* Vault
    const backends = yield* Backends
    switch (request._tag) {
      case "GetState": {
        const list = yield* Effect.mapError(accounts.list, fromAccounts)
        const selected = yield* Effect.mapError(accounts.selected, fromAccounts)
        const status = yield* Effect.mapError(vault.status, fromVault)
        return {
          accounts: list.map(summaryOf),
          selected: Option.match(selected, { onNone: () => null, onSome: (a) => a.id }),
          vault: status
        } satisfies PopupState
      }
      case "SelectAccount":
        return yield* Effect.as(Effect.mapError(accounts.select(request.account), fromAccounts), null)
      case "Unlock":
        return yield* Effect.as(Effect.mapError(vault.unlock(Redacted.make(request.passphrase)), fromVault), null)
      case "GetMode":
        return yield* Effect.flatMap(backends.forAccount(request.account), (b) => b.getMode)
      case "GetOverview":
        return yield* Effect.flatMap(backends.forAccount(request.account), (b) => b.overview)
      case "MakePlan":
        return yield* Effect.flatMap(backends.forAccount(request.account), (b) => b.plan(request.desired))
    }
  })

const decodeRequest = Schema.decodeUnknown(Request)

const encodeAnswer = (request: Request, answer: { _tag: "Ok"; value: unknown } | { _tag: "Err"; error: UserError }) =>
  Schema.encode(Answer(Success[request._tag] as Schema.Schema<unknown, unknown>))(
    answer._tag === "Ok" ? answer : { _tag: "Err", error: toData(answer.error) }
  )

/** Decodes a message, runs it and answers `{ _tag: "Ok", value }` or `{ _tag: "Err", error }` (encoded). */
const respond = (message: unknown) =>
  Effect.gen(function*() {
    const decoded = yield* Effect.either(decodeRequest(message))
    if (decoded._tag === "Left") {
      return { _tag: "Err", error: toData(internal("The request could not be read.")) }
    }
    const request = decoded.right
    const result = yield* Effect.either(plainly(dispatch(request) as Effect.Effect<unknown, UserError, AccountStore | Vault | Backends>))
    return yield* encodeAnswer(
      request,
      result._tag === "Right" ? { _tag: "Ok", value: result.right } : { _tag: "Err", error: result.left }
    ).pipe(Effect.orElseSucceed(() => ({ _tag: "Err", error: toData(internal("The answer could not be encoded.")) })))
  })

chrome.runtime.onMessage.addListener((message: unknown, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id) return false
  runtime.runPromise(respond(message)).then(sendResponse, () => sendResponse(undefined))
  return true
})

const encodeApplyMessage = Schema.encodeSync(ApplyMessage)
const decodeApplyRequest = Schema.decodeUnknown(ApplyRequest)

chrome.runtime.onConnect.addListener((port) => {
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
      yield* Stream.runForEach(backend.apply(input.plan, input.desired), post)
    })
    runtime.runFork(
      plainly(run).pipe(
        Effect.catchAll((error) => post({ _tag: "ApplyFailed", error: toData(error) }))
      )
    )
  }
  port.onMessage.addListener(onFirst)
})

// The derived vault key lives in session storage: readable by extension pages and this worker only.
chrome.storage.session.setAccessLevel?.({ accessLevel: "TRUSTED_CONTEXTS" })?.catch(() => undefined)

