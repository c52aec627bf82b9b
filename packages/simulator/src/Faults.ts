/**
 * Faults on demand, per endpoint or for all of them: added latency, the four HTTP 503 variants
 * (the "unknown" one executed or not), other 5xx, dropped connections, a server clock skew, any
 * documented Binance error answer (`error`: a code of core's table with its message and status), and
 * an answer that is not Binance's JSON at all (`raw`: e.g. the HTML page of the CDN or WAF in front).
 * A fault applies to the next `count` matching requests, or until it is cleared.
 */
import { codeInfo } from "@marginctl/core/BinanceCodes"
import * as Schema from "effect/Schema"
import { oneOf } from "./Seed.js"

export const FaultKind = oneOf(
  "latency",
  "unknown",
  "unavailable",
  "internal",
  "throttled",
  "status",
  "drop",
  "clockSkew",
  "error",
  "raw"
)
export type FaultKind = typeof FaultKind.Type

const Fields = Schema.Struct({
  kind: FaultKind,
  /** Path such as `/fapi/v1/marginType`; absent or `*` for every endpoint. */
  endpoint: Schema.optional(Schema.String.pipe(Schema.pattern(/^(\*|\/[^\s?#]*)$/))),
  /** Only requests with this method. */
  method: Schema.optional(oneOf("GET", "POST", "PUT", "DELETE")),
  /** Apply to the next `count` matching requests; absent = until cleared. */
  count: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.positive())),
  /** latency: added delay in ms. */
  ms: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.between(0, 600_000))),
  /** unknown: whether the change is applied before the 503 is answered. Default false. */
  executed: Schema.optional(Schema.Boolean),
  /**
   * status: the 5xx status to answer with (500, 502, 504…), default 500. error: 400-599, default the
   * status Binance answers the code with. raw: 200-599, default 200.
   */
  status: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.between(200, 599))),
  /** clockSkew: server time offset in ms (positive = server ahead). */
  offsetMs: Schema.optional(Schema.Number.pipe(Schema.int())),
  /** error: a Binance error code of the reference's table (§4), e.g. -4109. */
  code: Schema.optional(Schema.Number.pipe(Schema.int())),
  /** error: the message; default the code's first documented message. */
  msg: Schema.optional(Schema.String),
  /** raw: the body, sent as is. */
  body: Schema.optional(Schema.String.pipe(Schema.maxLength(100_000))),
  /** raw: the Content-Type of the body. Default `text/html; charset=utf-8`. */
  contentType: Schema.optional(
    Schema.String.pipe(Schema.pattern(/^[\x21-\x7e][\x20-\x7e]{0,199}$/)).annotations({
      message: () => "must be a Content-Type value: printable ASCII, at most 200 characters"
    })
  )
})

/** Which status each kind may answer with; which fields each kind needs. */
const perKind = (f: typeof Fields.Type): Schema.FilterOutput => {
  const status = (lo: number, hi: number) =>
    f.status !== undefined && (f.status < lo || f.status > hi)
      ? { path: ["status"], message: `must be a whole number from ${lo} to ${hi} for kind "${f.kind}"` }
      : undefined
  switch (f.kind) {
    case "status":
      return status(500, 599)
    case "error":
      if (f.code === undefined) return { path: ["code"], message: "is missing (kind \"error\" needs a Binance error code)" }
      if (codeInfo(f.code) === undefined) {
        return { path: ["code"], message: `must be a documented Binance error code (e.g. -4109); got ${f.code}` }
      }
      return status(400, 599)
    case "raw":
      if (f.body === undefined) return { path: ["body"], message: "is missing (kind \"raw\" needs the body to answer with)" }
      return status(200, 599)
    default:
      return status(500, 599)
  }
}

export const FaultInput = Fields.pipe(Schema.filter(perKind))
export type FaultInput = typeof FaultInput.Type

export interface Fault extends FaultInput {
  readonly id: number
  remaining: number | undefined
}

export interface Faults {
  readonly add: (input: FaultInput) => Fault
  readonly remove: (id: number) => boolean
  readonly clear: () => void
  readonly list: () => ReadonlyArray<Fault>
  /** Latency to add to this request (consumes a counted latency fault). */
  readonly latency: (method: string, path: string) => number
  /** The failure fault to apply to this request, consumed. */
  readonly failure: (method: string, path: string) => Fault | undefined
  /** Server clock offset (ms). */
  readonly skew: () => number
  readonly isEmpty: () => boolean
}

const matches = (f: Fault, method: string, path: string) =>
  (f.endpoint === undefined || f.endpoint === "*" || f.endpoint === path) && (f.method === undefined || f.method === method)

export const make = (): Faults => {
  let faults: Array<Fault> = []
  let nextId = 1

  const take = (pred: (f: Fault) => boolean): Fault | undefined => {
    const f = faults.find(pred)
    if (f !== undefined && f.remaining !== undefined) {
      f.remaining -= 1
      if (f.remaining <= 0) faults = faults.filter((x) => x !== f)
    }
    return f
  }

  return {
    add: (input) => {
      const fault: Fault = { ...input, id: nextId++, remaining: input.count }
      faults.push(fault)
      return fault
    },
    remove: (id) => {
      const before = faults.length
      faults = faults.filter((f) => f.id !== id)
      return faults.length !== before
    },
    clear: () => {
      faults = []
    },
    list: () => faults,
    latency: (method, path) =>
      faults.length === 0 ? 0 : take((f) => f.kind === "latency" && matches(f, method, path))?.ms ?? 0,
    failure: (method, path) =>
      faults.length === 0
        ? undefined
        : take((f) => f.kind !== "latency" && f.kind !== "clockSkew" && matches(f, method, path)),
    skew: () => {
      if (faults.length === 0) return 0
      let offset = 0
      for (const f of faults) if (f.kind === "clockSkew") offset += f.offsetMs ?? 0
      return offset
    },
    isEmpty: () => faults.length === 0
  }
}
