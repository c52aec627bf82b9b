/**
 * An endpoint as data: method, path, security type, weight (a function of the parameters where
 * Binance varies it), the parameter schema (typed value ⇄ wire strings, in the order they are sent)
 * and the response schema.
 */
import * as Schema from "effect/Schema"

export type Method = "GET" | "POST" | "PUT" | "DELETE"

/**
 * Binance security types: NONE is open; USER_DATA and TRADE are signed; MARKET_DATA and USER_STREAM
 * (the user-data stream's listenKey) need only the key.
 */
export type Security = "NONE" | "MARKET_DATA" | "USER_STREAM" | "USER_DATA" | "TRADE"

export interface Endpoint<
  Id extends string = string,
  Fields extends Schema.Struct.Fields = Schema.Struct.Fields,
  Response extends Schema.Schema.Any = Schema.Schema.Any
> {
  readonly id: Id
  readonly method: Method
  readonly path: string
  readonly security: Security
  readonly weight: (params: Schema.Struct.Type<Fields>) => number
  readonly params: Schema.Struct<Fields>
  readonly response: Response
  readonly description: string
}

export type Params<E> = E extends Endpoint<string, infer F, Schema.Schema.Any> ? Schema.Struct.Type<F> : never
export type Result<E> = E extends Endpoint<string, Schema.Struct.Fields, infer R> ? Schema.Schema.Type<R> : never

export const make = <const Id extends string, Fields extends Schema.Struct.Fields, Response extends Schema.Schema.Any>(
  e: Endpoint<Id, Fields, Response>
): Endpoint<Id, Fields, Response> => e

/** Signed endpoints carry `timestamp`, optional `recvWindow` and a final `signature`. */
export const isSigned = (e: Pick<Endpoint, "security">): boolean => e.security === "USER_DATA" || e.security === "TRADE"

/** Needs the `X-MBX-APIKEY` header. */
export const needsApiKey = (e: Pick<Endpoint, "security">): boolean => e.security !== "NONE"

/**
 * A write: its outcome matters when the answer is lost. The listenKey calls are not: creating,
 * extending or closing the key again is harmless.
 */
export const isWrite = (e: Pick<Endpoint, "method" | "security">): boolean => e.method !== "GET" && e.security !== "USER_STREAM"

/** `METHOD /path`, the only way an endpoint is named in errors and logs. */
export const label = (e: Pick<Endpoint, "method" | "path">): string => `${e.method} ${e.path}`

/** Names of the endpoint's parameters, in the order they are sent, with whether each is required. */
export const paramSpec = (e: Endpoint): ReadonlyArray<{ readonly name: string; readonly required: boolean }> =>
  Object.entries(e.params.fields).map(([name, field]) => ({
    name,
    required: !Schema.isPropertySignature(field) || !isOptionalSignature(field)
  }))

const isOptionalSignature = (field: Schema.Struct.Field): boolean => {
  const ast = (field as Schema.PropertySignature.All).ast
  return ast._tag === "PropertySignatureDeclaration"
    ? ast.isOptional
    : ast.from.isOptional
}

/** One encoder per parameter schema, built on first use. */
const encoders = new WeakMap<object, (params: unknown) => Record<string, unknown>>()

/**
 * Encodes typed parameters to wire pairs in the order of the schema, leaving out absent optionals.
 * Values are not percent-encoded here; see `Request.encodeQuery`.
 */
export const encodeParams = <Fields extends Schema.Struct.Fields>(
  e: Endpoint<string, Fields, Schema.Schema.Any>,
  params: Schema.Struct.Type<Fields>
): ReadonlyArray<readonly [string, string]> => {
  let encode = encoders.get(e.params)
  if (encode === undefined) {
    encode = Schema.encodeSync(e.params as unknown as Schema.Schema<unknown, Record<string, unknown>>)
    encoders.set(e.params, encode)
  }
  const encoded = encode(params)
  const pairs: Array<readonly [string, string]> = []
  for (const name of Object.keys(e.params.fields)) {
    const value = encoded[name]
    if (value !== undefined) pairs.push([name, String(value)])
  }
  return pairs
}
