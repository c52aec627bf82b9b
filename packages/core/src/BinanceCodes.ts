/**
 * The one table of what Binance answers mean (reference: binance-usdm.md §1.3 and §4): every error
 * code this project knows with its name, HTTP status and exact messages, the typed error it becomes
 * (tag and reason), whether the request certainly did not execute, may have, or did, what retrying can
 * do, and a fix template. The answers without a code (418, 429, 403, the 503s, other 5xx, no answer)
 * and the local failures are the `CASES` below. `Errors.fromAnswer` classifies by it, `Explain` words
 * it for each surface, the planner names its blockers' codes from it and the simulator answers with
 * its messages. Codes and messages as on Binance's error-code page,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code (checked for the
 * position-mode codes -4059, -4067, -4068 and the leverage codes -4028, -4161).
 *
 * -4067 has two meanings by endpoint: from POST /fapi/v1/positionSide/dual it is what its name says
 * (open orders block the position-mode change); from POST /fapi/v1/marginType it is a misleading
 * answer to a no-op change on a flat symbol (reference §4 quirk), which `MarginClient.setMarginType`
 * settles by re-reading the symbol's margin type.
 *
 * Fix templates: `{name}` or `{name|fallback}` is a detail of the failure (symbol, account, host,
 * retryAfter, …); `{@action}` is how the surface reaching the person names a way to act (a CLI
 * command, a popup button, a gateway endpoint), from its `Explain.Vocabulary`.
 */

/** Whether the request certainly did not execute, may have executed, or did. */
export type Execution = "not-executed" | "may-have-executed" | "executed"

/**
 * What sending it again can do: nothing ("no"); soon, as it certainly did not execute ("transient"),
 * or soon if it is a read ("transient-read": a lost answer or a 5xx, which for a write is an unknown
 * outcome instead);
 * after the 429 pause ("after-pause"), after the 418 ban ("after-ban"), after the server clock is
 * measured again ("resync-clock"); only after re-reading the account ("reconcile"); or only later, by
 * a person, never automatically ("later").
 */
export type Retry = "no" | "transient" | "transient-read" | "after-pause" | "after-ban" | "resync-clock" | "reconcile" | "later"

/** The typed errors an answer becomes (the `_tag`s of `Errors.BinanceError`). */
export type AnswerTag =
  | "MarginTypeBlocked"
  | "MultiAssetsBlocked"
  | "PositionModeBlocked"
  | "NoChangeNeeded"
  | "AccountRejected"
  | "OrderRejected"
  | "InvalidParameter"
  | "UnknownSymbol"
  | "InvalidSignature"
  | "InvalidApiKey"
  | "TimestampOutsideWindow"
  | "RateLimited"
  | "IpBanned"
  | "ExecutionUnknown"
  | "ServiceUnavailable"
  | "Transport"
  | "UnexpectedResponse"
  | "BinanceRejected"

export interface CodeInfo {
  readonly code: number
  readonly name: string
  /** The HTTP status Binance answers with for this code (observed or inferred). */
  readonly status: number
  /** The first message is the default one; `%s` is filled by the server. */
  readonly messages: ReadonlyArray<string>
  readonly tag: AnswerTag
  /** The error's reason (its `setting` for NoChangeNeeded); null when the tag has none. */
  readonly reason: string | null
  /** A reason per message where the messages differ in meaning (same order as `messages`). */
  readonly messageReasons?: ReadonlyArray<string>
  readonly execution: Execution
  readonly retry: Retry
  /** Fix template; null: the fix of the tag's case (`CASES`), if any. */
  readonly fix: string | null
}

type Row = Omit<CodeInfo, "reason" | "execution" | "retry" | "fix" | "status"> &
  Partial<Pick<CodeInfo, "reason" | "execution" | "retry" | "fix" | "status">>

const row = (r: Row): CodeInfo => ({ status: 400, reason: null, execution: "not-executed", retry: "no", fix: null, ...r })

export const CODES: ReadonlyArray<CodeInfo> = [
  // 10xx – server / network
  row({ code: -1000, name: "UNKNOWN", status: 500, tag: "ExecutionUnknown", execution: "may-have-executed", retry: "reconcile", messages: ["An unknown error occured while processing the request."] }),
  row({ code: -1001, name: "DISCONNECTED", status: 503, tag: "ServiceUnavailable", reason: "internal", retry: "transient", messages: ["Internal error; unable to process your request. Please try again."] }),
  row({ code: -1002, name: "UNAUTHORIZED", status: 401, tag: "InvalidApiKey", reason: "unauthorized", messages: ["You are not authorized to execute this request."] }),
  row({
    code: -1003, name: "TOO_MANY_REQUESTS", status: 429, tag: "RateLimited", reason: "exchange", retry: "after-pause",
    messages: [
      "Too many requests; current limit is %s requests per minute. Please use the websocket for live updates to avoid polling the API.",
      "Way too many requests; IP banned until %s. Please use the websocket for live updates to avoid bans."
    ]
  }),
  row({ code: -1004, name: "DUPLICATE_IP", tag: "InvalidApiKey", reason: "ip-not-allowed", messages: ["This IP is already on the white list"] }),
  row({ code: -1005, name: "NO_SUCH_IP", tag: "InvalidApiKey", reason: "ip-not-allowed", messages: ["No such IP has been white listed"] }),
  row({ code: -1006, name: "UNEXPECTED_RESP", status: 500, tag: "ExecutionUnknown", execution: "may-have-executed", retry: "reconcile", messages: ["An unexpected response was received from the message bus. Execution status unknown."] }),
  row({ code: -1007, name: "TIMEOUT", status: 408, tag: "ExecutionUnknown", execution: "may-have-executed", retry: "reconcile", messages: ["Timeout waiting for response from backend server. Send status unknown; execution status unknown."] }),
  row({
    code: -1008, name: "REQUEST_THROTTLED", status: 503, tag: "ServiceUnavailable", reason: "throttled", retry: "transient",
    messages: [
      "Request throttled by system-level protection. Reduce-only/close-position orders are exempt. Please try again.",
      "Server is currently overloaded with other requests. Please try again in a few minutes."
    ]
  }),
  row({ code: -1010, name: "ERROR_MSG_RECEIVED", tag: "BinanceRejected", messages: ["ERROR_MSG_RECEIVED."] }),
  row({ code: -1011, name: "NON_WHITE_LIST", status: 403, tag: "InvalidApiKey", reason: "ip-not-allowed", messages: ["This IP cannot access this route."] }),
  row({ code: -1013, name: "INVALID_MESSAGE", tag: "BinanceRejected", messages: ["INVALID_MESSAGE."] }),
  row({ code: -1014, name: "UNKNOWN_ORDER_COMPOSITION", tag: "OrderRejected", messages: ["Unsupported order combination."] }),
  row({ code: -1015, name: "TOO_MANY_ORDERS", status: 429, tag: "RateLimited", reason: "exchange", retry: "after-pause", messages: ["Too many new orders.", "Too many new orders; current limit is %s orders per %s."] }),
  row({ code: -1016, name: "SERVICE_SHUTTING_DOWN", tag: "ServiceUnavailable", reason: "shutting-down", messages: ["This service is no longer available."] }),
  row({ code: -1020, name: "UNSUPPORTED_OPERATION", tag: "ServiceUnavailable", reason: "unsupported", messages: ["This operation is not supported."] }),
  row({
    code: -1021, name: "INVALID_TIMESTAMP", tag: "TimestampOutsideWindow", reason: "behind", messageReasons: ["behind", "ahead"], retry: "resync-clock",
    messages: ["Timestamp for this request is outside of the recvWindow.", "Timestamp for this request was 1000ms ahead of the server's time."]
  }),
  row({
    code: -1022, name: "INVALID_SIGNATURE", tag: "InvalidSignature", messages: ["Signature for this request is not valid."],
    fix: "the signature does not match the API key:{@secret} belongs to a different key or was copied incompletely"
  }),
  row({ code: -1023, name: "START_TIME_GREATER_THAN_END_TIME", tag: "InvalidParameter", reason: "bad-time-range", messages: ["Start time is greater than end time."] }),
  row({ code: -1099, name: "NOT_FOUND", tag: "InvalidApiKey", reason: "unauthorized", messages: ["Not found, unauthenticated, or unauthorized."] }),
  // 11xx – request problems
  row({ code: -1100, name: "ILLEGAL_CHARS", tag: "InvalidParameter", reason: "illegal-chars", messages: ["Illegal characters found in a parameter.", "Illegal characters found in parameter '%s'; legal range is '%s'."] }),
  row({
    code: -1101, name: "TOO_MANY_PARAMETERS", tag: "InvalidParameter", reason: "too-many", messageReasons: ["too-many", "too-many", "duplicate"],
    messages: ["Too many parameters sent for this endpoint.", "Too many parameters; expected '%s' and received '%s'.", "Duplicate values for a parameter detected."]
  }),
  row({
    code: -1102, name: "MANDATORY_PARAM_EMPTY_OR_MALFORMED", tag: "InvalidParameter", reason: "missing",
    messages: [
      "A mandatory parameter was not sent, was empty/null, or malformed.",
      "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
      "Param '%s' or '%s' must be sent, but both were empty/null!"
    ]
  }),
  row({ code: -1103, name: "UNKNOWN_PARAM", tag: "InvalidParameter", reason: "unknown", messages: ["An unknown parameter was sent."] }),
  row({ code: -1104, name: "UNREAD_PARAMETERS", tag: "InvalidParameter", reason: "unread", messages: ["Not all sent parameters were read.", "Not all sent parameters were read; read '%s' parameter(s) but was sent '%s'."] }),
  row({ code: -1105, name: "PARAM_EMPTY", tag: "InvalidParameter", reason: "empty", messages: ["A parameter was empty.", "Parameter '%s' was empty."] }),
  row({ code: -1106, name: "PARAM_NOT_REQUIRED", tag: "InvalidParameter", reason: "not-required", messages: ["A parameter was sent when not required.", "Parameter '%s' sent when not required."] }),
  row({ code: -1108, name: "BAD_ASSET", tag: "InvalidParameter", reason: "bad-asset", messages: ["Invalid asset."] }),
  row({ code: -1109, name: "BAD_ACCOUNT", tag: "InvalidParameter", reason: "bad-account", messages: ["Invalid account."] }),
  row({ code: -1111, name: "BAD_PRECISION", tag: "InvalidParameter", reason: "bad-precision", messages: ["Precision is over the maximum defined for this asset."] }),
  row({ code: -1116, name: "INVALID_ORDER_TYPE", tag: "OrderRejected", messages: ["Invalid orderType."] }),
  row({ code: -1121, name: "BAD_SYMBOL", tag: "UnknownSymbol", messages: ["Invalid symbol."] }),
  row({ code: -1122, name: "INVALID_SYMBOL_STATUS", tag: "UnknownSymbol", messages: ["Invalid symbol status."] }),
  row({
    code: -1125, name: "INVALID_LISTEN_KEY", tag: "InvalidParameter", reason: "listen-key", messages: ["This listenKey does not exist."],
    fix: "the user-data stream's key expired or was closed; a new one is created by opening the stream again"
  }),
  row({ code: -1128, name: "OPTIONAL_PARAMS_BAD_COMBO", tag: "InvalidParameter", reason: "bad-combination", messages: ["Combination of optional parameters invalid."] }),
  row({ code: -1130, name: "INVALID_PARAMETER", tag: "InvalidParameter", reason: "invalid", messages: ["Invalid data sent for a parameter.", "Data sent for parameter '%s' is not valid."] }),
  // 20xx – processing / auth
  row({
    code: -2014, name: "BAD_API_KEY_FMT", status: 401, tag: "InvalidApiKey", reason: "format", messages: ["API-key format invalid."],
    fix: "the API key is malformed: check{@apiKey} for stray spaces or quotes"
  }),
  row({
    code: -2015, name: "REJECTED_MBX_KEY", status: 401, tag: "InvalidApiKey", reason: "rejected", messages: ["Invalid API-key, IP, or permissions for action."],
    fix: "Binance rejected the API key: it does not exist on this exchange (production, testnet and demo keys are separate), " +
      "lacks a permission this call needs (Enable Futures; trading permission for changes), or this IP is not on the key's allow list"
  }),
  row({ code: -2019, name: "MARGIN_NOT_SUFFICIEN", tag: "AccountRejected", reason: "insufficient-margin", messages: ["Margin is insufficient."] }),
  row({ code: -2023, name: "USER_IN_LIQUIDATION", tag: "AccountRejected", reason: "liquidation", messages: ["User in liquidation mode now."] }),
  // 40xx – margin type / position mode / Multi-Assets
  // POST /fapi/v1/leverage above the symbol's maximum (its first bracket's initialLeverage).
  row({ code: -4028, name: "INVALID_LEVERAGE", tag: "InvalidParameter", reason: "leverage", messages: ["Leverage %s is not valid"], fix: "choose a leverage from 1 to {symbol|the symbol}'s maximum" }),
  row({ code: -4046, name: "NO_NEED_TO_CHANGE_MARGIN_TYPE", tag: "NoChangeNeeded", reason: "margin-type", execution: "executed", messages: ["No need to change margin type."] }),
  row({
    code: -4047, name: "THERE_EXISTS_OPEN_ORDERS", tag: "MarginTypeBlocked", reason: "open-orders", messages: ["Margin type cannot be changed if there exists open orders."],
    fix: "{symbol|the symbol} has open orders, and its margin type cannot change while orders are open; cancel them (or wait until they fill), then retry"
  }),
  row({
    code: -4048, name: "THERE_EXISTS_QUANTITY", tag: "MarginTypeBlocked", reason: "position", messages: ["Margin type cannot be changed if there exists position."],
    fix: "{symbol|the symbol} has an open position, and its margin type only changes on a flat symbol; close the position first"
  }),
  row({ code: -4049, name: "ADD_ISOLATED_MARGIN_REJECT", tag: "AccountRejected", reason: "balance", messages: ["Add margin only support for isolated position."] }),
  row({ code: -4050, name: "CROSS_BALANCE_INSUFFICIENT", tag: "AccountRejected", reason: "insufficient-margin", messages: ["Cross balance insufficient."] }),
  row({ code: -4051, name: "ISOLATED_BALANCE_INSUFFICIENT", tag: "AccountRejected", reason: "balance", messages: ["Isolated balance insufficient."] }),
  row({ code: -4052, name: "NO_NEED_TO_CHANGE_AUTO_ADD_MARGIN", tag: "NoChangeNeeded", reason: "auto-add-margin", execution: "executed", messages: ["No need to change auto add margin."] }),
  row({ code: -4053, name: "AUTO_ADD_CROSSED_MARGIN_REJECT", tag: "AccountRejected", reason: "balance", messages: ["Auto add margin only support for isolated position."] }),
  row({ code: -4054, name: "ADD_ISOLATED_MARGIN_NO_POSITION_REJECT", tag: "AccountRejected", reason: "balance", messages: ["Cannot add position margin: position is 0."] }),
  row({ code: -4059, name: "NO_NEED_TO_CHANGE_POSITION_SIDE", tag: "NoChangeNeeded", reason: "position-side", execution: "executed", messages: ["No need to change position side."] }),
  row({
    code: -4067, name: "POSITION_SIDE_CHANGE_EXISTS_OPEN_ORDERS", tag: "PositionModeBlocked", reason: "open-orders", messages: ["Position side cannot be changed if there exists open orders."],
    fix: "{symbol|a symbol} has open orders, which block this change; cancel them first"
  }),
  row({
    code: -4068, name: "POSITION_SIDE_CHANGE_EXISTS_QUANTITY", tag: "PositionModeBlocked", reason: "position", messages: ["Position side cannot be changed if there exists position."],
    fix: "{symbol|a symbol} has an open position, which blocks this change; close it first"
  }),
  row({ code: -4109, name: "INACTIVE_ACCOUNT", tag: "AccountRejected", reason: "inactive", messages: ["Inactive account", "Transfer any amount of asset to future wallet to reactive"], fix: "transfer any amount of an asset into the USDⓈ-M Futures wallet to reactivate the account" }),
  row({ code: -4161, name: "ISOLATED_LEVERAGE_REJECT_WITH_POSITION", tag: "AccountRejected", reason: "leverage", messages: ["Leverage reduction is not supported in Isolated Margin Mode with open positions"],
    fix: "{symbol|the symbol} is ISOLATED with an open position, and its leverage can only go down on a flat symbol; close the position first, or keep the leverage" }),
  row({ code: -4164, name: "MIN_NOTIONAL", tag: "OrderRejected", messages: ["Order's notional must be no smaller than 5.0 (unless you choose reduce only)", "Order's notional must be no smaller than %s (unless you choose reduce only)"] }),
  row({ code: -4165, name: "INVALID_TIME_INTERVAL", tag: "InvalidParameter", reason: "bad-time-range", messages: ["Invalid time interval", "Maximum time interval is %s days"] }),
  row({
    code: -4167, name: "ISOLATED_REJECT_WITH_JOINT_MARGIN", tag: "MultiAssetsBlocked", reason: "isolated-symbols",
    messages: ["Unable to adjust to Multi-Assets mode with symbols of USDⓈ-M Futures under isolated-margin mode."],
    fix: "some symbols use isolated margin, which Multi-Assets Mode does not allow; switch every ISOLATED symbol to CROSSED first{@allCrossed}"
  }),
  row({
    code: -4168, name: "JOINT_MARGIN_REJECT_WITH_ISOLATED", tag: "MarginTypeBlocked", reason: "multi-assets",
    messages: ["Unable to adjust to isolated-margin mode under the Multi-Assets mode."],
    fix: "turn Multi-Assets Mode off first{@multiAssetsOff}: it allows only cross margin"
  }),
  row({
    code: -4169, name: "JOINT_MARGIN_REJECT_WITH_MB", tag: "MultiAssetsBlocked", reason: "insufficient-margin",
    messages: ["Unable to adjust Multi-Assets Mode with insufficient margin balance in USDⓈ-M Futures."],
    fix: "the account would not have enough margin in the new mode (or it is in Credits Trading Mode, which stays in Multi-Assets Mode): " +
      "add margin in the positions' own asset or reduce the positions first"
  }),
  row({
    code: -4170, name: "JOINT_MARGIN_REJECT_WITH_OPEN_ORDER", tag: "MultiAssetsBlocked", reason: "open-orders",
    messages: ["Unable to adjust Multi-Assets Mode with open orders in USDⓈ-M Futures."],
    fix: "the account has open orders, and Multi-Assets Mode cannot change while any order is open (conditional ones included); cancel them first{@showOrders}"
  }),
  row({ code: -4171, name: "NO_NEED_TO_CHANGE_JOINT_MARGIN", tag: "NoChangeNeeded", reason: "multi-assets", execution: "executed", messages: ["Adjusted asset mode is currently set and does not need to be adjusted repeatedly."] }),
  row({
    code: -4172, name: "JOINT_MARGIN_REJECT_WITH_NEGATIVE_BALANCE", tag: "MultiAssetsBlocked", reason: "negative-balance",
    messages: ["Unable to adjust Multi-Assets Mode with a negative wallet balance of margin available asset in USDⓈ-M Futures account."],
    fix: "an asset in the futures wallet has a negative balance, and Multi-Assets Mode cannot change while one does; " +
      "transfer enough of that asset into the USDⓈ-M Futures wallet first{@showCollateral}"
  }),
  row({ code: -4183, name: "PRICE_HIGHER_THAN_STOP_MULTIPLIER_CAP", tag: "OrderRejected", messages: ["Price is higher than stop price multiplier cap.", "Limit price can't be higher than %s."] }),
  row({ code: -4184, name: "PRICE_LOWER_THAN_STOP_MULTIPLIER_DOWN", tag: "OrderRejected", messages: ["Price is lower than stop price multiplier floor.", "Limit price can't be lower than %s."] }),
  row({
    code: -4531, name: "POSITION_MODE_SYNC_REQUIRED", tag: "PositionModeBlocked", reason: "sync-required",
    messages: ["Position mode change requires syncing UM and CM. Please close any open positions or orders in CM and try again."],
    fix: "the position mode is shared with COIN-M Futures: close the open positions and orders there first"
  }),
  row({ code: -5028, name: "ME_RECVWINDOW_REJECT", tag: "TimestampOutsideWindow", reason: "matching-engine", messages: ["Timestamp for this request is outside of the ME recvWindow."] })
]

const byCode = new Map(CODES.map((c) => [c.code, c]))

export const codeInfo = (code: number): CodeInfo | undefined => byCode.get(code)

/** The code Binance answers with for this error and reason (the planner names its blockers by it). */
export const codeOf = (tag: AnswerTag, reason: string | null): number => {
  const found = CODES.find((c) => c.tag === tag && c.reason === reason)
  if (found === undefined) throw new Error(`no code for ${tag} ${reason}`)
  return found.code
}

/** The reason an answer with this code and message carries (null when its tag has none). */
export const reasonOf = (info: CodeInfo, msg: string): string | null => {
  const i = info.messageReasons === undefined ? -1 : info.messages.findIndex((m) => sameMessage(m, msg))
  return i >= 0 ? info.messageReasons![i]! : info.reason
}

/** A message matches its template with any text for `%s` and any number where the template has one. */
const sameMessage = (template: string, msg: string): boolean =>
  new RegExp(`^${template.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/%s/g, ".*").replace(/\d+/g, "\\d+")}$`).test(msg)

/** The default message of a code, with `%s` placeholders filled in order. */
export const messageOf = (code: number, index = 0, ...fill: Array<string | number>): string => {
  const template = byCode.get(code)?.messages[index] ?? byCode.get(code)?.messages[0] ?? "Unknown error."
  let i = 0
  return template.replace(/%s/g, () => String(fill[i++] ?? ""))
}

/** The four HTTP 503 variants (reference §1.3) and the error each becomes. */
export const SERVICE_503 = {
  unknown: "Unknown error, please check your request or try again later.",
  unavailable: "Service Unavailable.",
  internal: "Internal error; unable to process your request. Please try again.",
  throttled:
    "Request throttled by system-level protection. Reduce-only/close-position orders are exempt. Please try again."
} as const
export type Service503 = keyof typeof SERVICE_503

/**
 * The answers without a code of their own and the failures before or without an answer: by error tag,
 * or `tag:reason` where the reason changes what it means. A code's own row comes first.
 */
export interface CaseInfo {
  readonly execution: Execution
  readonly retry: Retry
  readonly fix: string | null
}

const kase = (retry: Retry, fix: string | null, execution: Execution = "not-executed"): CaseInfo => ({ execution, retry, fix })

export const CASES: Readonly<Record<string, CaseInfo>> = {
  // 418 (and a -1003 "banned until"): nothing is sent until the ban ends.
  "IpBanned": kase(
    "after-ban",
    "Binance banned this IP{until} for sending after a 429; send nothing before then, since every request during a ban makes the next one longer"
  ),
  // 429 / -1003 / -1015.
  "RateLimited:exchange": kase("after-pause", "Binance rate-limited this IP (HTTP 429); wait {retryAfter|a minute} before retrying, and avoid sending many requests at once"),
  // 403: "the WAF limit was violated"; waiting it out automatically makes it worse.
  "RateLimited:firewall": kase(
    "later",
    "Binance's web application firewall refused this IP (HTTP 403), which it does after too many requests; send nothing for {retryAfter|a few minutes}, then retry one request at a time"
  ),
  // The local weight budget refusing a wait longer than allowed.
  "RateLimited:budget": kase("after-pause", "the request-weight budget for this minute is used up and waiting would take too long; retry in {retryAfter|a minute}"),
  // 503 "Unknown error…", other 5xx, 408/504 or no answer to a write; -1006, -1007.
  "ExecutionUnknown": kase(
    "reconcile",
    "Binance did not say whether the change was made, and re-reading the account did not settle it; check the account's state{@reread}, then send the same change again (it only changes what is not yet as asked)",
    "may-have-executed"
  ),
  // 503 "Service Unavailable." / "Internal error…" / throttled; other 5xx on a read.
  "ServiceUnavailable": kase("transient", "Binance is unavailable or overloaded and did not execute the request; retry in a minute"),
  "ServiceUnavailable:server-error": kase("transient-read", "Binance is unavailable or overloaded and did not execute the request; retry in a minute"),
  "ServiceUnavailable:shutting-down": kase("no", null),
  "ServiceUnavailable:unsupported": kase("no", null),
  // The user-data stream could not be kept connected, and reconnecting gave up.
  "StreamConnectionLost": kase("transient", "the connection to {host|the exchange}'s user-data stream kept failing: check the network, then start again"),
  // No answer to a read.
  "Transport": kase("transient-read", "could not reach {host|the exchange}: check the network{@target}"),
  // 401 without a code, and the key's other refusals.
  "InvalidApiKey": kase("no", "Binance does not accept this API key for this call: check the key, its permissions and its IP allow list"),
  "InvalidApiKey:ip-not-allowed": kase("no", "Binance does not accept calls from this IP with this key: add the IP to the key's allow list on Binance"),
  "TimestampOutsideWindow": kase("resync-clock", null),
  // The matching engine's own window: measuring the clock again does not help.
  "TimestampOutsideWindow:matching-engine": kase("no", null),
  "InvalidParameter": kase("no", "Binance refused a parameter that was sent; please report this with what was asked"),
  "UnknownSymbol": kase("no", "{symbol|the symbol} is not a symbol of this exchange{@listSymbols}"),
  "MultiAssetsBlocked:credits-lock": kase("no", "the account is in Credits Trading Mode (BNFCR), which only runs in Multi-Assets Mode; it cannot be turned off"),
  "AccountRejected": kase("no", "check the account's state on Binance"),
  "AccountRejected:insufficient-margin": kase("no", "add margin to the account, then retry"),
  "NoChangeNeeded": kase("no", null, "executed"),
  "OrderRejected": kase("no", null),
  "BinanceRejected": kase("no", null),
  // An answer that is not what the endpoint documents.
  "UnexpectedResponse": kase("no", "the answer is not what Binance documents; check that the target is a Binance USDⓈ-M Futures API"),
  // Local failures: nothing was sent.
  "SignerError": kase("no", "check the signing key{@signingKey}"),
  "InvalidInput": kase("no", null),
  "DesiredStateRejected": kase("no", "change the desired state and try again")
}

/** A failure as the table looks it up: its tag, and its code and reason when it has them. */
export interface Lookup {
  readonly _tag: string
  readonly code?: number | null | undefined
  readonly reason?: string | undefined
  readonly source?: string | undefined
  readonly setting?: string | undefined
}

/**
 * What the table knows of a failure: its code's row (when the row describes this tag; a ban may carry
 * -1003, a rate-limit row), the case of its tag and reason, and the case of its tag.
 */
export const lookup = (f: Lookup): {
  readonly row: CodeInfo | undefined
  readonly specific: CaseInfo | undefined
  readonly general: CaseInfo | undefined
} => {
  const found = typeof f.code === "number" ? byCode.get(f.code) : undefined
  const reason = f.reason ?? f.source ?? f.setting
  return {
    row: found !== undefined && (found.tag === f._tag || f._tag === "PlannedBlocker") ? found : undefined,
    specific: reason === undefined ? undefined : CASES[`${f._tag}:${reason}`],
    general: CASES[f._tag]
  }
}

/** What sending a failed request again can do (the row's, else the case's; "no" when the table does not know it). */
export const retryOf = (f: Lookup): Retry => retryIn(lookup(f))

/** The retry of what `lookup` found. */
export const retryIn = (found: ReturnType<typeof lookup>): Retry =>
  found.row?.retry ?? found.specific?.retry ?? found.general?.retry ?? "no"
