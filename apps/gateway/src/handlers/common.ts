/**
 * What every handler shares: the access check (scope and account → 403/404) and the mapping of core
 * errors to the contract's errors (rule rejections → 409 with a fix, limits → 429 with Retry-After,
 * unknown outcome → 504, the rest → 502). Messages come from core errors, which never carry a
 * secret, a key or a signed URL.
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import type * as CoreErrors from "@marginctl/core/Errors"
import { Caller, type Scope } from "@marginctl/gateway-api/Auth"
import {
  BlockedByRule,
  Forbidden,
  InvalidRequest,
  NotFound,
  OutcomeUnknown,
  RateLimited,
  UpstreamError
} from "@marginctl/gateway-api/Errors"
import type { AccountRuntime, AccountsShape } from "../Accounts.js"
import { checkAccess } from "./Auth.js"

export const makeAccess = (accounts: AccountsShape) =>
(scope: Scope, name: string): Effect.Effect<AccountRuntime, Forbidden | NotFound, Caller> =>
  Effect.flatMap(Caller, (caller) => checkAccess(accounts, caller, scope, name))

export const requireScope = (scope: Scope): Effect.Effect<void, Forbidden, Caller> =>
  Effect.flatMap(Caller, (caller) =>
    caller.scopes.includes(scope)
      ? Effect.void
      : Effect.fail(new Forbidden({ reason: "scope", message: `token ${caller.name} lacks the ${scope} scope` })))

/** Sets a response header on the response of the current request. */
export const setResponseHeader = (name: string, value: string): Effect.Effect<void> =>
  HttpApp.appendPreResponseHandler((_req, res) => Effect.succeed(HttpServerResponse.setHeader(res, name, value)))

const orders = "open orders (regular and conditional)"

/** What to do about a rule rejection. */
export const fixFor = (e: CoreErrors.RuleRejection, account: string): string => {
  const sym = "symbol" in e && e.symbol ? e.symbol : "the symbol"
  switch (e._tag) {
    case "MarginTypeBlocked":
      return e.reason === "open-orders"
        ? `cancel the ${orders} on ${sym}, then retry`
        : e.reason === "position"
        ? `close the position on ${sym}; the margin type only changes on a flat symbol`
        : `turn Multi-Assets Mode off first (PUT /v1/accounts/${account}/multi-assets {"multiAssetsMargin":false})`
    case "MultiAssetsBlocked":
      switch (e.reason) {
        case "isolated-symbols":
          return `switch every ISOLATED symbol to CROSSED first, or apply {"desired":{"multiAssets":true}} as a job (POST /v1/accounts/${account}/jobs), which plans that`
        case "open-orders":
          return `cancel every ${orders.replace("open orders", "open order")} of the account, then retry`
        case "negative-balance":
          return "transfer enough into the USDⓈ-M Futures wallet to bring every negative balance back to zero"
        case "insufficient-margin":
          return "add margin in the assets the positions are margined in, or reduce the positions"
        case "credits-lock":
          return "leave Multi-Assets Mode on: Credits Trading Mode accounts stay in it"
      }
      break
    case "PositionModeBlocked":
      return e.reason === "position" ? "close the open positions, then retry" : `cancel the ${orders}, then retry`
    case "AccountRejected":
      return e.reason === "insufficient-margin" ? "add margin to the account, then retry" : "check the account's state on Binance"
  }
  return "check the account's state"
}

export type UpstreamFailure = BlockedByRule | RateLimited | NotFound | UpstreamError | OutcomeUnknown | InvalidRequest

const isRule = (e: CoreErrors.BinanceError): e is CoreErrors.RuleRejection =>
  e._tag === "MarginTypeBlocked" || e._tag === "MultiAssetsBlocked" || e._tag === "PositionModeBlocked" ||
  e._tag === "AccountRejected"

/** Maps a core error to the contract's error (and sets Retry-After on 429). */
export const fromCore = (e: CoreErrors.BinanceError, account: string): Effect.Effect<never, UpstreamFailure> => {
  if (isRule(e)) {
    return Effect.fail(
      new BlockedByRule({
        code: e.code,
        reason: e.reason,
        ...("symbol" in e && e.symbol !== undefined ? { symbol: e.symbol } : {}),
        message: e.message,
        fix: fixFor(e, account)
      })
    )
  }
  switch (e._tag) {
    case "RateLimited":
    case "IpBanned": {
      const retry = e.retryAfterSeconds ?? (e._tag === "IpBanned" ? 120 : 60)
      return Effect.zipRight(
        setResponseHeader("retry-after", String(Math.max(1, Math.ceil(retry)))),
        Effect.fail(
          new RateLimited({
            source: e._tag === "IpBanned" ? "banned" : e.source,
            retryAfterSeconds: Math.max(1, Math.ceil(retry)),
            message: e.message
          })
        )
      )
    }
    case "UnknownSymbol":
      return Effect.fail(new NotFound({ resource: "symbol", name: e.symbol ?? "", message: e.message }))
    case "InvalidParameter":
      return Effect.fail(new InvalidRequest({ field: e.param ?? "(parameter)", message: e.message }))
    case "ExecutionUnknown":
      return Effect.fail(new OutcomeUnknown({ code: e.code, message: e.message }))
    default:
      return Effect.fail(new UpstreamError({ tag: e._tag, code: "code" in e ? e.code : null, message: e.message }))
  }
}

/** `effect` with its core errors mapped to the contract's. */
export const upstream = <A, R>(account: string) =>
(effect: Effect.Effect<A, CoreErrors.BinanceError, R>): Effect.Effect<A, UpstreamFailure, R> =>
  Effect.catchAll(effect, (e) => fromCore(e, account))

export type ReadFailure = RateLimited | NotFound | UpstreamError | InvalidRequest

const CORE_TAGS = new Set([
  "MarginTypeBlocked", "MultiAssetsBlocked", "PositionModeBlocked", "NoChangeNeeded", "AccountRejected", "OrderRejected",
  "InvalidParameter", "UnknownSymbol", "InvalidSignature", "InvalidApiKey", "TimestampOutsideWindow", "RateLimited",
  "IpBanned", "ExecutionUnknown", "ServiceUnavailable", "Transport", "UnexpectedResponse", "BinanceRejected", "SignerError"
])

const isCore = (e: { readonly _tag: string }): e is CoreErrors.BinanceError => CORE_TAGS.has(e._tag) && !(e instanceof RateLimited)

/**
 * For reads: core errors mapped (a rule rejection or an unknown outcome cannot happen on a read, but
 * would be a 502); the contract's own errors pass through.
 */
const fromCoreRead = (e: CoreErrors.BinanceError, account: string): Effect.Effect<never, ReadFailure> =>
  Effect.catchAll(fromCore(e, account), (x): Effect.Effect<never, ReadFailure> =>
    x._tag === "BlockedByRule" || x._tag === "OutcomeUnknown"
      ? Effect.fail(new UpstreamError({ tag: e._tag, code: x.code, message: x.message }))
      : Effect.fail(x))

export const upstreamRead = (account: string) =>
<A, E extends { readonly _tag: string }, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, CoreErrors.BinanceError> | ReadFailure, R> =>
  Effect.catchAll(effect, (e: E): Effect.Effect<never, Exclude<E, CoreErrors.BinanceError> | ReadFailure> =>
    isCore(e) ? fromCoreRead(e, account) : Effect.fail(e as Exclude<E, CoreErrors.BinanceError>))
