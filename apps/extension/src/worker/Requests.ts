/**
 * The worker's answers to the pages' requests: each message is decoded with `Request`, run against
 * the accounts, the vault and the backends, and answered `{ _tag: "Ok", value }` or
 * `{ _tag: "Err", error }`, encoded with the request's answer schema.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { AccountStore, summaryOf } from "../Accounts.js"
import { Backends } from "../Backends.js"
import { Answer, type PopupState, Request, Success } from "../Messages.js"
import { plainly } from "../Plainly.js"
import { fromAccounts, fromVault, internal, toData, type UserError } from "../UserErrors.js"
import { Vault } from "../Vault.js"
import { planBlockers } from "../Vocabulary.js"

const dispatch = (request: Request): Effect.Effect<unknown, UserError, AccountStore | Vault | Backends> =>
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
      case "GetDrift":
        return yield* Effect.flatMap(backends.forAccount(request.account), (b) => b.drift)
      case "MakePlan":
        return yield* Effect.flatMap(backends.forAccount(request.account), (b) =>
          Effect.map(b.plan(request.desired), (plan) => ({ plan, blockers: planBlockers(plan) })))
    }
  })

const decodeRequest = Schema.decodeUnknown(Request)

const encodeAnswer = (request: Request, answer: { _tag: "Ok"; value: unknown } | { _tag: "Err"; error: UserError }) =>
  Schema.encode(Answer(Success[request._tag] as Schema.Schema<unknown, unknown>))(
    answer._tag === "Ok" ? answer : { _tag: "Err", error: toData(answer.error) }
  )

/** Decodes a message, runs it and answers `{ _tag: "Ok", value }` or `{ _tag: "Err", error }` (encoded). */
export const respond = (message: unknown) =>
  Effect.gen(function*() {
    const decoded = yield* Effect.either(decodeRequest(message))
    if (decoded._tag === "Left") {
      return { _tag: "Err", error: toData(internal("The request could not be read.")) }
    }
    const request = decoded.right
    const result = yield* Effect.either(plainly(dispatch(request), internal("An unexpected error stopped the operation.")))
    return yield* encodeAnswer(
      request,
      result._tag === "Right" ? { _tag: "Ok", value: result.right } : { _tag: "Err", error: result.left }
    ).pipe(Effect.orElseSucceed(() => ({ _tag: "Err", error: toData(internal("The answer could not be encoded.")) })))
  })
