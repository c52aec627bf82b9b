/**
 * What the popup says about a gateway account's drift from its desired state: one short line, and the
 * gateway's plain lines (what differs, what blocks it, the fix) to expand. Nothing when the backend
 * keeps no desired state (a direct account, an older gateway) or the gateway cannot say (`unknown`:
 * none is set, or the account was not read yet). A failed read says so on that line alone.
 */
import type { DriftSummary, UserErrorData } from "../Messages.js"

export interface DriftLine {
  /** `error`: the drift could not be read (the settings shown are not affected). */
  readonly status: Exclude<DriftSummary["status"], "unknown"> | "error"
  /** The short line, e.g. "Differs from its desired state: Set BTCUSDT from CROSSED to ISOLATED". */
  readonly text: string
  /** Every line, shown when expanded (empty when in sync). */
  readonly lines: ReadonlyArray<string>
}

const lead = {
  "in-sync": "Matches its desired state",
  drifted: "Differs from its desired state",
  blocked: "Blocked from its desired state",
  locked: "Locked out of its desired state"
} as const

export const driftLine = (drift: DriftSummary | UserErrorData | null): DriftLine | null => {
  if (drift === null) return null
  if ("_tag" in drift) {
    return { status: "error", text: `Desired state not checked: ${drift.title}`, lines: drift.fix === undefined ? [] : [drift.detail, drift.fix] }
  }
  if (drift.status === "unknown") return null
  const { status, lines } = drift
  if (status === "in-sync") return { status, text: lead[status], lines: [] }
  const first = lines[0] ?? drift.detail
  const more = lines.length > 1 ? ` (+${lines.length - 1} more)` : ""
  return { status, text: `${lead[status]}: ${first}${more}`, lines }
}
