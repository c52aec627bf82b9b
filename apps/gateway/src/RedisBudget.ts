/**
 * A `WeightBudget` shared through Redis by every gateway replica that calls the same upstream from
 * the same IP. Same semantics as core's in-memory budget: a sliding 60-second window of admitted
 * weight (a sorted set scored by admission time, in Redis's clock), a call waits (bounded) until its
 * weight fits, `X-MBX-USED-WEIGHT-1M` adds what the exchange counted beyond our own reservations,
 * a 429 pauses and a 418 bans every replica. Each check-and-record is one Lua script, so two replicas
 * can never both take the last room. If Redis cannot be reached, calls are refused (fail closed).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Duration from "effect/Duration"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { IpBanned, RateLimited } from "@marginctl/core/Errors"
import { type BudgetStatus, DEFAULT_LIMIT, type WeightBudgetShape } from "@marginctl/core/WeightBudget"
import { Redis } from "ioredis"
import * as crypto from "node:crypto"

const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(redis.call('HGET', KEYS[2], 'limit') or ARGV[1])
local paused = tonumber(redis.call('HGET', KEYS[2], 'paused') or '0')
local banned = tonumber(redis.call('HGET', KEYS[2], 'banned') or '0')
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60000)
local function weightOf(member) return tonumber(string.match(member, '^(%d+):')) end
`

/** KEYS: entries, meta, seq. ARGV: defaultLimit, weight, maxWaitMs. */
const RESERVE = PRELUDE + `
local weight = tonumber(ARGV[2])
local maxWait = tonumber(ARGV[3])
if banned > now then return {'banned', banned, now} end
if weight > limit then return {'heavy', limit, now} end
local from = now
if paused > from then from = paused end
local entries = redis.call('ZRANGEBYSCORE', KEYS[1], from - 60000, '+inf', 'WITHSCORES')
local inWindow = 0
for i = 1, #entries, 2 do inWindow = inWindow + weightOf(entries[i]) end
local at = from
for i = 1, #entries, 2 do
  if inWindow + weight <= limit then break end
  local leaves = tonumber(entries[i + 1]) + 60000
  if leaves > at then at = leaves end
  inWindow = inWindow - weightOf(entries[i])
end
if at <= now then
  local seq = redis.call('INCR', KEYS[3])
  redis.call('ZADD', KEYS[1], now, weight .. ':' .. seq)
  redis.call('PEXPIRE', KEYS[1], 61000)
  return {'admitted', 0, now}
end
local pausedMs = 0
if paused > now then pausedMs = paused - now end
if at - now > maxWait then return {'toolong', at - now, now, pausedMs} end
return {'wait', at - now, now, pausedMs}
`

/** ARGV: defaultLimit, usedWeight1m. */
const OBSERVE = PRELUDE + `
local used = tonumber(ARGV[2])
local minuteStart = math.floor(now / 60000) * 60000
local counted = 0
local entries = redis.call('ZRANGEBYSCORE', KEYS[1], minuteStart, now)
for i = 1, #entries do counted = counted + weightOf(entries[i]) end
if used > counted then
  local seq = redis.call('INCR', KEYS[3])
  redis.call('ZADD', KEYS[1], now, (used - counted) .. ':' .. seq)
  redis.call('PEXPIRE', KEYS[1], 61000)
end
return counted
`

/** ARGV: defaultLimit, field ('paused' | 'banned'), untilMs or -seconds (negative: relative to now). */
const EXTEND = PRELUDE + `
local v = tonumber(ARGV[3])
if v < 0 then v = now - v * 1000 end
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
if v > current then redis.call('HSET', KEYS[2], ARGV[2], v) end
return v
`

/** ARGV: defaultLimit. */
const STATUS = PRELUDE + `
local used = 0
local entries = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - 60000), now)
for i = 1, #entries do used = used + weightOf(entries[i]) end
return {limit, used, paused, banned, now}
`

interface Scripts {
  mgwReserve(k1: string, k2: string, k3: string, ...args: Array<string | number>): Promise<Array<string | number>>
  mgwObserve(k1: string, k2: string, k3: string, ...args: Array<string | number>): Promise<number>
  mgwExtend(k1: string, k2: string, k3: string, ...args: Array<string | number>): Promise<number>
  mgwStatus(k1: string, k2: string, k3: string, ...args: Array<string | number>): Promise<Array<number>>
}

export type RedisClient = Redis & Scripts

const grouped = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",")

/** Connects (scoped) and registers the scripts. */
export const connect = (url: Redacted.Redacted<string>): Effect.Effect<RedisClient, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const redis = new Redis(Redacted.value(url), {
          lazyConnect: true,
          maxRetriesPerRequest: 2,
          connectTimeout: 5000,
          enableAutoPipelining: true
        })
        redis.on("error", () => {/* reported through the failing commands */})
        for (const [name, lua] of [["mgwReserve", RESERVE], ["mgwObserve", OBSERVE], ["mgwExtend", EXTEND], ["mgwStatus", STATUS]] as const) {
          redis.defineCommand(name, { numberOfKeys: 3, lua })
        }
        await redis.connect()
        return redis as RedisClient
      },
      // The URL may carry a password: never put it in the message.
      catch: (e) => new Error(`cannot connect to Redis: ${(e as { code?: string }).code ?? (e as Error).message.replace(/redis[s]?:\/\/\S+/g, "<url>")}`)
    }),
    (redis) => Effect.promise(() => redis.quit().catch(() => undefined))
  )

/** The Redis keys of one upstream's budget (hash-tagged so they live on one cluster slot). */
export const keysFor = (upstreamKey: string, prefix = "marginctl:budget") => {
  const id = crypto.createHash("sha256").update(upstreamKey).digest("hex").slice(0, 20)
  return [`${prefix}:{${id}}:w`, `${prefix}:{${id}}:meta`, `${prefix}:{${id}}:seq`] as const
}

const unavailable = (what: string) =>
  new RateLimited({
    status: 0,
    code: null,
    msg: `shared weight budget unavailable (${what}); nothing was sent`,
    endpoint: "",
    source: "budget",
    retryAfterSeconds: 1
  })

/** A budget over `redis` for one upstream key. */
export const make = (redis: RedisClient, upstreamKey: string, options?: { readonly defaultLimit?: number }): WeightBudgetShape => {
  const [kw, km, ks] = keysFor(upstreamKey)
  const limit0 = options?.defaultLimit ?? DEFAULT_LIMIT
  const run = <A>(f: () => Promise<A>) =>
    Effect.tryPromise({ try: f, catch: (e) => (e as Error).message })

  const attempt = (weight: number, maxWaitMs: number) =>
    Effect.mapError(run(() => redis.mgwReserve(kw, km, ks, limit0, weight, Math.max(0, Math.floor(maxWaitMs)))), unavailable)

  const reserve = (weight: number, maxWaitMs: number): Effect.Effect<void, RateLimited | IpBanned> =>
    Effect.gen(function*() {
      const w = Number.isFinite(weight) && weight > 0 ? Math.ceil(weight) : 0
      const wait = Number.isNaN(maxWaitMs) ? 0 : Math.max(0, maxWaitMs)
      const started = yield* Clock.currentTimeMillis
      while (true) {
        const left = wait - ((yield* Clock.currentTimeMillis) - started)
        const [verdict, a, now, pausedMs] = (yield* attempt(w, Math.max(0, left))) as [string, number, number, number?]
        switch (verdict) {
          case "admitted":
            return
          case "banned":
            return yield* new IpBanned({
              status: 418,
              code: -1003,
              msg: `IP banned until ${new Date(a).toISOString()}`,
              endpoint: "",
              until: a,
              retryAfterSeconds: Math.ceil((a - now) / 1000)
            })
          case "heavy":
            return yield* new RateLimited({
              status: 0,
              code: null,
              endpoint: "",
              source: "budget",
              msg: `weight budget full: a call of weight ${w} can never fit the limit of ${grouped(a)} per minute`,
              retryAfterSeconds: null
            })
          case "toolong": {
            const why = (pausedMs ?? 0) >= a
              ? `calls are paused for ${grouped(pausedMs ?? 0)} ms after a 429`
              : `weight ${w} fits in ${grouped(a)} ms`
            return yield* new RateLimited({
              status: 0,
              code: null,
              endpoint: "",
              source: "budget",
              msg: `weight budget full: ${why}, longer than the ${grouped(wait)} ms this call may wait`,
              retryAfterSeconds: Math.ceil(a / 1000)
            })
          }
          default:
            // Sleep until room should be there, then try again (another replica may have taken it).
            yield* Effect.sleep(Duration.millis(Math.max(1, Math.min(a, Math.max(1, left)))))
        }
      }
    }).pipe(Effect.withSpan("RedisBudget.reserve", { attributes: { weight } }))

  const ignore = (what: string) => (e: string) => Effect.logWarning(`shared weight budget: ${what} not recorded (${e})`)

  return {
    reserve,
    observeUsed: (used) =>
      Number.isFinite(used) && used > 0
        ? run(() => redis.mgwObserve(kw, km, ks, limit0, Math.floor(used))).pipe(Effect.asVoid, Effect.catchAll(ignore("used weight")))
        : Effect.void,
    pause: (seconds) =>
      run(() => redis.mgwExtend(kw, km, ks, limit0, "paused", -Math.max(0, seconds))).pipe(Effect.asVoid, Effect.catchAll(ignore("pause"))),
    ban: (untilMs) =>
      run(() => redis.mgwExtend(kw, km, ks, limit0, "banned", Math.max(0, Math.floor(untilMs)))).pipe(Effect.asVoid, Effect.catchAll(ignore("ban"))),
    setLimit: (limit) =>
      Number.isFinite(limit) && limit > 0
        ? run(() => redis.hset(km, "limit", Math.floor(limit))).pipe(Effect.asVoid, Effect.catchAll(ignore("limit")))
        : Effect.void,
    status: run(() => redis.mgwStatus(kw, km, ks, limit0)).pipe(
      Effect.map(([limit, used, paused, banned, now]): BudgetStatus => ({
        limit: limit!,
        used: used!,
        remaining: Math.max(0, limit! - used!),
        pausedUntil: paused! > now! ? paused! : null,
        bannedUntil: banned! > now! ? banned! : null
      })),
      Effect.catchAll(() => Effect.succeed<BudgetStatus>({ limit: limit0, used: 0, remaining: 0, pausedUntil: null, bannedUntil: null }))
    )
  }
}
