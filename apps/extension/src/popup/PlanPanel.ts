/**
 * The popup's panel: a plan being made, its preview (steps, weights, blockers with their fixes), then
 * its progress and outcome while it runs. Blockers and failed steps arrive worded by the worker.
 */
import type { Plan } from "@marginctl/core/Planner"
import { h, show } from "../Dom.js"
import type { BlockerWords } from "../Messages.js"
import { grouped, OUTCOME_LABEL, summaryText } from "./ApplyWords.js"
import { type Applying, el, type Panel, state } from "./PopupState.js"

export interface PanelActions {
  readonly confirm: (panel: Extract<Panel, { _tag: "Preview" }>) => void
  readonly close: () => void
}

const stepList = (plan: Plan, blockers: ReadonlyArray<BlockerWords>, applying: Applying | null) =>
  h(
    "ol",
    { class: "steps" },
    ...plan.steps.map((step) => {
      const outcome = applying === null ? undefined : applying.outcomes.get(step.index) ?? "waiting"
      const failure = applying?.failures.get(step.index)
      const stepBlockers = blockers.filter((b) => b.step === step.index)
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
        applying === null && stepBlockers.length > 0
          ? h(
            "ul",
            { class: "blockers" },
            ...stepBlockers.map((b) =>
              h("li", { class: "blocker" }, h("strong", {}, "Blocked: "), b.what, h("br"), h("span", { class: "fix" }, b.fix))
            )
          )
          : null,
        failure === undefined
          ? null
          : h(
            "p",
            { class: "blocker small" },
            failure.title,
            failure.code === undefined ? "" : ` (Binance ${failure.code})`,
            failure.fix === undefined ? null : h("span", { class: "fix" }, h("br"), `Fix: ${failure.fix}`)
          )
      )
    })
  )

export const renderPanel = (actions: PanelActions) => {
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
    if (plan.positionModeUnchanged === true) notes.push("The position mode is already as asked.")
    if (plan.unchanged.length > 0) notes.push(`Already as asked: ${plan.unchanged.join(", ")}.`)
    if ((plan.leverageUnchanged ?? []).length > 0) notes.push(`Leverage already as asked: ${plan.leverageUnchanged!.join(", ")}.`)
    el.panel.replaceChildren(
      title,
      h(
        "div",
        { "data-testid": "plan-preview", "data-blocked": String(plan.blocked), "data-steps": plan.steps.length },
        nothing
          ? h("p", { class: "ok" }, "Already set: nothing needs to change, so nothing will be sent.")
          : h("p", { class: "small" }, `Plan (${plan.steps.length} ${plan.steps.length === 1 ? "step" : "steps"}):`),
        nothing ? null : stepList(plan, panel.blockers, null),
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
        h("button", { type: "button", class: "secondary", onclick: actions.close }, nothing || plan.blocked ? "Close" : "Cancel"),
        nothing
          ? null
          : h(
            "button",
            {
              type: "button",
              class: "primary",
              "data-testid": "confirm-apply",
              disabled: plan.blocked,
              onclick: () => actions.confirm(panel)
            },
            "Confirm"
          )
      )
    )
    return
  }
  const children: Array<Node> = [title, stepList(panel.plan, [], panel)]
  if (panel.summary === null) {
    children.push(h("p", { class: "muted", role: "status" }, "Applying…"))
  } else {
    children.push(
      h(
        "p",
        { class: panel.summary.complete ? "ok" : "warn", role: "status", "data-testid": "apply-outcome" },
        summaryText(panel.summary)
      ),
      h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: actions.close }, "Close"))
    )
  }
  el.panel.replaceChildren(...children)
}
