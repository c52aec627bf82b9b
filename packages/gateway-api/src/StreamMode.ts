/**
 * How the gateway keeps an account's settings current: `live` while its user-data stream is connected
 * (reads are answered from the cache without calling Binance), `polling` otherwise (cached reads expire
 * after the cache TTL, as without a stream). Shown per account by `/readyz` and the events stream.
 */
import * as Schema from "effect/Schema"

export const StreamMode = Schema.Literal("live", "polling").annotations({ identifier: "StreamMode" })
export type StreamMode = typeof StreamMode.Type

/** An account's stream in /readyz (a stream that is down does not make the gateway unready: reads fall back to the TTL). */
export const StreamCheck = Schema.Struct({
  account: Schema.String,
  mode: StreamMode,
  /** The gateway instance that holds the account's stream, or null while none does. */
  holder: Schema.NullOr(Schema.String),
  detail: Schema.String
}).annotations({ identifier: "StreamCheck" })
export type StreamCheck = typeof StreamCheck.Type
