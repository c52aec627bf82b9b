/**
 * The core's errors as the contract's: rule rejections → 409 with the fix in the gateway's words,
 * limits → 429 (with Retry-After: `ResponseHeaders.retryAfterOf`), unknown outcome → 504, the rest → 502; the contract's own errors pass
 * through. Messages come from core errors, which never carry a secret, a key or a signed URL.
 */
import { isBinanceError, isRuleRejection } from "@marginctl/core/Errors"
import type * as CoreErrors from "@marginctl/core/Errors"
import {
  BlockedByRule,
  InvalidRequest,
  NotFound,
  OutcomeUnknown,
  RateLimited,
  UpstreamError
} from "@marginctl/gateway-api/Errors"
import * as Effect from "effect/Effect"
import { fixFor } from "../Vocabulary.js"

export type UpstreamFailure = BlockedByRule | RateLimited | NotFound | UpstreamError | OutcomeUnknown | InvalidRequest

/** Maps a core error to the contract's error (and sets Retry-After on 429). */
export const fromCore = (e: CoreErrors.BinanceError, account: string): Effect.Effect<never, UpstreamFailure> => {
  if (isRuleRejection(e)) {
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
      return Effect.fail(
        new RateLimited({ source: e._tag === "IpBanned" ? "banned" : e.source, retryAfterSeconds: Math.max(1, Math.ceil(retry)), message: e.message })
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

/** `effect` with its core errors mapped by `map`; every other error passes through. */
const mappingCore = <F>(map: (e: CoreErrors.BinanceError) => Effect.Effect<never, F>) =>
<A, E extends { readonly _tag: string }, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, CoreErrors.BinanceError> | F, R> =>
  Effect.catchAll(effect, (e: E): Effect.Effect<never, Exclude<E, CoreErrors.BinanceError> | F> =>
    isBinanceError(e) ? map(e) : Effect.fail(e as Exclude<E, CoreErrors.BinanceError>))

/** `effect` with its core errors mapped to the contract's; the contract's own errors pass through. */
export const upstream = (account: string) => mappingCore((e) => fromCore(e, account))

export type ReadFailure = RateLimited | NotFound | UpstreamError | InvalidRequest

/**
 * For reads: the same, except that a rule rejection or an unknown outcome (which cannot happen on a
 * read) is a 502.
 */
export const upstreamRead = (account: string) =>
  mappingCore((e) =>
    Effect.catchIf(fromCore(e, account), (x): x is BlockedByRule | OutcomeUnknown => x._tag === "BlockedByRule" || x._tag === "OutcomeUnknown", (x) =>
      Effect.fail(new UpstreamError({ tag: e._tag, code: x.code, message: x.message }))))
