/** The options page's list of accounts, each with a check (a read of its mode) and a remove button. */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { type Account, AccountStore, summaryOf } from "../Accounts.js"
import { h } from "../Dom.js"
import { WorkerClient } from "../WorkerClient.js"
import { el, failWith, notify, type Page, plain, showError } from "./OptionsPage.js"

export const renderAccounts = (page: Page, accounts: ReadonlyArray<Account>) => {
  if (accounts.length === 0) {
    el.accounts.replaceChildren(h("li", { class: "muted" }, "No account yet."))
    return
  }
  el.accounts.replaceChildren(
    ...accounts.map((account) => {
      const summary = summaryOf(account)
      const remove = h("button", { type: "button", class: "secondary", "aria-label": `Remove ${account.name}` }, "Remove")
      remove.addEventListener("click", () => {
        if (remove.dataset.confirm !== "yes") {
          remove.dataset.confirm = "yes"
          remove.textContent = "Click again to remove"
          return
        }
        void page.run(Effect.flatMap(AccountStore, (s) => Effect.mapError(s.remove(account.id), plain))).then((exit) => {
          failWith(exit)
          if (Exit.isSuccess(exit)) notify(`Removed ${account.name}.`)
          void page.refresh()
        })
      })
      const check = h("button", { type: "button", class: "secondary", "aria-label": `Check ${account.name}` }, "Check")
      check.addEventListener("click", () => {
        showError(null)
        notify(`Checking ${account.name}…`)
        void page.run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "GetMode", account: account.id }))).then((exit) => {
          if (Exit.isSuccess(exit)) notify(`${account.name}: connected. Multi-Assets Mode is ${exit.value ? "on" : "off"}.`)
          else {
            notify("")
            failWith(exit)
          }
        })
      })
      return h(
        "li",
        { "data-testid": "account-row", "data-account": account.name },
        h(
          "span",
          {},
          h("strong", {}, account.name),
          " ",
          h("span", { class: "muted small" }, `${summary.backend === "direct" ? "direct" : "gateway"} · ${summary.where}`)
        ),
        h("span", { class: "actions" }, check, remove)
      )
    })
  )
}
