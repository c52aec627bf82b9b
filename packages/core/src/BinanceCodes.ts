/**
 * Binance USDⓈ-M error codes relevant to this tool, with their names and exact messages
 * (reference: binance-usdm.md §4). The first message is the default one; `%s` is filled by the server.
 * Shared by the client (to classify answers) and the simulator (to produce them).
 */

export interface CodeInfo {
  readonly code: number
  readonly name: string
  readonly messages: ReadonlyArray<string>
  /** The HTTP status Binance answers with for this code (observed or inferred). */
  readonly status: number
}

const entry = (code: number, name: string, status: number, ...messages: Array<string>): CodeInfo => ({
  code,
  name,
  status,
  messages
})

export const CODES: ReadonlyArray<CodeInfo> = [
  // 10xx – server / network
  entry(-1000, "UNKNOWN", 500, "An unknown error occured while processing the request."),
  entry(-1001, "DISCONNECTED", 503, "Internal error; unable to process your request. Please try again."),
  entry(-1002, "UNAUTHORIZED", 401, "You are not authorized to execute this request."),
  entry(
    -1003,
    "TOO_MANY_REQUESTS",
    429,
    "Too many requests; current limit is %s requests per minute. Please use the websocket for live updates to avoid polling the API.",
    "Way too many requests; IP banned until %s. Please use the websocket for live updates to avoid bans."
  ),
  entry(-1004, "DUPLICATE_IP", 400, "This IP is already on the white list"),
  entry(-1005, "NO_SUCH_IP", 400, "No such IP has been white listed"),
  entry(
    -1006,
    "UNEXPECTED_RESP",
    500,
    "An unexpected response was received from the message bus. Execution status unknown."
  ),
  entry(
    -1007,
    "TIMEOUT",
    408,
    "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
  ),
  entry(
    -1008,
    "REQUEST_THROTTLED",
    503,
    "Request throttled by system-level protection. Reduce-only/close-position orders are exempt. Please try again.",
    "Server is currently overloaded with other requests. Please try again in a few minutes."
  ),
  entry(-1010, "ERROR_MSG_RECEIVED", 400, "ERROR_MSG_RECEIVED."),
  entry(-1011, "NON_WHITE_LIST", 403, "This IP cannot access this route."),
  entry(-1013, "INVALID_MESSAGE", 400, "INVALID_MESSAGE."),
  entry(-1014, "UNKNOWN_ORDER_COMPOSITION", 400, "Unsupported order combination."),
  entry(-1015, "TOO_MANY_ORDERS", 429, "Too many new orders.", "Too many new orders; current limit is %s orders per %s."),
  entry(-1016, "SERVICE_SHUTTING_DOWN", 400, "This service is no longer available."),
  entry(-1020, "UNSUPPORTED_OPERATION", 400, "This operation is not supported."),
  entry(
    -1021,
    "INVALID_TIMESTAMP",
    400,
    "Timestamp for this request is outside of the recvWindow.",
    "Timestamp for this request was 1000ms ahead of the server's time."
  ),
  entry(-1022, "INVALID_SIGNATURE", 400, "Signature for this request is not valid."),
  entry(-1023, "START_TIME_GREATER_THAN_END_TIME", 400, "Start time is greater than end time."),
  entry(-1099, "NOT_FOUND", 400, "Not found, unauthenticated, or unauthorized."),
  // 11xx – request problems
  entry(
    -1100,
    "ILLEGAL_CHARS",
    400,
    "Illegal characters found in a parameter.",
    "Illegal characters found in parameter '%s'; legal range is '%s'."
  ),
  entry(
    -1101,
    "TOO_MANY_PARAMETERS",
    400,
    "Too many parameters sent for this endpoint.",
    "Too many parameters; expected '%s' and received '%s'.",
    "Duplicate values for a parameter detected."
  ),
  entry(
    -1102,
    "MANDATORY_PARAM_EMPTY_OR_MALFORMED",
    400,
    "A mandatory parameter was not sent, was empty/null, or malformed.",
    "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
    "Param '%s' or '%s' must be sent, but both were empty/null!"
  ),
  entry(-1103, "UNKNOWN_PARAM", 400, "An unknown parameter was sent."),
  entry(
    -1104,
    "UNREAD_PARAMETERS",
    400,
    "Not all sent parameters were read.",
    "Not all sent parameters were read; read '%s' parameter(s) but was sent '%s'."
  ),
  entry(-1105, "PARAM_EMPTY", 400, "A parameter was empty.", "Parameter '%s' was empty."),
  entry(-1106, "PARAM_NOT_REQUIRED", 400, "A parameter was sent when not required.", "Parameter '%s' sent when not required."),
  entry(-1108, "BAD_ASSET", 400, "Invalid asset."),
  entry(-1109, "BAD_ACCOUNT", 400, "Invalid account."),
  entry(-1111, "BAD_PRECISION", 400, "Precision is over the maximum defined for this asset."),
  entry(-1116, "INVALID_ORDER_TYPE", 400, "Invalid orderType."),
  entry(-1121, "BAD_SYMBOL", 400, "Invalid symbol."),
  entry(-1122, "INVALID_SYMBOL_STATUS", 400, "Invalid symbol status."),
  entry(-1128, "OPTIONAL_PARAMS_BAD_COMBO", 400, "Combination of optional parameters invalid."),
  entry(-1130, "INVALID_PARAMETER", 400, "Invalid data sent for a parameter.", "Data sent for parameter '%s' is not valid."),
  // 20xx – processing / auth
  entry(-2014, "BAD_API_KEY_FMT", 401, "API-key format invalid."),
  entry(-2015, "REJECTED_MBX_KEY", 401, "Invalid API-key, IP, or permissions for action."),
  entry(-2019, "MARGIN_NOT_SUFFICIEN", 400, "Margin is insufficient."),
  entry(-2023, "USER_IN_LIQUIDATION", 400, "User in liquidation mode now."),
  // 40xx – margin type / position mode / Multi-Assets
  entry(-4046, "NO_NEED_TO_CHANGE_MARGIN_TYPE", 400, "No need to change margin type."),
  entry(-4047, "THERE_EXISTS_OPEN_ORDERS", 400, "Margin type cannot be changed if there exists open orders."),
  entry(-4048, "THERE_EXISTS_QUANTITY", 400, "Margin type cannot be changed if there exists position."),
  entry(-4049, "ADD_ISOLATED_MARGIN_REJECT", 400, "Add margin only support for isolated position."),
  entry(-4050, "CROSS_BALANCE_INSUFFICIENT", 400, "Cross balance insufficient."),
  entry(-4051, "ISOLATED_BALANCE_INSUFFICIENT", 400, "Isolated balance insufficient."),
  entry(-4052, "NO_NEED_TO_CHANGE_AUTO_ADD_MARGIN", 400, "No need to change auto add margin."),
  entry(-4053, "AUTO_ADD_CROSSED_MARGIN_REJECT", 400, "Auto add margin only support for isolated position."),
  entry(-4054, "ADD_ISOLATED_MARGIN_NO_POSITION_REJECT", 400, "Cannot add position margin: position is 0."),
  entry(-4059, "NO_NEED_TO_CHANGE_POSITION_SIDE", 400, "No need to change position side."),
  entry(
    -4067,
    "POSITION_SIDE_CHANGE_EXISTS_OPEN_ORDERS",
    400,
    "Position side cannot be changed if there exists open orders."
  ),
  entry(-4068, "POSITION_SIDE_CHANGE_EXISTS_QUANTITY", 400, "Position side cannot be changed if there exists position."),
  entry(
    -4109,
    "INACTIVE_ACCOUNT",
    400,
    "Inactive account",
    "Transfer any amount of asset to future wallet to reactive"
  ),
  entry(
    -4161,
    "ISOLATED_LEVERAGE_REJECT_WITH_POSITION",
    400,
    "Leverage reduction is not supported in Isolated Margin Mode with open positions"
  ),
  entry(
    -4164,
    "MIN_NOTIONAL",
    400,
    "Order's notional must be no smaller than 5.0 (unless you choose reduce only)",
    "Order's notional must be no smaller than %s (unless you choose reduce only)"
  ),
  entry(-4165, "INVALID_TIME_INTERVAL", 400, "Invalid time interval", "Maximum time interval is %s days"),
  entry(
    -4167,
    "ISOLATED_REJECT_WITH_JOINT_MARGIN",
    400,
    "Unable to adjust to Multi-Assets mode with symbols of USDⓈ-M Futures under isolated-margin mode."
  ),
  entry(
    -4168,
    "JOINT_MARGIN_REJECT_WITH_ISOLATED",
    400,
    "Unable to adjust to isolated-margin mode under the Multi-Assets mode."
  ),
  entry(
    -4169,
    "JOINT_MARGIN_REJECT_WITH_MB",
    400,
    "Unable to adjust Multi-Assets Mode with insufficient margin balance in USDⓈ-M Futures."
  ),
  entry(
    -4170,
    "JOINT_MARGIN_REJECT_WITH_OPEN_ORDER",
    400,
    "Unable to adjust Multi-Assets Mode with open orders in USDⓈ-M Futures."
  ),
  entry(
    -4171,
    "NO_NEED_TO_CHANGE_JOINT_MARGIN",
    400,
    "Adjusted asset mode is currently set and does not need to be adjusted repeatedly."
  ),
  entry(
    -4172,
    "JOINT_MARGIN_REJECT_WITH_NEGATIVE_BALANCE",
    400,
    "Unable to adjust Multi-Assets Mode with a negative wallet balance of margin available asset in USDⓈ-M Futures account."
  ),
  entry(
    -4183,
    "PRICE_HIGHER_THAN_STOP_MULTIPLIER_CAP",
    400,
    "Price is higher than stop price multiplier cap.",
    "Limit price can't be higher than %s."
  ),
  entry(
    -4184,
    "PRICE_LOWER_THAN_STOP_MULTIPLIER_DOWN",
    400,
    "Price is lower than stop price multiplier floor.",
    "Limit price can't be lower than %s."
  ),
  entry(
    -4531,
    "POSITION_MODE_SYNC_REQUIRED",
    400,
    "Position mode change requires syncing UM and CM. Please close any open positions or orders in CM and try again."
  ),
  entry(-5028, "ME_RECVWINDOW_REJECT", 400, "Timestamp for this request is outside of the ME recvWindow.")
]

const byCode = new Map(CODES.map((c) => [c.code, c]))

export const codeInfo = (code: number): CodeInfo | undefined => byCode.get(code)

/** The default message of a code, with `%s` placeholders filled in order. */
export const messageOf = (code: number, index = 0, ...fill: Array<string | number>): string => {
  const template = byCode.get(code)?.messages[index] ?? byCode.get(code)?.messages[0] ?? "Unknown error."
  let i = 0
  return template.replace(/%s/g, () => String(fill[i++] ?? ""))
}

/** The four HTTP 503 variants (reference §1.3). */
export const SERVICE_503 = {
  unknown: "Unknown error, please check your request or try again later.",
  unavailable: "Service Unavailable.",
  internal: "Internal error; unable to process your request. Please try again.",
  throttled:
    "Request throttled by system-level protection. Reduce-only/close-position orders are exempt. Please try again."
} as const
export type Service503 = keyof typeof SERVICE_503
