/** The options page's passphrase: set it up, unlock, lock, or forget it (which removes every account). */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import { AccountStore } from "../Accounts.js"
import { toData, UserError } from "../UserErrors.js"
import { Vault } from "../Vault.js"
import { el, failWith, notify, type Page, plain, showError } from "./OptionsPage.js"

export const install = (page: Page): void => {
  el.setup.addEventListener("submit", (event) => {
    event.preventDefault()
    showError(null)
    const passphrase = el.setupPassphrase.value
    const repeated = el.setupConfirm.value
    el.setupPassphrase.value = ""
    el.setupConfirm.value = ""
    if (passphrase !== repeated) {
      showError(toData(new UserError({ kind: "input", title: "The passphrases differ", detail: "Type the same passphrase twice." })))
      return
    }
    notify("Deriving the key…")
    void page.run(Effect.flatMap(Vault, (v) => Effect.mapError(v.setup(Redacted.make(passphrase)), plain))).then((exit) => {
      notify(Exit.isSuccess(exit) ? "Passphrase set. The vault is unlocked for this browser session." : "")
      failWith(exit)
      void page.refresh()
    })
  })

  el.unlock.addEventListener("submit", (event) => {
    event.preventDefault()
    showError(null)
    const passphrase = Redacted.make(el.unlockPassphrase.value)
    el.unlockPassphrase.value = ""
    notify("Unlocking…")
    void page.run(Effect.flatMap(Vault, (v) => Effect.mapError(v.unlock(passphrase), plain))).then((exit) => {
      notify(Exit.isSuccess(exit) ? "Unlocked for this browser session." : "")
      failWith(exit)
      void page.refresh()
    })
  })

  el.reset.addEventListener("click", () => {
    if (el.reset.dataset.confirm !== "yes") {
      el.reset.dataset.confirm = "yes"
      el.reset.textContent = "Click again: remove every account and the passphrase"
      return
    }
    el.reset.dataset.confirm = ""
    el.reset.textContent = "Forgot it? Remove all accounts"
    showError(null)
    const reset = Effect.gen(function*() {
      yield* Effect.mapError((yield* AccountStore).removeAll, plain)
      yield* Effect.mapError((yield* Vault).reset, plain)
    })
    void page.run(reset).then((exit) => {
      notify(Exit.isSuccess(exit) ? "Removed every account and the passphrase. Choose a new passphrase to start again." : "")
      failWith(exit)
      void page.refresh()
    })
  })

  el.lock.addEventListener("click", () => {
    void page.run(Effect.flatMap(Vault, (v) => v.lock)).then(() => {
      notify("Locked.")
      void page.refresh()
    })
  })
}
