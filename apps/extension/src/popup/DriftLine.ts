/**
 * What the popup says about a gateway account's drift from its desired state: one short line (what
 * differs, or what blocks it and the fix), and the gateway's plain lines to expand. Nothing when the
 * backend keeps no desired state (a direct account, an older gateway) or the gateway cannot say
 * (`unknown`: none is set, or the account was not read yet). A failed read says so on that line alone.
 */
import type { DriftSummary, UserErrorData } from "../Messages.js"

export interface DriftLine {
  /** `error`: the drift could not be read (the settings shown are not affected). */
  readonly status: Exclude<DriftSummary["status"], "unknown"> | "error"
  /** The short line, e.g. "Differs from its desired state: Set BTCUSDT from CROSSED to ISOLATED". */
  readonly text: string
  /** What to expand: the gateway's lines (empty when in sync). */
  readonly lines: ReadonlyArray<string>
}

/** The first two of `items`, and how many more. */
const some = (items: ReadonlyArray<string>): string =>
  items.length <= 2 ? items.join("; ") : `${items.slice(0, 2).join("; ")} and ${items.length - 2} more`

export const driftLine = (drift: DriftSummary | UserErrorData | null): DriftLine | null => {
  if (drift === null) return null
  if ("_tag" in drift) {
    return { status: "error", text: `Desired state not checked: ${drift.title}`, lines: drift.fix === undefined ? [drift.detail] : [drift.detail, drift.fix] }
  }
  const { blockers, detail, lines, status, steps } = drift
  const first = blockers[0]
  switch (status) {
    case "unknown":
      return null
    case "in-sync":
      return { status, text: "Matches its desired state", lines: [] }
    case "drifted":
      return { status, text: `Differs from its desired state: ${steps.length === 0 ? detail : some(steps)}`, lines }
    case "blocked":
    case "locked":
      return {
        status,
        text: `${status === "blocked" ? "Blocked" : "Locked"}: ${first === undefined ? detail : `${first.what} ${first.fix}`}`,
        lines
      }
  }
}
