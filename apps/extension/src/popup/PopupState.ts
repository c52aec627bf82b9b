/** What the popup shows (the selected account, its settings, the open panel, the last error) and its elements. */
import type { DesiredState, Plan, ProgressEvent, StepOutcome } from "@marginctl/core/Planner"
import { byId } from "../Dom.js"
import type { AccountSummary, BlockerWords, DriftSummary, Overview, StepFailed, UserErrorData, VaultStatus } from "../Messages.js"

export type UserError = UserErrorData

export type Panel =
  | { readonly _tag: "Planning"; readonly title: string }
  | {
    readonly _tag: "Preview"
    readonly title: string
    readonly desired: DesiredState
    readonly plan: Plan
    readonly blockers: ReadonlyArray<BlockerWords>
  }
  | {
    readonly _tag: "Applying"
    readonly title: string
    plan: Plan
    readonly outcomes: Map<number, StepOutcome | "running">
    readonly failures: Map<number, StepFailed>
    reconciled: Set<number>
    summary: Extract<ProgressEvent, { _tag: "Done" }>["summary"] | null
  }

export interface State {
  accounts: ReadonlyArray<AccountSummary>
  selected: string | null
  vault: VaultStatus
  /** The account's settings (mode, position mode, margin types, leverage): a pushed change replaces a field or a row. */
  overview: Overview | null
  /** A gateway account's drift from its desired state, or why it could not be read (null: none kept, or not read yet). */
  drift: DriftSummary | UserError | null
  /** Changes made elsewhere show as they happen (the live port says so); `liveReason` says why not. */
  live: boolean
  liveReason: string | undefined
  /** The last read of the account failed (the error says why; a retry button is shown). */
  readFailed: boolean
  panel: Panel | null
  error: UserError | null
  status: string
  /** Bumped on every account switch: answers for an older account are dropped. */
  generation: number
}

export const state: State = {
  accounts: [],
  selected: null,
  vault: "locked",
  overview: null,
  drift: null,
  live: false,
  liveReason: undefined,
  readFailed: false,
  panel: null,
  error: null,
  status: "Loading…",
  generation: 0
}

export const el = {
  account: byId<HTMLSelectElement>("account"),
  openOptions: byId<HTMLButtonElement>("open-options"),
  errors: byId("errors"),
  status: byId("status"),
  setup: byId("setup"),
  setupOpen: byId<HTMLButtonElement>("setup-open"),
  unlock: byId<HTMLFormElement>("unlock"),
  passphrase: byId<HTMLInputElement>("passphrase"),
  panel: byId("panel"),
  view: byId("account-view"),
  live: byId("live-state"),
  maState: byId("ma-state"),
  maToggle: byId<HTMLButtonElement>("ma-toggle"),
  positionMode: byId("position-mode"),
  drift: byId("drift"),
  search: byId<HTMLInputElement>("search"),
  rows: byId<HTMLUListElement>("rows"),
  rowsNote: byId("rows-note")
}

/** The panel while a plan runs. */
export type Applying = Extract<Panel, { _tag: "Applying" }>
