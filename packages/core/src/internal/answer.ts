/**
 * One HTTP answer of Binance before it is classified, and how a failed exchange is told apart:
 * certainly never sent, timed out, or lost on the way.
 * @internal
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import { type BinanceError, ExecutionUnknown, Transport } from "../Errors.js"
import { isTimedOut } from "../TimedHttpClient.js"

/** @internal The answer of one HTTP exchange; `json` is undefined when the body is not JSON. */
export interface RawAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
  readonly json: unknown
}

/** @internal */
export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** @internal `{code, msg}` of an error body (a negative code; `{"code":200,"msg":"success"}` is not one). */
export const errorBody = (json: unknown): { readonly code: number; readonly msg: string } | undefined => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined
  const { code, msg } = json as { code?: unknown; msg?: unknown }
  return typeof code === "number" && typeof msg === "string" ? { code, msg } : undefined
}

const codeOf = (value: unknown): string =>
  typeof value === "object" && value !== null && "code" in value ? String((value as { code: unknown }).code) : ""

/** Did the request certainly not reach the server? (connection refused / DNS) */
const neverSent = (msg: string): boolean => /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ERR_INVALID_URL/.test(msg)

/**
 * @internal A failed exchange as a typed error: a write that may have reached the server is
 * `ExecutionUnknown`, anything else `Transport` ("timeout" or "connection").
 */
export const transportError = (
  e: HttpClientError.HttpClientError,
  endpoint: string,
  write: boolean,
  timeoutMs: number
): BinanceError => {
  // Never use e.message: it names the URL, which carries the signature.
  const cause = (e as { cause?: unknown }).cause
  if (isTimedOut(cause)) {
    const msg = `no answer within ${timeoutMs} ms`
    return write
      ? new ExecutionUnknown({ status: 0, code: null, msg, endpoint })
      : new Transport({ status: 0, code: null, msg, endpoint, reason: "timeout" })
  }
  const errCode = codeOf(cause) || codeOf(typeof cause === "object" && cause !== null ? (cause as { cause?: unknown }).cause : undefined)
  const msg = e._tag === "RequestError" && e.reason === "Transport"
    ? errCode ? `connection failed (${errCode})` : "connection failed or was dropped"
    : e._tag === "ResponseError"
    ? `the answer could not be read (${e.reason})`
    : `request could not be sent (${e.reason})`
  return write && !neverSent(msg)
    ? new ExecutionUnknown({ status: 0, code: null, msg, endpoint })
    : new Transport({ status: 0, code: null, msg, endpoint, reason: "connection" })
}
