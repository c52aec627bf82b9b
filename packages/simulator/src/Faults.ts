/**
 * Faults on demand, per endpoint or for all of them: added latency, the four HTTP 503 variants
 * (the "unknown" one executed or not), other 5xx, dropped connections, and a server clock skew.
 * A fault applies to the next `count` matching requests, or until it is cleared.
 */
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
  "clockSkew"
)
export type FaultKind = typeof FaultKind.Type

export const FaultInput = Schema.Struct({
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
  /** status: the 5xx status to answer with (500, 502, 504…). Default 500. */
  status: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.between(500, 599))),
  /** clockSkew: server time offset in ms (positive = server ahead). */
  offsetMs: Schema.optional(Schema.Number.pipe(Schema.int()))
})
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
