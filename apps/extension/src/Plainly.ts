/**
 * How every context of the extension (worker, popup, options page) ends an effect it runs: a failure
 * stays the failure it is (already in plain words); a defect or an interruption becomes the given
 * plain internal error, so no stack trace or internal message ever reaches a person.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

export const plainly = <A, E, R, I>(effect: Effect.Effect<A, E, R>, internal: I): Effect.Effect<A, E | I, R> =>
  Effect.catchAllCause(effect, (cause) =>
    Option.match(Cause.failureOption(cause), {
      onSome: (e): Effect.Effect<never, E | I> => Effect.fail(e),
      onNone: () => Effect.fail(internal)
    }))
