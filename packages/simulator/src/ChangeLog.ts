/**
 * Every accepted change, in order: through the exchange API (`source: "api"`) or the control API
 * (`source: "control"`). Tests read it to prove that a change happened exactly once.
 */

export interface Entry {
  readonly seq: number
  readonly time: number
  readonly source: "api" | "control"
  readonly account: string
  /** `METHOD /path` */
  readonly endpoint: string
  readonly params: Readonly<Record<string, unknown>>
  readonly before: unknown
  readonly after: unknown
}

export interface ChangeLog {
  readonly record: (entry: Omit<Entry, "seq">) => Entry
  readonly entries: () => ReadonlyArray<Entry>
  readonly clear: () => void
}

export const make = (): ChangeLog => {
  let entries: Array<Entry> = []
  let seq = 0
  return {
    record: (entry) => {
      const full = { seq: ++seq, ...entry }
      entries.push(full)
      return full
    },
    entries: () => entries,
    clear: () => {
      entries = []
      seq = 0
    }
  }
}
