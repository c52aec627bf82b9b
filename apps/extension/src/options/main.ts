/**
 * The options page's composition root: one ManagedRuntime for this page (the accounts and the vault
 * over the browser's storage, and the WorkerClient), and its parts: the passphrase forms, the list of
 * accounts and the form to add one. Credentials are sealed by the Vault before they are stored.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { AccountStore } from "../Accounts.js"
import { show } from "../Dom.js"
import type { UserErrorData, VaultStatus } from "../Messages.js"
import { plainly } from "../Plainly.js"
import * as Stores from "../Stores.js"
import { toData, UserError } from "../UserErrors.js"
import { Vault } from "../Vault.js"
import * as WorkerClient from "../WorkerClient.js"
import * as AccountForm from "./AccountForm.js"
import { renderAccounts } from "./AccountList.js"
import { el, failWith, type Page, plain, type Services } from "./OptionsPage.js"
import * as PassphraseForms from "./PassphraseForms.js"

const runtime = ManagedRuntime.make(Layer.merge(Stores.layerChrome, WorkerClient.layer))
addEventListener("pagehide", () => void runtime.dispose())

const internal = toData(new UserError({ kind: "internal", title: "Something went wrong on this page", detail: "Reload it." }))

const run = <A>(effect: Effect.Effect<A, UserError | UserErrorData, Services>): Promise<Exit.Exit<A, UserErrorData>> =>
  runtime.runPromiseExit(plainly(Effect.mapError(effect, (e) => (e instanceof UserError ? toData(e) : e)), internal))

const STATUS_TEXT: Record<VaultStatus, string> = {
  missing: "not set up: choose a passphrase before adding an account",
  locked: "locked",
  unlocked: "unlocked for this browser session"
}

const refresh = async (): Promise<void> => {
  const exit = await run(
    Effect.all([
      Effect.flatMap(Vault, (v) => Effect.mapError(v.status, plain)),
      Effect.flatMap(AccountStore, (s) => Effect.mapError(s.list, plain))
    ])
  )
  if (Exit.isFailure(exit)) return failWith(exit)
  const [vaultStatus, accounts] = exit.value
  el.vaultStatus.textContent = STATUS_TEXT[vaultStatus]
  show(el.setup, vaultStatus === "missing")
  show(el.unlock, vaultStatus === "locked")
  show(el.unlocked, vaultStatus === "unlocked")
  renderAccounts(page, accounts)
}

const page: Page = { run, refresh }
PassphraseForms.install(page)
AccountForm.install(page)
void refresh()
