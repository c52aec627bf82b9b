/**
 * One user-data stream per account among the gateway's replicas: the replica that holds an account's
 * lease runs its stream and announces what it learns; the others mirror the announcements.
 *
 * - In memory (no Redis configured): this process is the only replica and always holds every lease.
 * - With Redis: the lease is a key holding the instance's name with an expiry (`leaseMs`), taken
 *   when free and renewed by its holder every third of it, by one short Lua script; a holder that
 *   dies (SIGKILL) stops renewing, and another replica takes the stream within the lease time. The
 *   announcements go through Redis pub/sub on one channel (a second connection, in subscriber mode).
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { SettingChange, SettingsState } from "@marginctl/gateway-api/Events"
import { GatewayConfig } from "./Config.js"
import * as RedisConnection from "./RedisConnection.js"

/** What the holder of an account's stream tells the other replicas: the state, and the change that led to it. */
export const Announcement = Schema.Struct({
  instance: Schema.String,
  state: SettingsState,
  detail: Schema.String,
  change: Schema.NullOr(SettingChange)
})
export type Announcement = typeof Announcement.Type

export interface StreamLeaseShape {
  /** Whether other replicas may hold streams (Redis); false: this process holds them all. */
  readonly shared: boolean
  /** Runs `whileHeld` while this replica holds the account's lease, taking it again when it is free; never ends. */
  readonly run: (account: string, whileHeld: Effect.Effect<never>) => Effect.Effect<never>
  readonly announce: (announcement: Announcement) => Effect.Effect<void>
  /** The other replicas' announcements. */
  readonly announcements: Stream.Stream<Announcement>
}

export class StreamLease extends Context.Tag("@marginctl/gateway/StreamLease")<StreamLease, StreamLeaseShape>() {}

export const layerMemory: Layer.Layer<StreamLease> = Layer.succeed(StreamLease, {
  shared: false,
  run: (_account, whileHeld) => whileHeld,
  announce: () => Effect.void,
  announcements: Stream.never
})

/** KEYS: the lease. ARGV: instance, leaseMs. Takes a free lease or renews this instance's; 1 when held. */
const HOLD = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`
/** KEYS: the lease. ARGV: instance. Frees the lease if this instance holds it. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

const CHANNEL = "marginctl:stream-announcements"
const leaseKey = (account: string) => `marginctl:stream:${account}:lease`
const decode = Schema.decodeUnknownOption(Schema.parseJson(Announcement))
const encode = Schema.encodeSync(Schema.parseJson(Announcement))

export const layerRedis = (url: Parameters<typeof RedisConnection.connect>[0]): Layer.Layer<StreamLease, Error, GatewayConfig> =>
  Layer.scoped(
    StreamLease,
    Effect.gen(function*() {
      const config = yield* GatewayConfig
      const instance = config.instance
      const tick = Duration.millis(Math.max(100, Math.floor(config.stream.leaseMs / 3)))
      const failed = (reason: string) => new Error(`stream lease: ${reason}`)
      const redis = yield* RedisConnection.connect(url, failed)
      const subscriber = yield* RedisConnection.connect(url, failed)
      const call = <A>(what: string, f: () => Promise<A>) =>
        Effect.tryPromise({ try: f, catch: (e) => failed(`${what}: ${RedisConnection.reasonOf(e)}`) })

      /** Takes or renews the lease; a Redis that fails counts as not holding it (the stream stops). */
      const hold = (account: string) =>
        call("hold", () => redis.eval(HOLD, 1, leaseKey(account), instance, config.stream.leaseMs)).pipe(
          Effect.map((n) => n === 1),
          Effect.catchAll((e) => Effect.as(Effect.logWarning(`${account}: ${e.message}`), false))
        )
      const release = (account: string) => Effect.ignore(call("release", () => redis.eval(RELEASE, 1, leaseKey(account), instance)))

      const run = (account: string, whileHeld: Effect.Effect<never>): Effect.Effect<never> => {
        // Returns when the lease is lost (another replica took it after this one failed to renew in time).
        const renewing = Effect.repeat(Effect.zipRight(Effect.sleep(tick), hold(account)), { while: (held) => held })
        const turn = Effect.flatMap(hold(account), (held) =>
          held
            ? Effect.logInfo(`${account}: this replica holds the user-data stream`).pipe(
              Effect.zipRight(Effect.raceFirst(whileHeld, renewing)),
              Effect.zipRight(Effect.logWarning(`${account}: the stream's lease was lost`)),
              Effect.ensuring(release(account))
            )
            : Effect.sleep(tick))
        return Effect.forever(turn)
      }

      const announcements = Stream.asyncPush<Announcement>((emit) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            const onMessage = (_channel: string, text: string) => {
              const a = decode(text)
              if (a._tag === "Some" && a.value.instance !== instance) emit.single(a.value)
            }
            subscriber.on("message", onMessage)
            return onMessage
          }),
          (onMessage) => Effect.sync(() => subscriber.off("message", onMessage))
        )
      )
      yield* call("subscribe", () => subscriber.subscribe(CHANNEL))

      return {
        shared: true,
        run,
        announce: (a) =>
          call("announce", () => redis.publish(CHANNEL, encode(a))).pipe(
            Effect.catchAll((e) => Effect.logWarning(e.message)),
            Effect.asVoid
          ),
        announcements
      } satisfies StreamLeaseShape
    })
  )

/** Redis when `redisUrl` is configured, memory otherwise. */
export const layer: Layer.Layer<StreamLease, Error, GatewayConfig> = Layer.unwrapEffect(
  Effect.map(GatewayConfig, (c) => (c.redisUrl === undefined ? layerMemory : layerRedis(c.redisUrl)))
)
