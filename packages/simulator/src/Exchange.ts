/**
 * The exchange as a function: a raw HTTP request in, a raw HTTP response out. No sockets here;
 * the server (`Server.ts`) and the in-process `HttpClient` layer (`SimulatorHttpClient.ts`) both
 * hand their requests to `handle`.
 */
import * as Effect from "effect/Effect"
import { Simulator } from "./Simulator.js"

export interface SimRequest {
  readonly method: string
  /** Path without the query string, e.g. `/fapi/v1/marginType`. */
  readonly path: string
  /** The raw query string as sent (percent-encoded, without `?`). */
  readonly query: string
  /** The raw body as sent. */
  readonly body: string
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly clientIp: string
}

export interface SimResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** Fault: the server destroys the connection instead of answering. */
  readonly dropConnection?: boolean
}

/** Splits a request target (`/path?query`) into path and raw query. */
export const splitTarget = (target: string): { readonly path: string; readonly query: string } => {
  const q = target.indexOf("?")
  return q === -1 ? { path: target, query: "" } : { path: target.slice(0, q), query: target.slice(q + 1) }
}

/** Answers a request with the simulator in context (exchange API and `/_sim` control API). */
export const handle = (request: SimRequest): Effect.Effect<SimResponse, never, Simulator> =>
  Effect.flatMap(Simulator, (sim) => sim.handle(request))
