/**
 * The control API's user-data stream routes: the live listenKeys and the stream faults (drop the
 * connections of one account or all, hold events back by N ms until cleared, expire keys now).
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { SimRequest } from "../Simulator.js"
import { decodeBody, json, notFound, type Route } from "./controlReplies.js"
import { serverTime, type State } from "./state.js"

const AccountInput = Schema.Struct({
  /** One account's streams; all accounts when absent. */
  account: Schema.optional(Schema.String)
})

const DelayInput = Schema.Struct({
  ms: Schema.Number.pipe(
    Schema.int(),
    Schema.between(0, 3_600_000),
    Schema.annotations({ message: () => "must be a whole number of milliseconds from 0 to 3600000" })
  )
})

/** Runs `f` for the account named in the body (or all), or answers 404 for an unknown account. */
const forAccounts = (state: State, req: SimRequest, f: (account: string | undefined) => unknown) =>
  Effect.sync(() => {
    const decoded = decodeBody(req, AccountInput)
    if (Either.isLeft(decoded)) return decoded.left
    const account = decoded.right.account
    if (account !== undefined && !state.accounts.has(account)) return notFound(`no account named ${JSON.stringify(account)}`)
    return json(200, f(account))
  })

const view = (state: State) => ({ delayMs: state.stream.delay(), keys: state.stream.keys(serverTime(state)) })

/** @internal */
export const routes: ReadonlyArray<Route> = [
  ["GET", "stream", (state) => Effect.sync(() => json(200, view(state)))],
  ["POST", "stream/drop", (state, req) => forAccounts(state, req, (account) => ({ dropped: state.stream.drop(account) }))],
  ["POST", "stream/expire", (state, req) =>
    forAccounts(state, req, (account) => ({ expired: state.stream.expireNow(account, serverTime(state)) }))],
  ["PUT", "stream/delay", (state, req) =>
    Effect.sync(() => {
      const decoded = decodeBody(req, DelayInput)
      if (Either.isLeft(decoded)) return decoded.left
      state.stream.setDelay(decoded.right.ms)
      return json(200, view(state))
    })],
  ["DELETE", "stream/delay", (state) =>
    Effect.sync(() => {
      state.stream.setDelay(0)
      return json(200, view(state))
    })]
]
