/**
 * The popup's page: the account picker, the passphrase form, Multi-Assets Mode and the position mode,
 * the isolated symbols (or those matching the search) with their leverage and a switch each, the last
 * error, the panel, whether changes made elsewhere show as they happen ("live"), and a gateway
 * account's drift from its desired state (`DriftLine`). Orders and positions are not read to show the account (only a plan reads
 * them, and its blockers name them).
 */
import type { SymbolId } from "@marginctl/core/Domain"
import type { DesiredState } from "@marginctl/core/Planner"
import { h, show } from "../Dom.js"
import type { SymbolRow } from "../Messages.js"
import { driftLine } from "./DriftLine.js"
import { type PanelActions, renderPanel } from "./PlanPanel.js"
import { el, state } from "./PopupState.js"

export interface ViewActions extends PanelActions {
  /** Reads the selected account again (after a failed read). */
  readonly retry: () => void
  readonly preview: (title: string, desired: DesiredState) => void
}

/** The page's renderers, wired to the popup's actions. */
export const makeView = (actions: ViewActions) => {
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
          ? h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: actions.retry }, "Try again"))
          : null
      )
    )
  }

  const visibleRows = (): ReadonlyArray<SymbolRow> => {
    const all = state.overview?.symbols ?? []
    const query = el.search.value.trim().toUpperCase()
    if (query === "") return all.filter((s) => s.marginType === "ISOLATED")
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
      ? "No isolated symbol. Search to change another symbol."
      : "Isolated symbols (search to change another):"
    const busy = state.panel !== null
    el.rows.replaceChildren(
      ...rows.map((s) => {
        const target = s.marginType === "ISOLATED" ? "CROSSED" : "ISOLATED"
        return h(
          "li",
          { class: "row", "data-testid": "margin-type-row", "data-symbol": s.symbol, "data-margin-type": s.marginType },
          h("span", { class: "sym" }, s.symbol),
          h("span", { class: `badge ${s.marginType === "ISOLATED" ? "isolated" : "crossed"}` }, s.marginType),
          h("span", { class: "notes small muted" }, s.leverage === undefined ? "" : `leverage ${s.leverage}×`),
          h(
            "button",
            {
              type: "button",
              class: "secondary",
              // The accessible name starts with the visible word (WCAG 2.5.3).
              "aria-label": `${target === "ISOLATED" ? "Isolate" : "Cross"} ${s.symbol}`,
              title: `Set ${s.symbol} to ${target}`,
              disabled: busy,
              onclick: () => actions.preview(`Set ${s.symbol} to ${target}`, { marginTypes: { symbols: [{ symbol: s.symbol as SymbolId, marginType: target }] } })
            },
            target === "ISOLATED" ? "Isolate" : "Cross"
          )
        )
      })
    )
  }

  // Rebuilt only when what it says changes: a live re-render keeps the lines expanded.
  let shownDrift = ""
  const renderDrift = () => {
    const line = state.overview === null ? null : driftLine(state.drift)
    const key = line === null ? "" : [line.status, line.text, ...line.lines].join("\n")
    if (key === shownDrift) return
    shownDrift = key
    show(el.drift, line !== null)
    el.drift.dataset.status = line?.status ?? ""
    el.drift.replaceChildren(
      line === null
        ? ""
        : line.lines.length === 0
        ? line.text
        : h("details", {}, h("summary", {}, line.text), h("ul", {}, ...line.lines.map((l) => h("li", {}, l))))
    )
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
    const mode = state.overview?.multiAssets ?? null
    el.maState.textContent = mode === null ? "…" : mode ? "on" : "off"
    el.maState.dataset.state = mode === null ? "unknown" : mode ? "on" : "off"
    el.maToggle.disabled = mode === null || state.panel !== null
    el.maToggle.textContent = mode === null ? "Turn on or off" : mode ? "Turn off" : "Turn on"
    const hedge = state.overview?.hedgeMode ?? null
    el.positionMode.textContent = hedge === null ? "" : `Position mode: ${hedge ? "hedge" : "one-way"}`
    show(el.positionMode, hedge !== null)
    const live = state.live && state.overview !== null
    el.live.dataset.live = String(live)
    el.live.textContent = live ? "live" : "not live"
    el.live.title = live
      ? "Changes made elsewhere show here as they happen."
      : state.liveReason ?? "Changes made elsewhere show when the popup is opened again."
    renderDrift()
    renderRows()
    renderPanel(actions)
  }

  return { render, renderRows }
}
