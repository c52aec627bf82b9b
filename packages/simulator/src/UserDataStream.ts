/**
 * The user-data stream's engine side: the listenKey registry (one active key per account, valid for
 * `listenKeyTtlMs` after its creation or last keep-alive), the subscribers of each key and the
 * stream faults (dropped connections, delayed events, keys expired at once).
 *
 * Platform-free: a subscriber is whatever carries the events (the server's WebSocket bridge, the
 * in-process WebSocket or `Stream`); this module only hands it JSON texts and tells it when its
 * stream ends. Keys expire lazily (every call looks at the time first) and when the host calls
 * `expireDue`. Also what the carriers share: the stream paths, close texts and in-order delivery.
 */
import { splitTarget } from "./RequestParams.js"
import type { SimConfig } from "./SimConfig.js"

/** Why a subscriber's stream ends. */
export type CloseReason =
  /** Its key expired (`listenKeyExpired` was sent first). */
  | "expired"
  /** Its key was closed (`DELETE /fapi/v1/listenKey`, the account was deleted, the simulator was reset). */
  | "closed"
  /** The drop-connections fault. */
  | "dropped"

export interface Subscriber {
  /** One event as sent on the wire (JSON text) and how long the event-delay fault holds it back (ms). */
  readonly event: (text: string, delayMs: number) => void
  readonly close: (reason: CloseReason) => void
}

export interface KeyView {
  readonly account: string
  readonly listenKey: string
  readonly expiresAt: number
  readonly connections: number
}

export interface UserDataStream {
  /** The account's active key, extended; a new one when it has none. */
  readonly create: (account: string, now: number) => string
  /** Extends the account's active key; undefined when it has none (-1125). */
  readonly keepAlive: (account: string, now: number) => string | undefined
  /** Closes the account's active key and ends its subscribers' streams; false when it had none. */
  readonly close: (account: string, now: number) => boolean
  /** Adds a subscriber to a valid key; undefined when the key is unknown or expired. */
  readonly subscribe: (listenKey: string, now: number, subscriber: Subscriber) => (() => void) | undefined
  /** Sends an event to every subscriber of the account's active key. */
  readonly publish: (account: string, event: object, now: number) => void
  /** Expires the keys whose time is up (each subscriber gets `listenKeyExpired`, then its stream ends). */
  readonly expireDue: (now: number) => void
  /** Fault: expires the keys of one account (or all) now; answers how many. */
  readonly expireNow: (account: string | undefined, now: number) => number
  /** Fault: ends the streams of one account's subscribers (or all) as a dropped connection; answers how many. */
  readonly drop: (account: string | undefined) => number
  /** Fault: holds every event back by `ms` (0 clears). */
  readonly setDelay: (ms: number) => void
  readonly delay: () => number
  readonly keys: (now: number) => ReadonlyArray<KeyView>
  /** Closes every key (reset). */
  readonly clear: () => void
}

interface Entry {
  readonly listenKey: string
  readonly account: string
  expiresAt: number
  readonly subscribers: Set<Subscriber>
}

/** `listenKeyExpired`; `E` is a string, as Binance documents and sends it. */
const expiredEvent = (listenKey: string, now: number): string =>
  JSON.stringify({ e: "listenKeyExpired", E: String(now), listenKey })

export const make = (config: SimConfig, newKey: () => string): UserDataStream => {
  const byKey = new Map<string, Entry>()
  const byAccount = new Map<string, Entry>()
  let delayMs = 0

  const end = (entry: Entry, reason: CloseReason) => {
    byKey.delete(entry.listenKey)
    if (byAccount.get(entry.account) === entry) byAccount.delete(entry.account)
    const subscribers = [...entry.subscribers]
    entry.subscribers.clear()
    for (const s of subscribers) s.close(reason)
  }

  const expire = (entry: Entry, now: number) => {
    const text = expiredEvent(entry.listenKey, now)
    for (const s of entry.subscribers) s.event(text, 0)
    end(entry, "expired")
  }

  const expireDue = (now: number) => {
    for (const entry of [...byKey.values()]) if (entry.expiresAt <= now) expire(entry, now)
  }

  const active = (account: string, now: number): Entry | undefined => {
    expireDue(now)
    return byAccount.get(account)
  }

  const selected = (account: string | undefined): Array<Entry> =>
    [...byKey.values()].filter((e) => account === undefined || e.account === account)

  return {
    create: (account, now) => {
      const current = active(account, now)
      if (current !== undefined) {
        current.expiresAt = now + config.listenKeyTtlMs
        return current.listenKey
      }
      const entry: Entry = { listenKey: newKey(), account, expiresAt: now + config.listenKeyTtlMs, subscribers: new Set() }
      byKey.set(entry.listenKey, entry)
      byAccount.set(account, entry)
      return entry.listenKey
    },
    keepAlive: (account, now) => {
      const current = active(account, now)
      if (current === undefined) return undefined
      current.expiresAt = now + config.listenKeyTtlMs
      return current.listenKey
    },
    close: (account, now) => {
      const current = active(account, now)
      if (current === undefined) return false
      end(current, "closed")
      return true
    },
    subscribe: (listenKey, now, subscriber) => {
      expireDue(now)
      const entry = byKey.get(listenKey)
      if (entry === undefined) return undefined
      entry.subscribers.add(subscriber)
      return () => {
        entry.subscribers.delete(subscriber)
      }
    },
    publish: (account, event, now) => {
      const entry = active(account, now)
      if (entry === undefined || entry.subscribers.size === 0) return
      const text = JSON.stringify(event)
      for (const s of entry.subscribers) s.event(text, delayMs)
    },
    expireDue,
    expireNow: (account, now) => {
      const entries = selected(account)
      for (const entry of entries) expire(entry, now)
      return entries.length
    },
    drop: (account) => {
      let n = 0
      for (const entry of selected(account)) {
        const subscribers = [...entry.subscribers]
        entry.subscribers.clear()
        for (const s of subscribers) s.close("dropped")
        n += subscribers.length
      }
      return n
    },
    setDelay: (ms) => {
      delayMs = ms
    },
    delay: () => delayMs,
    keys: (now) => {
      expireDue(now)
      return [...byKey.values()].map((e) => ({
        account: e.account,
        listenKey: e.listenKey,
        expiresAt: e.expiresAt,
        connections: e.subscribers.size
      }))
    },
    clear: () => {
      for (const entry of [...byKey.values()]) end(entry, "closed")
      delayMs = 0
    }
  }
}

const LEGACY = /^\/ws\/([^/]+)$/

/** A user-data stream path. */
export interface StreamTarget {
  readonly listenKey: string
  /** `/private/stream`: events wrapped as a combined stream's. */
  readonly combined: boolean
}

/** What a WebSocket request asks for; undefined when the path is not a user-data stream path. */
export const streamTarget = (target: string): StreamTarget | undefined => {
  const { path, query } = splitTarget(target)
  if (path === "/private/ws" || path === "/private/stream") {
    return { listenKey: new URLSearchParams(query).get("listenKey") ?? "", combined: path === "/private/stream" }
  }
  const legacy = LEGACY.exec(path)
  return legacy === null ? undefined : { listenKey: decodeURIComponent(legacy[1]!), combined: false }
}

/** How an event's text goes out on a target's connection: as is, or wrapped as a combined stream's. */
export const framing = (target: StreamTarget): (text: string) => string => {
  if (!target.combined) return (text) => text
  const prefix = `{"stream":${JSON.stringify(target.listenKey)},"data":`
  return (text) => `${prefix}${text}}`
}

/** The close frame's reason text of a stream that ends (a dropped one ends without a close frame). */
export const closeText: Record<Exclude<CloseReason, "dropped">, string> = {
  expired: "listenKey expired",
  closed: "listenKey closed"
}

/**
 * Runs callbacks in the order given, each no earlier than `delayMs` after it was given: how a
 * connection applies the event-delay fault (a later event never overtakes a delayed one). Without
 * a delay and nothing waiting, the callback runs at once. Timers are the host's (`setTimeout`).
 */
export const inOrder = () => {
  let waiting = 0
  let tail: Promise<void> = Promise.resolve()
  return (delayMs: number, f: () => void): void => {
    if (delayMs <= 0 && waiting === 0) return f()
    const due = Date.now() + delayMs
    waiting++
    tail = tail
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, due - Date.now()))))
      .then(() => {
        waiting--
        f()
      })
  }
}
