/**
 * Pure bookkeeping behind the in-memory WeightBudget: a sliding 60-second window of admitted weight
 * plus a first-in-first-out queue of reservations that wait for room. Every function takes the
 * current time and returns a new `Window`; `WeightBudget.makeMemory` keeps it in a `Ref`, so each
 * check-and-record is one atomic `Ref.modify`.
 *
 * Invariant: a waiting reservation is planned at a time `at` that is not earlier than any entry
 * already admitted or planned, and the weight in `(at - 60 s, at]` plus its own is at most the limit.
 * Hence no 60-second window (sliding, so also Binance's fixed minutes) holds more than the limit of
 * this budget's own reservations.
 *
 * @internal
 */

export const WINDOW_MS = 60_000

/** Weight counted at `at` (epoch ms): an admitted reservation, or weight the exchange reported beyond ours. */
export interface Entry {
  readonly at: number
  readonly weight: number
}

/** A reservation waiting for its planned admission time `at`; refused if that is later than `deadline`. */
export interface Waiter extends Entry {
  readonly id: number
  readonly deadline: number
}

export type Refusal =
  | { readonly _tag: "Banned"; readonly until: number }
  | { readonly _tag: "TooLong"; readonly waitMs: number; readonly pausedMs: number }
  | { readonly _tag: "TooHeavy"; readonly limit: number }

export interface Window {
  readonly limit: number
  readonly admitted: ReadonlyArray<Entry>
  /** In arrival order; `at` never decreases along the queue. */
  readonly waiting: ReadonlyArray<Waiter>
  /** Waiters refused while they slept, until they come to read it. */
  readonly refused: ReadonlyMap<number, Refusal>
  readonly pausedUntil: number
  readonly bannedUntil: number
  readonly nextId: number
}

export const empty = (limit: number): Window => ({
  limit,
  admitted: [],
  waiting: [],
  refused: new Map(),
  pausedUntil: 0,
  bannedUntil: 0,
  nextId: 0
})

const sum = (entries: ReadonlyArray<Entry>): number => entries.reduce((n, e) => n + e.weight, 0)

/**
 * Admitted weight is kept in 100 ms buckets: an entry counted in the same bucket as the last one is
 * merged into it, stamped at the later time. The earlier weight is then held (at most 100 ms) longer
 * than needed — never shorter — so the window stays a safe upper bound while holding at most ~600
 * entries however many calls a minute brings.
 */
const BUCKET_MS = 100

const admit = (admitted: ReadonlyArray<Entry>, entry: Entry): ReadonlyArray<Entry> => {
  const last = admitted[admitted.length - 1]
  if (last !== undefined && Math.floor(last.at / BUCKET_MS) === Math.floor(entry.at / BUCKET_MS)) {
    return [...admitted.slice(0, -1), { at: Math.max(last.at, entry.at), weight: last.weight + entry.weight }]
  }
  return [...admitted, entry]
}

/** Weight admitted in the sliding window ending at `now`. */
export const used = (w: Window, now: number): number =>
  sum(w.admitted.filter((e) => e.at > now - WINDOW_MS && e.at <= now))

/**
 * The earliest time ≥ `from` at which `weight` fits under `limit`, given `entries` that all lie at or
 * before `from`. Assumes `weight <= limit`.
 */
export const earliestFit = (entries: ReadonlyArray<Entry>, weight: number, from: number, limit: number): number => {
  const live = entries.filter((e) => e.at > from - WINDOW_MS).sort((a, b) => a.at - b.at)
  let inWindow = sum(live)
  let at = from
  for (const oldest of live) {
    if (inWindow + weight <= limit) break
    // `oldest` leaves the window exactly 60 s after it was counted.
    at = Math.max(at, oldest.at + WINDOW_MS)
    inWindow -= oldest.weight
  }
  return at
}

const prune = (w: Window, now: number): Window => ({
  ...w,
  admitted: w.admitted.filter((e) => e.at > now - WINDOW_MS)
})

/** Plans a new waiter behind every other one; `Refusal` when it cannot be admitted by `deadline`. */
const plan = (
  w: Window,
  now: number,
  weight: number,
  deadline: number,
  planned: ReadonlyArray<Waiter>
): number | Refusal => {
  if (w.bannedUntil > now) return { _tag: "Banned", until: w.bannedUntil }
  if (weight > w.limit) return { _tag: "TooHeavy", limit: w.limit }
  const last = planned.length > 0 ? planned[planned.length - 1]!.at : now
  const from = Math.max(now, w.pausedUntil, last)
  // Fast path: nobody waits, no pause, and the weight fits now.
  if (planned.length === 0 && from === now && sum(w.admitted) + weight <= w.limit) return now
  const at = earliestFit([...w.admitted, ...planned], weight, from, w.limit)
  return at > deadline ? { _tag: "TooLong", waitMs: at - now, pausedMs: Math.max(0, w.pausedUntil - now) } : at
}

export type Reserved =
  | { readonly _tag: "Admitted" }
  | { readonly _tag: "Queued"; readonly id: number }
  | { readonly _tag: "Refused"; readonly refusal: Refusal }

/** A new reservation: admitted now, queued until its planned time, or refused at once. */
export const reserve = (
  window: Window,
  now: number,
  weight: number,
  maxWaitMs: number
): readonly [Reserved, Window] => {
  const w = prune(window, now)
  const at = plan(w, now, weight, now + maxWaitMs, w.waiting)
  if (typeof at !== "number") return [{ _tag: "Refused", refusal: at }, w]
  if (at <= now) return [{ _tag: "Admitted" }, { ...w, admitted: admit(w.admitted, { at, weight }) }]
  const id = w.nextId
  const waiter: Waiter = { id, at, weight, deadline: now + maxWaitMs }
  return [{ _tag: "Queued", id }, { ...w, nextId: id + 1, waiting: [...w.waiting, waiter] }]
}

export type Turn =
  | { readonly _tag: "Admitted" }
  | { readonly _tag: "Wait"; readonly ms: number }
  | { readonly _tag: "Refused"; readonly refusal: Refusal }
  | { readonly _tag: "Lost" }

/** A waiter checks its turn: admitted once its planned time has come, or told how long to sleep. */
export const claim = (w: Window, now: number, id: number): readonly [Turn, Window] => {
  const refusal = w.refused.get(id)
  if (refusal !== undefined) {
    const refused = new Map(w.refused)
    refused.delete(id)
    return [{ _tag: "Refused", refusal }, { ...w, refused }]
  }
  const waiter = w.waiting.find((x) => x.id === id)
  if (waiter === undefined) return [{ _tag: "Lost" }, w]
  if (waiter.at > now) return [{ _tag: "Wait", ms: waiter.at - now }, w]
  return [{ _tag: "Admitted" }, {
    ...w,
    admitted: admit(w.admitted, { at: waiter.at, weight: waiter.weight }),
    waiting: w.waiting.filter((x) => x.id !== id)
  }]
}

/**
 * Plans every waiter again, in arrival order, after the limit, a pause, a ban or the reported usage
 * changed: waiters move later (or earlier), and those that can no longer make their deadline are refused.
 */
export const replan = (window: Window, now: number): Window => {
  const w = prune(window, now)
  const refused = new Map(w.refused)
  const waiting: Array<Waiter> = []
  for (const waiter of w.waiting) {
    const at = plan(w, now, waiter.weight, waiter.deadline, waiting)
    if (typeof at === "number") waiting.push({ ...waiter, at })
    else refused.set(waiter.id, at)
  }
  return { ...w, waiting, refused }
}

/** A waiter gave up (interrupted): its planned weight is released. */
export const withdraw = (w: Window, now: number, id: number): Window => {
  const refused = new Map(w.refused)
  refused.delete(id)
  return replan({ ...w, refused, waiting: w.waiting.filter((x) => x.id !== id) }, now)
}

/**
 * The exchange counted `usedWeight1m` in its current fixed minute. Whatever exceeds what this
 * budget counted in that minute was spent elsewhere (same IP) and is recorded now.
 */
export const observe = (w: Window, now: number, usedWeight1m: number): Window => {
  const minuteStart = Math.floor(now / WINDOW_MS) * WINDOW_MS
  const counted = sum(w.admitted.filter((e) => e.at >= minuteStart && e.at <= now))
  if (!(usedWeight1m > counted)) return w
  return replan({ ...w, admitted: admit(w.admitted, { at: now, weight: usedWeight1m - counted }) }, now)
}

export const pause = (w: Window, now: number, untilMs: number): Window =>
  untilMs > w.pausedUntil ? replan({ ...w, pausedUntil: untilMs }, now) : w

export const ban = (w: Window, now: number, untilMs: number): Window =>
  untilMs > w.bannedUntil ? replan({ ...w, bannedUntil: untilMs }, now) : w

export const setLimit = (w: Window, now: number, limit: number): Window => replan({ ...w, limit }, now)
