/**
 * The weight budget's store shared through Redis by every gateway replica that calls the same
 * upstream from the same IP: a sorted set of the window's weight (scored by the time it was counted),
 * a hash with the limit, a sorted set with the pause and ban ends. The policy — waiting, order,
 * refusals — is core's `WeightBudget`, the same as in memory; this module only holds the primitives.
 * The atomic reserve and the used-weight correction are each one short Lua script, so two replicas
 * can never both take the last room; a pause or ban only ever extends (`ZADD GT`).
 *
 * Times are the callers' clocks (epoch ms, as the in-memory store): replicas share one window to
 * within their clock skew. A Redis that fails or cannot be reached is `BudgetStoreUnavailable`.
 */
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { type BudgetStoreShape, BudgetStoreUnavailable, type Entry, type Snapshot, WINDOW_MS } from "@marginctl/core/BudgetStore"
import type { Redis } from "ioredis"
import * as crypto from "node:crypto"
import * as RedisConnection from "./RedisConnection.js"
import { reasonOf } from "./RedisConnection.js"

/** KEYS: window, meta, ends. ARGV: defaultLimit, weight, now. An empty reply: granted. */
const RESERVE = `
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ${WINDOW_MS})
local limit = tonumber(redis.call('HGET', KEYS[2], 'limit') or ARGV[1])
local paused = tonumber(redis.call('ZSCORE', KEYS[3], 'paused') or '0')
local banned = tonumber(redis.call('ZSCORE', KEYS[3], 'banned') or '0')
local weight = tonumber(ARGV[2])
local used = 0
-- Up to +inf: a replica (or a caller of this one) that read its clock a little later may have
-- recorded its weight already, with a score above this caller's now.
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - ${WINDOW_MS}), '+inf')) do
  used = used + tonumber(string.match(m, '^([^:]+):'))
end
if banned <= now and paused <= now and used + weight <= limit then
  redis.call('ZADD', KEYS[1], now, ARGV[2] .. ':' .. redis.call('HINCRBY', KEYS[2], 'seq', 1))
  redis.call('PEXPIRE', KEYS[1], ${WINDOW_MS + 1000})
  return {}
end
return {limit, paused, banned, redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - ${WINDOW_MS}), '+inf', 'WITHSCORES')}
`

/** KEYS: window, meta. ARGV: usedWeight1m, now. 1 when the excess was recorded. */
const OBSERVE = `
local now = tonumber(ARGV[2])
local counted = 0
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now - now % ${WINDOW_MS}, '+inf')) do
  counted = counted + tonumber(string.match(m, '^([^:]+):'))
end
local excess = tonumber(ARGV[1]) - counted
if excess <= 0 then return 0 end
redis.call('ZADD', KEYS[1], now, excess .. ':' .. redis.call('HINCRBY', KEYS[2], 'seq', 1))
redis.call('PEXPIRE', KEYS[1], ${WINDOW_MS + 1000})
return 1
`

interface Scripts {
  budgetReserve(window: string, meta: string, ends: string, ...args: Array<string | number>): Promise<Array<unknown>>
  budgetObserve(window: string, meta: string, ...args: Array<string | number>): Promise<number>
}

export type RedisClient = Redis & Scripts

const unavailable = (e: unknown) => new BudgetStoreUnavailable({ status: 503, reason: reasonOf(e) })

/** Connects (scoped) and registers the scripts; a Redis that cannot be reached is `BudgetStoreUnavailable`. */
export const connect = (url: Redacted.Redacted<string>): Effect.Effect<RedisClient, BudgetStoreUnavailable, Scope.Scope> =>
  RedisConnection.connect(url, (reason) => new BudgetStoreUnavailable({ status: 503, reason }), (redis) => {
    redis.defineCommand("budgetReserve", { numberOfKeys: 3, lua: RESERVE })
    redis.defineCommand("budgetObserve", { numberOfKeys: 2, lua: OBSERVE })
  }) as Effect.Effect<RedisClient, BudgetStoreUnavailable, Scope.Scope>

/** The Redis keys of one upstream's budget (hash-tagged so they live on one cluster slot). */
export const keysFor = (upstreamKey: string, prefix = "marginctl:budget") => {
  const id = crypto.createHash("sha256").update(upstreamKey).digest("hex").slice(0, 20)
  return { window: `${prefix}:{${id}}:w`, meta: `${prefix}:{${id}}:meta`, ends: `${prefix}:{${id}}:ends` } as const
}

/** `[member, score, …]` of the window's sorted set; a member is `weight:sequence`. */
const entriesOf = (flat: ReadonlyArray<unknown>): Array<Entry> => {
  const entries: Array<Entry> = []
  for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ at: Number(flat[i + 1]), weight: parseFloat(String(flat[i])) })
  return entries
}

/** The store of one upstream key's budget over `redis`; `defaultLimit` until a limit is set. */
export const make = (redis: RedisClient, upstreamKey: string, options: { readonly defaultLimit: number }): BudgetStoreShape => {
  const keys = keysFor(upstreamKey)
  const call = <A>(f: () => Promise<A>) => Effect.tryPromise({ try: f, catch: unavailable })
  const extend = (which: "paused" | "banned", untilMs: number) =>
    Effect.asVoid(call(() => redis.zadd(keys.ends, "GT", Math.ceil(untilMs), which)))

  return {
    reserve: (weight, now) =>
      Effect.map(call(() => redis.budgetReserve(keys.window, keys.meta, keys.ends, options.defaultLimit, weight, now)), (reply) =>
        reply.length === 0
          ? { _tag: "Granted" } as const
          : {
            _tag: "Refused",
            snapshot: {
              limit: Number(reply[0]),
              pausedUntil: Number(reply[1]),
              bannedUntil: Number(reply[2]),
              entries: entriesOf(reply[3] as ReadonlyArray<unknown>)
            }
          } as const),
    read: (now) =>
      Effect.flatMap(
        call(() =>
          redis.multi()
            .zrangebyscore(keys.window, `(${now - WINDOW_MS}`, "+inf", "WITHSCORES")
            .hget(keys.meta, "limit")
            .zscore(keys.ends, "paused")
            .zscore(keys.ends, "banned")
            .exec()
        ),
        (replies): Effect.Effect<Snapshot, BudgetStoreUnavailable> => {
          const failed = replies === null ? "transaction aborted" : replies.find(([e]) => e !== null)?.[0]
          if (failed !== undefined || replies === null) return Effect.fail(unavailable(failed))
          const [entries, limit, paused, banned] = replies.map(([, value]) => value)
          return Effect.succeed({
            limit: limit === null ? options.defaultLimit : Number(limit),
            pausedUntil: Number(paused ?? 0),
            bannedUntil: Number(banned ?? 0),
            entries: entriesOf(entries as ReadonlyArray<unknown>)
          })
        }
      ),
    observeUsed: (usedWeight1m, now) =>
      Effect.map(call(() => redis.budgetObserve(keys.window, keys.meta, Math.floor(usedWeight1m), now)), (n) => n === 1),
    pauseUntil: (untilMs) => extend("paused", untilMs),
    banUntil: (untilMs) => extend("banned", untilMs),
    setLimit: (limitPerMinute) => Effect.asVoid(call(() => redis.hset(keys.meta, "limit", Math.floor(limitPerMinute))))
  }
}
