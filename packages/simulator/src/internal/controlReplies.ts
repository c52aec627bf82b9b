/**
 * The control API's answers and input decoding: JSON bodies, 400 naming the field, 404, and the
 * shape of a control route's handler.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Schema from "effect/Schema"
import * as Seed from "../Seed.js"
import type { SimRequest, SimResponse } from "../Simulator.js"
import type * as Seeding from "./seeding.js"
import type { State } from "./state.js"

/** @internal A control route: method, path pattern (`:name` segments are arguments), handler. */
export type Route = readonly [string, string, Handler]

export const json = (status: number, body: unknown): SimResponse => ({
  status,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body)
})

export const bad = (field: string, message: string) => json(400, { error: "invalid input", field, message })
export const notFound = (message: string) => json(404, { error: "not found", message })
export const fromInputError = (e: Seed.InputError) => bad(e.field, e.message)

export const parseBody = (req: SimRequest): Either.Either<unknown, SimResponse> => {
  if (req.body.trim() === "") return Either.right({})
  try {
    return Either.right(JSON.parse(req.body))
  } catch {
    return Either.left(bad("(body)", "is not valid JSON"))
  }
}

export const decodeBody = <A, I>(req: SimRequest, schema: Schema.Schema<A, I>): Either.Either<A, SimResponse> =>
  Either.flatMap(parseBody(req), (body) => Either.mapLeft(Seed.decode(schema, body), fromInputError))

export type Handler = (state: State, req: SimRequest, initial: Seeding.Initial, args: ReadonlyArray<string>) => Effect.Effect<SimResponse>

export const run = <A>(
  decoded: Either.Either<A, SimResponse>,
  f: (a: A) => Effect.Effect<SimResponse, Seed.InputError>
): Effect.Effect<SimResponse> =>
  Either.isLeft(decoded)
    ? Effect.succeed(decoded.left)
    : f(decoded.right).pipe(Effect.catchAll((e) => Effect.succeed(fromInputError(e))))
