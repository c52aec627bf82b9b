/**
 * Request weight per client IP in fixed one-minute windows (as Binance counts it), with 429 past the
 * limit and escalating 418 bans for clients that keep sending after a 429: 2 minutes, then 4, 8, …
 * up to 3 days.
 */
import { BAN_MAX_MS, type SimConfig } from "./SimConfig.js"

export const WINDOW_MS = 60_000

export interface IpUsage {
  windowStart: number
  used: number
  /** A 429 was answered in this window. */
  limited: boolean
  /** Requests received after the first 429 of this window. */
  afterLimit: number
  bannedUntil: number
  /** Bans so far (drives the escalation). */
  bans: number
}

export type Verdict =
  | { readonly _tag: "Ok" }
  | { readonly _tag: "Limited"; readonly retryAfterSeconds: number }
  | { readonly _tag: "Banned"; readonly until: number; readonly retryAfterSeconds: number }

const OK: Verdict = { _tag: "Ok" }

export interface Weights {
  /** Counts `weight` for `ip` at `now`; returns the weight used in the current minute. */
  readonly count: (ip: string, weight: number, now: number) => number
  /** Gives back weight that Binance does not count (e.g. 503 "Service Unavailable"). */
  readonly refund: (ip: string, weight: number, now: number) => number
  readonly used: (ip: string, now: number) => number
  /** A ban in force for `ip`, checked before anything else. */
  readonly banned: (ip: string, now: number) => Verdict
  /** The rate-limit decision for a request already counted. */
  readonly check: (ip: string, now: number) => Verdict
  readonly snapshot: (now: number) => Record<string, IpUsage>
  readonly reset: () => void
}

const secondsUntil = (until: number, now: number) => Math.max(1, Math.ceil((until - now) / 1000))

export const make = (config: SimConfig): Weights => {
  const ips = new Map<string, IpUsage>()

  const usage = (ip: string, now: number): IpUsage => {
    const windowStart = now - (now % WINDOW_MS)
    let u = ips.get(ip)
    if (u === undefined) {
      u = { windowStart, used: 0, limited: false, afterLimit: 0, bannedUntil: 0, bans: 0 }
      ips.set(ip, u)
    } else if (u.windowStart !== windowStart) {
      u.windowStart = windowStart
      u.used = 0
      u.limited = false
      u.afterLimit = 0
    }
    return u
  }

  return {
    count: (ip, weight, now) => {
      const u = usage(ip, now)
      u.used += weight
      return u.used
    },
    refund: (ip, weight, now) => {
      const u = usage(ip, now)
      u.used = Math.max(0, u.used - weight)
      return u.used
    },
    used: (ip, now) => usage(ip, now).used,
    banned: (ip, now) => {
      const u = ips.get(ip)
      return u !== undefined && u.bannedUntil > now
        ? { _tag: "Banned", until: u.bannedUntil, retryAfterSeconds: secondsUntil(u.bannedUntil, now) }
        : OK
    },
    check: (ip, now) => {
      const u = usage(ip, now)
      if (u.used <= config.weightLimit) return OK
      if (u.limited) {
        u.afterLimit += 1
        if (u.afterLimit > config.banAfter) {
          u.bans += 1
          const length = Math.min(config.banBaseMs * 2 ** (u.bans - 1), BAN_MAX_MS)
          u.bannedUntil = now + length
          u.limited = false
          u.afterLimit = 0
          return { _tag: "Banned", until: u.bannedUntil, retryAfterSeconds: secondsUntil(u.bannedUntil, now) }
        }
      }
      u.limited = true
      return { _tag: "Limited", retryAfterSeconds: secondsUntil(u.windowStart + WINDOW_MS, now) }
    },
    snapshot: (now) => {
      const out: Record<string, IpUsage> = {}
      for (const [ip, u] of ips) {
        const current = u.windowStart === now - (now % WINDOW_MS)
        out[ip] = { ...u, used: current ? u.used : 0, limited: current && u.limited, afterLimit: current ? u.afterLimit : 0 }
      }
      return out
    },
    reset: () => ips.clear()
  }
}
