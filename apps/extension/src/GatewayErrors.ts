/**
 * The gateway's failures in the extension's words. The client derived from the gateway's HttpApi
 * contract fails with the contract's own error classes, decoded from the answer's status and body
 * (`HttpApiDecodeError` for a request the gateway could not read), with `HttpClientError` when the gateway cannot be reached or answers outside the contract, and with
 * `ParseError` when a body does not decode; a job's event stream adds `JobInterrupted` and
 * `JobProgressLost`. Each is handled by its tag (`Effect.catchTags`). A Binance failure the gateway
 * relays is worded by the core's `Explain` (through `Vocabulary`), never here.
 */
import type { HttpApiDecodeError } from "@effect/platform/HttpApiError"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as Explain from "@marginctl/core/Explain"
import type {
  BlockedByRule,
  Forbidden,
  InvalidRequest,
  NotFound,
  OutcomeUnknown,
  PayloadTooLarge,
  PolicyViolation,
  RateLimited,
  StoreUnavailable,
  Unauthenticated,
  UpstreamError
} from "@marginctl/gateway-api/Errors"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as ParseResult from "effect/ParseResult"
import { UserError } from "./UserErrors.js"
import { explain } from "./Vocabulary.js"

/** The gateway stopped the job (shutdown, crash) before it finished: its event stream said `Interrupted`. */
export class JobInterrupted extends Data.TaggedError("JobInterrupted")<{ readonly jobId: string }> {}

/** The job's event stream kept ending before `Done`, even after reconnecting. */
export class JobProgressLost extends Data.TaggedError("JobProgressLost")<{ readonly jobId: string }> {}

/** Every way a call to the gateway can fail. */
export type GatewayFailure =
  | HttpApiDecodeError
  | InvalidRequest
  | Unauthenticated
  | Forbidden
  | NotFound
  | BlockedByRule
  | RateLimited
  | PayloadTooLarge
  | PolicyViolation
  | UpstreamError
  | OutcomeUnknown
  | StoreUnavailable
  | JobInterrupted
  | JobProgressLost
  | HttpClientError.HttpClientError
  | ParseResult.ParseError

const fail = (fields: ConstructorParameters<typeof UserError>[0]) => Effect.fail(new UserError(fields))

const unexpected = (host: string, detail: string) =>
  fail({
    kind: "network",
    title: `The gateway at ${host} sent an unexpected answer`,
    detail,
    fix: "Check the gateway URL in the options page, and that the gateway is up to date."
  })

/** A call to the gateway at `host` for its account `account`, failing with a `UserError` in plain words. */
export const worded = (host: string, account: string) => <A>(effect: Effect.Effect<A, GatewayFailure>): Effect.Effect<A, UserError> =>
  Effect.catchTags(effect, {
    Unauthenticated: () =>
      fail({
        kind: "auth",
        title: "The gateway did not accept the token",
        detail: `${host} answered 401.`,
        fix: "Check the token of this account in the options page."
      }),
    Forbidden: (e) =>
      fail({
        kind: "auth",
        title: e.reason === "scope" ? "The token may not do this" : `The token may not use account ${account}`,
        detail: e.message,
        fix: e.reason === "scope"
          ? "Ask for a token with the write scope to change settings."
          : "Ask the gateway's operator to add this account to the token."
      }),
    NotFound: (e) =>
      fail({
        kind: "setup",
        title: e.resource === "account" ? `The gateway has no account ${account}` : `The gateway has no ${e.resource} ${e.name}`,
        detail: e.message,
        ...(e.resource === "account" ? { fix: "Check the gateway account name in the options page." } : {})
      }),
    HttpApiDecodeError: (e) => fail({ kind: "input", title: "The gateway refused the request", detail: e.message }),
    InvalidRequest: (e) => fail({ kind: "input", title: "The gateway refused the request", detail: `${e.field}: ${e.message}` }),
    PayloadTooLarge: (e) =>
      fail({ kind: "input", title: "The gateway refused the request", detail: `It is larger than the ${e.limitBytes} bytes the gateway accepts.` }),
    BlockedByRule: (e) => {
      const detail = { reason: e.reason, symbol: e.symbol }
      return fail(explain(e.code === null ? { _tag: "AccountRejected", ...detail, msg: e.message } : Explain.ofCode(e.code, detail)))
    },
    PolicyViolation: (e) =>
      fail({
        kind: "blocked",
        title: "The account's policy does not allow this change",
        detail: e.message,
        fix: `Ask the gateway's operator about the account's ${e.rule} rule, or choose a setting it allows.`
      }),
    RateLimited: (e) =>
      fail(explain({
        _tag: e.source === "banned" ? "IpBanned" : "RateLimited",
        source: e.source,
        retryAfterSeconds: e.retryAfterSeconds,
        msg: e.message
      })),
    UpstreamError: (e) => fail(explain({ _tag: e.tag, code: e.code, msg: e.message })),
    OutcomeUnknown: (e) => fail(explain({ _tag: "ExecutionUnknown", code: e.code, msg: e.message })),
    StoreUnavailable: (e) =>
      fail({
        kind: "network",
        title: "The gateway cannot record changes right now",
        detail: "Its audit and job store is not answering, so it sends nothing to Binance.",
        fix: `Try again in ${e.retryAfterSeconds} seconds.`
      }),
    JobInterrupted: (e) =>
      fail({
        kind: "unknown-outcome",
        title: "The gateway stopped the job before it finished",
        detail: `Job ${e.jobId} was interrupted.`,
        fix: "Reopen the popup to read the account's current state before trying again."
      }),
    JobProgressLost: (e) =>
      fail({
        kind: "unknown-outcome",
        title: "Lost track of the gateway's job",
        detail: `The progress of job ${e.jobId} stopped arriving before it finished.`,
        fix: "Reopen the popup to read the account's current state before trying again."
      }),
    RequestError: () =>
      fail({
        kind: "network",
        title: `Could not reach the gateway at ${host}`,
        detail: "The connection failed.",
        fix: "Check that the gateway is running and the URL in the options page."
      }),
    ResponseError: (e) => unexpected(host, `HTTP ${e.response.status}.`),
    ParseError: () => unexpected(host, "The answer does not match the gateway's contract.")
  })
