/**
 * The popup: pick an account, see Multi-Assets Mode and the margin types that matter, change them
 * through a plan preview and a confirmation, follow the progress, read the outcome. All work happens
 * in the service worker; this page owns one ManagedRuntime with the WorkerClient and renders.
 */
import type { SymbolId } from "@marginctl/core/Domain"
import type { DesiredState, Plan, ProgressEvent, StepOutcome } from "@marginctl/core/Planner"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type { AccountSummary, ApplyMessage, Overview, SymbolRow, UserErrorData, VaultStatus } from "../Messages.js"
import { make as WorkerClientMake, WorkerClient } from "../WorkerClient.js"
import { byId, h, show } from "./dom.js"
import { blockerText, explain } from "../Vocabulary.js"
import { grouped, OUTCOME_LABEL, summaryText } from "./texts.js"

/**
 * This page's one runtime: the default runtime plus the WorkerClient. Not a ManagedRuntime: the
 * client holds no resources, and Layer/ManagedRuntime would add 3 KB (gzip) to a budgeted bundle.
 */
const runtime = Runtime.provideService(Runtime.defaultRuntime, WorkerClient, WorkerClientMake(chrome.runtime))
const runPromiseExit = Runtime.runPromiseExit(runtime)

type UserError = UserErrorData

/** Runs an effect needing the WorkerClient; resolves to its value or a UserError (never rejects). */
const run = async <A>(effect: Effect.Effect<A, UserError, WorkerClient>): Promise<Exit.Exit<A, UserError>> => {
  const exit = await runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit
  return Option.match(Cause.failureOption(exit.cause), {
    onSome: (e) => Exit.fail(e),
    onNone: () =>
      Exit.fail({ _tag: "UserError", kind: "internal", title: "Something went wrong in the popup", detail: "Close and reopen it." })
  })
}

// ---------------------------------------------------------------------------------------------
// State

type Panel =
  | { readonly _tag: "Planning"; readonly title: string }
  | { readonly _tag: "Preview"; readonly title: string; readonly desired: DesiredState; readonly plan: Plan }
  | {
    readonly _tag: "Applying"
    readonly title: string
    plan: Plan
    readonly outcomes: Map<number, StepOutcome | "running">
    readonly errors: Map<number, { readonly tag: string; readonly message: string; readonly code: number | null }>
    reconciled: Set<number>
    summary: Extract<ProgressEvent, { _tag: "Done" }>["summary"] | null
  }

interface State {
  accounts: ReadonlyArray<AccountSummary>
  selected: string | null
  vault: VaultStatus
  mode: boolean | null
  overview: Overview | null
  /** The last read of the account failed (the error says why; a retry button is shown). */
  readFailed: boolean
  panel: Panel | null
  error: UserError | null
  status: string
  /** Bumped on every account switch: answers for an older account are dropped. */
  generation: number
}

const state: State = {
  accounts: [],
  selected: null,
  vault: "locked",
  mode: null,
  overview: null,
  readFailed: false,
  panel: null,
  error: null,
  status: "Loading…",
  generation: 0
}

const el = {
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
  maState: byId("ma-state"),
  maToggle: byId<HTMLButtonElement>("ma-toggle"),
  search: byId<HTMLInputElement>("search"),
  rows: byId<HTMLUListElement>("rows"),
  rowsNote: byId("rows-note")
}

// ---------------------------------------------------------------------------------------------
// Rendering

const renderError = () => {
  el.errors.replaceChildren()
  const e = state.error
  if (e === null) return
  el.errors.append(
    h(
      "div",
      { class: "error", role: "alert", "data-testid": "error-message", "data-kind": e.kind },
      h("strong", {}, e.title),
      h("p", {}, e.detail, e.code === undefined ? "" : ` (Binance ${e.code})`),
      e.fix === undefined ? null : h("p", { class: "fix" }, e.fix),
      state.readFailed && e.kind !== "locked"
        ? h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => void loadAccount() }, "Try again"))
        : null
    )
  )
}

const relevant = (s: SymbolRow): boolean => s.positionAmt !== 0 || s.openOrders > 0 || s.marginType === "ISOLATED"

const visibleRows = (): ReadonlyArray<SymbolRow> => {
  const all = state.overview?.symbols ?? []
  const query = el.search.value.trim().toUpperCase()
  if (query === "") return all.filter(relevant)
  return all.filter((s) => s.symbol.includes(query)).slice(0, 30)
}

const renderRows = () => {
  const overview = state.overview
  const query = el.search.value.trim()
  if (overview === null) {
    el.rows.replaceChildren()
    el.rowsNote.textContent = state.selected === null ? "" : state.readFailed ? "Not available." : "Reading margin types…"
    return
  }
  const rows = visibleRows()
  el.rowsNote.textContent = query !== ""
    ? rows.length === 0 ? `No symbol matches “${query}”.` : `${rows.length} matching ${rows.length === 1 ? "symbol" : "symbols"}.`
    : rows.length === 0
    ? "No positions, open orders or isolated symbols. Search to change another symbol."
    : "Symbols with positions, open orders or isolated margin:"
  const busy = state.panel !== null
  el.rows.replaceChildren(
    ...rows.map((s) => {
      const target = s.marginType === "ISOLATED" ? "CROSSED" : "ISOLATED"
      const notes = [
        s.positionAmt !== 0 ? `position ${s.positionAmt}` : "",
        s.openOrders > 0 ? `${s.openOrders} open ${s.openOrders === 1 ? "order" : "orders"}` : ""
      ].filter((n) => n !== "").join(" · ")
      return h(
        "li",
        { class: "row", "data-testid": "margin-type-row", "data-symbol": s.symbol, "data-margin-type": s.marginType },
        h("span", { class: "sym" }, s.symbol),
        h("span", { class: `badge ${s.marginType === "ISOLATED" ? "isolated" : "crossed"}` }, s.marginType),
        h("span", { class: "notes small muted" }, notes),
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            // The accessible name starts with the visible word (WCAG 2.5.3).
            "aria-label": `${target === "ISOLATED" ? "Isolate" : "Cross"} ${s.symbol}`,
            title: `Set ${s.symbol} to ${target}`,
            disabled: busy,
            onclick: () => void preview(`Set ${s.symbol} to ${target}`, { marginTypes: { symbols: [{ symbol: s.symbol as SymbolId, marginType: target }] } })
          },
          target === "ISOLATED" ? "Isolate" : "Cross"
        )
      )
    })
  )
}

const stepList = (plan: Plan, applying: Extract<Panel, { _tag: "Applying" }> | null) =>
  h(
    "ol",
    { class: "steps" },
    ...plan.steps.map((step) => {
      const outcome = applying === null ? undefined : applying.outcomes.get(step.index) ?? "waiting"
      const error = applying?.errors.get(step.index)
      const failure = error === undefined
        ? undefined
        : explain({ _tag: error.tag, code: error.code, ...(step._tag === "SetMarginType" ? { symbol: step.symbol } : {}) })
      return h(
        "li",
        { class: "step", "data-step": step.index, ...(outcome === undefined ? {} : { "data-outcome": outcome }) },
        h(
          "div",
          { class: "row-between" },
          h("span", {}, step.title),
          outcome === undefined
            ? h("span", { class: "weight small muted" }, `weight ${step.weight}`)
            : h(
              "span",
              { class: `outcome ${outcome}` },
              OUTCOME_LABEL[outcome] + (applying?.reconciled.has(step.index) ? " (confirmed by re-reading)" : "")
            )
        ),
        applying === null && step.blockers.length > 0
          ? h(
            "ul",
            { class: "blockers" },
            ...step.blockers.map((b) => {
              const t = blockerText(b)
              return h("li", { class: "blocker" }, h("strong", {}, "Blocked: "), t.what, h("br"), h("span", { class: "fix" }, t.fix))
            })
          )
          : null,
        error === undefined
          ? null
          : h(
            "p",
            { class: "blocker small" },
            failure?.title ?? "",
            error.code === null ? "" : ` (Binance ${error.code})`,
            failure?.fix === undefined ? null : h("span", { class: "fix" }, h("br"), `Fix: ${failure.fix}`)
          )
      )
    })
  )

const renderPanel = () => {
  const panel = state.panel
  show(el.panel, panel !== null)
  el.view.inert = panel !== null
  if (panel === null) {
    el.panel.replaceChildren()
    return
  }
  const title = h(
    "h2",
    { id: "panel-title" },
    panel._tag === "Applying" && panel.summary === null ? `Applying: ${panel.title}` : panel.title
  )
  if (panel._tag === "Planning") {
    el.panel.replaceChildren(title, h("p", { class: "muted" }, "Reading the account and planning…"))
    return
  }
  if (panel._tag === "Preview") {
    const { plan } = panel
    const nothing = plan.steps.length === 0
    const notes: Array<string> = []
    if (plan.multiAssetsUnchanged) notes.push(`Multi-Assets Mode is already ${plan.multiAssets.before ? "on" : "off"}.`)
    if (plan.unchanged.length > 0) notes.push(`Already as asked: ${plan.unchanged.join(", ")}.`)
    el.panel.replaceChildren(
      title,
      h(
        "div",
        { "data-testid": "plan-preview", "data-blocked": String(plan.blocked), "data-steps": plan.steps.length },
        nothing
          ? h("p", { class: "ok" }, "Already set: nothing needs to change, so nothing will be sent.")
          : h("p", { class: "small" }, `Plan (${plan.steps.length} ${plan.steps.length === 1 ? "step" : "steps"}):`),
        nothing ? null : stepList(plan, null),
        ...notes.map((n) => h("p", { class: "small" }, n)),
        nothing
          ? null
          : h(
            "p",
            { class: "small muted" },
            `Weight: ${plan.applyWeight} to apply; reading the account cost ${grouped(plan.readWeight)} (Binance allows 2,400 per minute).`
          ),
        plan.blocked ? h("p", { class: "small" }, "Clear the blockers first: nothing has been sent.") : null
      ),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: closePanel }, nothing || plan.blocked ? "Close" : "Cancel"),
        nothing
          ? null
          : h(
            "button",
            {
              type: "button",
              class: "primary",
              "data-testid": "confirm-apply",
              disabled: plan.blocked,
              onclick: () => void confirm(panel)
            },
            "Confirm"
          )
      )
    )
    return
  }
  const children: Array<Node> = [title, stepList(panel.plan, panel)]
  if (panel.summary === null) {
    children.push(h("p", { class: "muted", role: "status" }, "Applying…"))
  } else {
    children.push(
      h(
        "p",
        { class: panel.summary.complete ? "ok" : "warn", role: "status", "data-testid": "apply-outcome" },
        summaryText(panel.summary)
      ),
      h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: closePanel }, "Close"))
    )
  }
  el.panel.replaceChildren(...children)
}

const render = () => {
  const { accounts, selected, vault } = state
  el.account.replaceChildren(
    ...accounts.map((a) => h("option", { value: a.id, selected: a.id === selected }, `${a.name} · ${a.where}`))
  )
  el.account.disabled = accounts.length < 2 || (state.panel !== null && state.panel._tag === "Applying" && state.panel.summary === null)
  el.status.textContent = state.status
  show(el.status, state.status !== "")
  renderError()
  show(el.setup, accounts.length === 0 || vault === "missing")
  const locked = accounts.length > 0 && vault === "locked"
  show(el.unlock, locked)
  const ready = accounts.length > 0 && vault === "unlocked" && selected !== null
  show(el.view, ready)
  el.maState.textContent = state.mode === null ? "…" : state.mode ? "on" : "off"
  el.maState.dataset.state = state.mode === null ? "unknown" : state.mode ? "on" : "off"
  el.maToggle.disabled = state.mode === null || state.panel !== null
  el.maToggle.textContent = state.mode === null ? "Turn on or off" : state.mode ? "Turn off" : "Turn on"
  renderRows()
  renderPanel()
}

// ---------------------------------------------------------------------------------------------
// Actions

const fail = (error: UserError) => {
  state.error = error
  if (error.kind === "locked") state.vault = "locked"
  render()
}

const loadAccount = async (): Promise<void> => {
  const account = state.selected
  if (account === null || state.vault !== "unlocked") return
  const generation = ++state.generation
  state.mode = null
  state.overview = null
  state.readFailed = false
  state.error = null
  state.status = "Reading the account…"
  render()
  const mode = run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "GetMode", account })))
  const overview = run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "GetOverview", account })))
  const modeExit = await mode
  if (generation !== state.generation) return
  if (Exit.isSuccess(modeExit)) {
    if (state.overview === null) state.mode = modeExit.value
    render()
  }
  const overviewExit = await overview
  if (generation !== state.generation) return
  state.status = ""
  if (Exit.isSuccess(overviewExit)) {
    state.overview = overviewExit.value
    state.mode = overviewExit.value.multiAssets
    render()
  } else {
    state.readFailed = true
    const failure = Cause.failureOption(overviewExit.cause)
    if (Option.isSome(failure)) fail(failure.value)
    else render()
  }
}

const loadState = async (): Promise<void> => {
  const exit = await run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "GetState" })))
  if (Exit.isFailure(exit)) {
    state.status = ""
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure)) fail(failure.value)
    return
  }
  const { accounts, selected, vault } = exit.value
  state.accounts = accounts
  state.selected = selected
  state.vault = vault
  state.status = accounts.length === 0 ? "" : vault === "locked" ? "" : state.status
  render()
  if (vault === "locked") el.passphrase.focus()
  await loadAccount()
}

const preview = async (title: string, desired: DesiredState): Promise<void> => {
  const account = state.selected
  if (account === null) return
  state.error = null
  state.panel = { _tag: "Planning", title }
  render()
  el.panel.focus()
  const exit = await run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "MakePlan", account, desired })))
  if (state.panel?._tag !== "Planning") return
  if (Exit.isSuccess(exit)) {
    state.panel = { _tag: "Preview", title, desired, plan: exit.value }
    render()
    el.panel.focus()
  } else {
    state.panel = null
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure)) fail(failure.value)
    else render()
  }
}

const confirm = async (panel: Extract<Panel, { _tag: "Preview" }>): Promise<void> => {
  const account = state.selected
  if (account === null) return
  const applying: Extract<Panel, { _tag: "Applying" }> = {
    _tag: "Applying",
    title: panel.title,
    plan: panel.plan,
    outcomes: new Map(),
    errors: new Map(),
    reconciled: new Set(),
    summary: null
  }
  state.panel = applying
  render()
  el.panel.focus()
  const onMessage = (message: ApplyMessage) => {
    switch (message._tag) {
      case "ApplyStarted":
        applying.plan = message.plan
        break
      case "StepStarted":
        applying.outcomes.set(message.index, "running")
        break
      case "StepFinished":
        applying.outcomes.set(message.index, message.outcome)
        if (message.reconciled === true) applying.reconciled.add(message.index)
        if (message.error !== undefined) applying.errors.set(message.index, message.error)
        break
      case "Done":
        applying.summary = message.summary
        break
      case "ApplyFailed":
        break
    }
    if (state.panel === applying) render()
  }
  const exit = await run(Effect.flatMap(WorkerClient, (c) => c.apply({ account, desired: panel.desired, plan: panel.plan }, onMessage)))
  if (Exit.isFailure(exit)) {
    const failure = Cause.failureOption(exit.cause)
    if (state.panel === applying) state.panel = null
    if (Option.isSome(failure)) fail(failure.value)
  }
  // Read the account again: the list and the mode show what is true now.
  const generation = state.generation
  const overview = await run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "GetOverview", account })))
  if (generation !== state.generation) return
  if (Exit.isSuccess(overview)) {
    state.overview = overview.value
    state.mode = overview.value.multiAssets
  }
  render()
}

function closePanel() {
  state.panel = null
  render()
  el.maToggle.focus()
}

// ---------------------------------------------------------------------------------------------
// Events

el.account.addEventListener("change", () => {
  const account = el.account.value
  state.selected = account
  state.error = null
  state.panel = null
  void run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "SelectAccount", account })))
  void loadAccount()
})

const openOptions = () => void chrome.runtime.openOptionsPage()
el.openOptions.addEventListener("click", openOptions)
el.setupOpen.addEventListener("click", openOptions)

el.unlock.addEventListener("submit", (event) => {
  event.preventDefault()
  const passphrase = el.passphrase.value
  el.passphrase.value = ""
  state.error = null
  state.status = "Unlocking…"
  render()
  void run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "Unlock", passphrase }))).then((exit) => {
    state.status = ""
    if (Exit.isSuccess(exit)) {
      state.vault = "unlocked"
      render()
      void loadAccount()
    } else {
      const failure = Cause.failureOption(exit.cause)
      if (Option.isSome(failure)) fail(failure.value)
      el.passphrase.focus()
    }
  })
})

el.maToggle.addEventListener("click", () => {
  if (state.mode === null) return
  const on = !state.mode
  void preview(`Turn Multi-Assets Mode ${on ? "on" : "off"}`, { multiAssets: on })
})

el.search.addEventListener("input", renderRows)

addEventListener("keydown", (event) => {
  if (event.key === "Escape" && state.panel !== null && state.panel._tag === "Preview") {
    event.preventDefault()
    closePanel()
  }
})

void loadState()
