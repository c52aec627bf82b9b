/**
 * What every benchmark hands to the runner (scripts/bench.mjs): its own markdown section and the rows
 * it contributes to the summary table, as JSON in `--out FILE`.
 */

export interface SummaryRow {
  /** What is measured, with its unit, e.g. "read Multi-Assets: CPU µs per call". */
  readonly row: string
  readonly marginctl: number | null
  readonly bestPeer: number | null
  readonly bestPeerName: string | null
  /** true: smaller is better (time, CPU, memory, weight); false: larger is better (calls/s). */
  readonly lowerIsBetter: boolean
  /** Digits to show. */
  readonly digits?: number
  readonly note?: string
  /** When there is nothing to compare yet ("pending (gateway)"). */
  readonly pending?: string
  /** A hard bar (e.g. 0 for 429s): the row passes when marginctl meets it, whatever the peers do. */
  readonly goal?: number
  /** `bestPeer` is a reference point, not a peer (no peer has the feature): shown, not judged. */
  readonly reference?: boolean
}

export interface BenchResult {
  readonly name: string
  readonly title: string
  /** The exact command that produced it (as the runner ran it). */
  readonly command?: string
  readonly markdown: string
  readonly summary: ReadonlyArray<SummaryRow>
  readonly raw?: unknown
}

export const fmt = (n: number | null | undefined, digits = 1): string => {
  if (n === null || n === undefined || Number.isNaN(n)) return "–"
  if (!Number.isFinite(n)) return "∞"
  const fixed = n.toFixed(digits)
  const [int, frac] = fixed.split(".") as [string, string | undefined]
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",")
  return frac === undefined ? grouped : `${grouped}.${frac}`
}

export const table = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, align?: string): string => {
  const sep = align ?? head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")
  return [
    `| ${head.join(" | ")} |`,
    `|${sep.startsWith("|") ? sep.slice(1) : sep}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`)
  ].join("\n")
}

/** The best of `values` by direction, with its name. */
export const best = (
  values: ReadonlyArray<{ readonly name: string; readonly value: number }>,
  lowerIsBetter: boolean
): { name: string; value: number } | null => {
  const finite = values.filter((v) => Number.isFinite(v.value))
  if (finite.length === 0) return null
  return finite.reduce((a, b) => (lowerIsBetter ? (b.value < a.value ? b : a) : (b.value > a.value ? b : a)))
}
