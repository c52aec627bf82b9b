/**
 * One exchange request, checked in the order of reference §8:
 * ban → route (404 / 405) → weight counted → latency fault → API key (-2014, -2015) → parameters
 * (-1100, -1101, -1102, -1105, -1100/-1130, -1121, optional -1103) → timestamp (-1021) → signature
 * (-1022) → weight limit (429 / 418) → failure faults (none but `unknown` with `executed` runs the
 * handler) → business rules.
 *
 * Everything up to the signature is synchronous; the signature check is the only asynchronous step.
 * State changes happen in one synchronous step after it, so concurrent requests see a consistent state.
 * @internal
 */
import { codeInfo, messageOf, SERVICE_503 } from "@marginctl/core/BinanceCodes"
import * as Verifier from "../Verifier.js"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Account from "../Account.js"
import { API_KEY_FORMAT } from "../Seed.js"
import type { SimRequest, SimResponse } from "../Simulator.js"
import type * as Faults from "../Faults.js"
import * as RequestParams from "../RequestParams.js"
import { type Ctx, type Reply, type Route, ROUTES } from "./routes.js"
import { serverTime, type State } from "./state.js"

const WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
const NUMBER = /^[0-9]{1,20}$/

/** @internal */
export const respond = (status: number, body: string, used: number, extra?: Record<string, string>): SimResponse => ({
  status,
  headers: extra === undefined
    ? { "Content-Type": "application/json", [WEIGHT_HEADER]: String(used) }
    : { "Content-Type": "application/json", [WEIGHT_HEADER]: String(used), ...extra },
  body
})

/** @internal `{"code":…,"msg":…}` */
export const errorBody = (code: number, msg: string): string => JSON.stringify({ code, msg })

/** An error answer with the status and message the core's table gives the code. */
const fail = (code: number, used: number, index = 0, ...fill: Array<string | number>): SimResponse =>
  respond(codeInfo(code)?.status ?? 400, errorBody(code, messageOf(code, index, ...fill)), used)

/** What the synchronous part decided. */
type Prepared =
  | { readonly _tag: "Done"; readonly response: SimResponse; readonly latency: number }
  | {
    readonly _tag: "Verify"
    readonly route: Route
    readonly entry: { readonly account: Account.Account; readonly key: Account.ApiKey } | undefined
    readonly params: RequestParams.Params
    readonly payload: string | undefined
    readonly signature: string
    readonly now: number
    readonly used: number
    readonly latency: number
  }

const done = (response: SimResponse, latency = 0): Prepared => ({ _tag: "Done", response, latency })

const countRequest = (state: State, label: string) => state.requests.set(label, (state.requests.get(label) ?? 0) + 1)

const prepare = (state: State, req: SimRequest): Prepared => {
  const now = serverTime(state)
  const ip = req.clientIp
  const methods = ROUTES.get(req.path)
  const route = methods?.get(req.method)
  countRequest(state, `${req.method} ${req.path}`)

  const ban = state.weights.banned(ip, now)
  if (ban._tag === "Banned") {
    return done(
      respond(418, errorBody(-1003, messageOf(-1003, 1, ban.until)), state.weights.used(ip, now), {
        "Retry-After": String(ban.retryAfterSeconds)
      })
    )
  }
  if (methods === undefined) {
    const used = state.weights.count(ip, 1, now)
    return done(respond(404, errorBody(-1099, messageOf(-1099)), used))
  }
  if (route === undefined) {
    const used = state.weights.count(ip, 1, now)
    return done(respond(405, errorBody(-1020, messageOf(-1020)), used, { Allow: [...methods.keys()].join(", ") }))
  }

  const latency = state.faults.isEmpty() ? 0 : state.faults.latency(req.method, req.path)
  const params = RequestParams.parse(req.query, req.method !== "GET" && RequestParams.isFormBody(req.headers["content-type"]) ? req.body : undefined)
  const used = state.weights.count(ip, route.weight(params.values.has("symbol")), now)

  // API key
  let entry: { readonly account: Account.Account; readonly key: Account.ApiKey } | undefined
  if (route.needsKey) {
    const apiKey = req.headers["x-mbx-apikey"]
    if (apiKey === undefined || !API_KEY_FORMAT.test(apiKey)) return done(fail(-2014, used), latency)
    entry = state.keys.get(apiKey)
    const needed = route.security === "TRADE" ? "TRADE" : "USER_DATA"
    if (entry === undefined || !entry.key.permissions.has(needed)) return done(fail(-2015, used), latency)
  }

  // Parameters
  if (params.illegal) return done(fail(-1100, used), latency)
  if (params.duplicate) return done(fail(-1101, used, 2), latency)
  const values = params.values
  for (const f of route.fields) {
    const p = values.get(f.name)
    if (f.required && (p === undefined || p.value === "")) return done(fail(-1102, used, 1, f.name), latency)
  }
  if (route.signed) {
    for (const name of ["timestamp", "signature"]) {
      const p = values.get(name)
      if (p === undefined || p.value === "") return done(fail(-1102, used, 1, name), latency)
    }
  }
  for (const f of route.fields) {
    const p = values.get(f.name)
    if (p === undefined) continue
    if (p.value === "") return done(fail(-1105, used, 1, f.name), latency)
    if (!f.isSymbol && !f.valid(p.value)) return done(fail(-1130, used, 1, f.name), latency)
  }
  let timestamp = 0
  let recvWindow = 5000
  if (route.signed) {
    const ts = values.get("timestamp")!.value
    if (!NUMBER.test(ts)) return done(fail(-1100, used, 1, "timestamp", "^[0-9]{1,20}$"), latency)
    timestamp = Number(ts)
    const rw = values.get("recvWindow")
    if (rw !== undefined) {
      if (!NUMBER.test(rw.value)) return done(fail(-1100, used, 1, "recvWindow", "^[0-9]{1,20}$"), latency)
      recvWindow = Number(rw.value)
      const cap = state.config.recvWindowCap
      if (recvWindow <= 0 || (cap !== null && recvWindow > cap)) return done(fail(-1130, used, 1, "recvWindow"), latency)
    }
  }
  for (const f of route.fields) {
    if (!f.isSymbol) continue
    const p = values.get(f.name)
    if (p !== undefined && !route.symbolExists(state, p.value)) return done(fail(-1121, used), latency)
  }
  if (state.config.rejectUnknownParams) {
    for (const name of values.keys()) if (!route.known.has(name)) return done(fail(-1103, used), latency)
  }

  if (!route.signed) return { _tag: "Verify", route, entry, params, payload: undefined, signature: "", now, used, latency }

  // Timing: accept iff timestamp < serverTime + 1000 and serverTime - timestamp <= recvWindow
  if (timestamp >= now + 1000) return done(fail(-1021, used, 1), latency)
  if (now - timestamp > recvWindow) return done(fail(-1021, used, 0), latency)

  const payload = RequestParams.signedPayload(req.query, req.method !== "GET" ? req.body : "", params)
  return {
    _tag: "Verify",
    route,
    entry,
    params,
    payload,
    signature: values.get("signature")!.value,
    now,
    used,
    latency
  }
}

const faultResponse = (fault: Faults.Fault, used: number, refunded: number): SimResponse => {
  switch (fault.kind) {
    case "unknown":
      return respond(503, errorBody(-1000, SERVICE_503.unknown), used)
    case "unavailable":
      return respond(503, errorBody(-1000, SERVICE_503.unavailable), refunded)
    case "internal":
      return respond(503, errorBody(-1001, SERVICE_503.internal), used)
    case "throttled":
      return respond(503, errorBody(-1008, SERVICE_503.throttled), refunded)
    case "drop":
      return { ...respond(503, "", used), dropConnection: true }
    case "error": {
      const code = fault.code ?? -1000
      return respond(fault.status ?? codeInfo(code)?.status ?? 400, errorBody(code, fault.msg ?? messageOf(code)), used)
    }
    case "raw":
      return {
        status: fault.status ?? 200,
        headers: { "Content-Type": fault.contentType ?? "text/html; charset=utf-8", [WEIGHT_HEADER]: String(used) },
        body: fault.body ?? ""
      }
    default:
      return respond(fault.status ?? 500, errorBody(-1000, "Request occur unknown error."), used)
  }
}

/** After the signature: weight limit, failure faults, the route's handler. */
const execute = (state: State, req: SimRequest, p: Extract<Prepared, { _tag: "Verify" }>): SimResponse => {
  const ip = req.clientIp
  const verdict = state.weights.check(ip, p.now)
  if (verdict._tag === "Limited") {
    return respond(429, errorBody(-1003, messageOf(-1003, 0, state.config.weightLimit)), p.used, {
      "Retry-After": String(verdict.retryAfterSeconds)
    })
  }
  if (verdict._tag === "Banned") {
    return respond(418, errorBody(-1003, messageOf(-1003, 1, verdict.until)), p.used, {
      "Retry-After": String(verdict.retryAfterSeconds)
    })
  }
  const fault = state.faults.isEmpty() ? undefined : state.faults.failure(req.method, req.path)
  if (fault !== undefined && !(fault.kind === "unknown" && fault.executed === true)) {
    const weight = p.route.weight(p.params.values.has("symbol"))
    const refunded = fault.kind === "unavailable" || fault.kind === "throttled"
      ? state.weights.refund(ip, weight, p.now)
      : p.used
    return faultResponse(fault, p.used, refunded)
  }
  const ctx: Ctx = {
    state,
    account: p.entry?.account,
    params: p.params.values,
    now: p.now,
    label: p.route.label
  }
  const result = p.route.run(ctx)
  if (fault !== undefined) return faultResponse(fault, p.used, p.used)
  if ("code" in result) return fail(result.code, p.used, 0, ...(result.fill ?? []))
  return respond((result as Reply).status, (result as Reply).body, p.used)
}

const withLatency = (state: State, latency: number, response: SimResponse): Effect.Effect<SimResponse> =>
  latency > 0 ? Effect.as(state.clock.sleep(Duration.millis(latency)), response) : Effect.succeed(response)

/** @internal Answers one exchange request. */
export const handle = (state: State, req: SimRequest): Effect.Effect<SimResponse> =>
  Effect.suspend(() => {
    const p = prepare(state, req)
    if (p._tag === "Done") return withLatency(state, p.latency, p.response)
    if (!p.route.signed) return withLatency(state, p.latency, execute(state, req, p))
    const rejectSignature = () => withLatency(state, p.latency, fail(-1022, p.used))
    if (p.payload === undefined) return rejectSignature()
    const key = p.entry!.key
    if (key.fastVerify !== undefined) {
      return key.fastVerify(p.payload, p.signature)
        ? withLatency(state, p.latency, execute(state, req, p))
        : rejectSignature()
    }
    return Effect.flatMap(Verifier.verify(key.verifyKey, p.payload, p.signature), (valid) =>
      valid ? withLatency(state, p.latency, execute(state, req, p)) : rejectSignature())
  })
