/**
 * Pure planning behind `WeightBudget`: the callers of one process that wait for room, in arrival
 * order, each planned at the time its weight fits behind the store's window and every waiter ahead.
 *
 * Invariant: a waiter is planned at a time `at` not earlier than any waiter ahead of it, and the
 * weight in `(at - 60 s, at]` (the store's entries plus the waiters ahead) plus its own is at most the
 * limit. Hence waiters are served first come first served, and — as each is admitted only by the
 * store's atomic reserve — no 60-second window holds more than the limit.
 *
 * @internal
 */
import { type Entry, type Snapshot, WINDOW_MS } from "../BudgetStore.js"

/** A caller waiting for its planned admission time `at`; refused if that is later than `deadline`. */
export interface Waiter extends Entry {
  readonly id: number
  readonly deadline: number
}

export type Refusal =
  | { readonly _tag: "Banned"; readonly until: number }
  | { readonly _tag: "TooLong"; readonly waitMs: number; readonly pausedMs: number }
  | { readonly _tag: "TooHeavy"; readonly limit: number }

/**
 * The earliest time ≥ `from` at which `weight` fits under `limit` beside `entries`. Assumes
 * `weight <= limit`.
 */
export const earliestFit = (entries: ReadonlyArray<Entry>, weight: number, from: number, limit: number): number => {
  const live = entries.filter((e) => e.at > from - WINDOW_MS).sort((a, b) => a.at - b.at)
  let inWindow = live.reduce((n, e) => n + e.weight, 0)
  let at = from
  for (const oldest of live) {
    if (inWindow + weight <= limit) break
    // `oldest` leaves the window exactly 60 s after it was counted.
    at = Math.max(at, oldest.at + WINDOW_MS)
    inWindow -= oldest.weight
  }
  return at
}

/** When a caller of `weight` arriving at `now` behind `ahead` may go, or why it is refused at once. */
export const plan = (
  s: Snapshot,
  now: number,
  weight: number,
  deadline: number,
  ahead: ReadonlyArray<Waiter>
): number | Refusal => {
  if (s.bannedUntil > now) return { _tag: "Banned", until: s.bannedUntil }
  if (weight > s.limit) return { _tag: "TooHeavy", limit: s.limit }
  const last = ahead.length > 0 ? ahead[ahead.length - 1]!.at : now
  const from = Math.max(now, s.pausedUntil, last)
  const at = ahead.length === 0 ? earliestFit(s.entries, weight, from, s.limit) : earliestFit([...s.entries, ...ahead], weight, from, s.limit)
  return at > deadline ? { _tag: "TooLong", waitMs: at - now, pausedMs: Math.max(0, s.pausedUntil - now) } : at
}

/**
 * Plans every waiter again, in arrival order, against a newer snapshot (the limit, a pause, a ban or
 * the reported usage changed, or another process took the room): waiters move later or earlier, and
 * those that can no longer make their deadline are refused.
 */
export const replan = (
  s: Snapshot,
  now: number,
  waiters: ReadonlyArray<Waiter>
): { readonly waiting: Array<Waiter>; readonly refused: Array<readonly [number, Refusal]> } => {
  const waiting: Array<Waiter> = []
  const refused: Array<readonly [number, Refusal]> = []
  for (const waiter of waiters) {
    const at = plan(s, now, waiter.weight, waiter.deadline, waiting)
    if (typeof at === "number") waiting.push({ ...waiter, at })
    else refused.push([waiter.id, at])
  }
  return { waiting, refused }
}
