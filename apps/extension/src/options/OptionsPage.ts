/** The options page's elements, its error and notice areas, and what its parts share (`Page`). */
import type * as Effect from "effect/Effect"
import * as Cause from "effect/Cause"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type { AccountStore } from "../Accounts.js"
import { byId, h } from "../Dom.js"
import type { UserErrorData } from "../Messages.js"
import { fromAccounts, fromVault, type UserError } from "../UserErrors.js"
import type { Vault, VaultError } from "../Vault.js"
import type { WorkerClient } from "../WorkerClient.js"

export type Services = AccountStore | Vault | WorkerClient

/** What the page's parts share: running an effect in the page's runtime, and reading the vault and accounts again. */
export interface Page {
  readonly run: <A>(effect: Effect.Effect<A, UserError | UserErrorData, Services>) => Promise<Exit.Exit<A, UserErrorData>>
  readonly refresh: () => Promise<void>
}

/** The stores' failures in plain words. */
export const plain = (e: VaultError | { readonly _tag: "InvalidField" | "AccountNotFound" | "StorageFailed" } | UserError): UserError => {
  switch (e._tag) {
    case "UserError":
      return e
    case "InvalidField":
    case "AccountNotFound":
    case "StorageFailed":
      return fromAccounts(e as Parameters<typeof fromAccounts>[0])
    default:
      return fromVault(e)
  }
}

export const el = {
  errors: byId("errors"),
  notice: byId("notice"),
  vaultStatus: byId("vault-status"),
  setup: byId<HTMLFormElement>("vault-setup"),
  setupPassphrase: byId<HTMLInputElement>("setup-passphrase"),
  setupConfirm: byId<HTMLInputElement>("setup-confirm"),
  unlock: byId<HTMLFormElement>("vault-unlock"),
  unlockPassphrase: byId<HTMLInputElement>("unlock-passphrase"),
  unlocked: byId("vault-unlocked"),
  lock: byId<HTMLButtonElement>("vault-lock"),
  reset: byId<HTMLButtonElement>("vault-reset"),
  accounts: byId<HTMLUListElement>("accounts"),
  add: byId<HTMLFormElement>("add"),
  name: byId<HTMLInputElement>("name"),
  environment: byId<HTMLSelectElement>("environment"),
  customUrlField: byId("custom-url-field"),
  customUrl: byId<HTMLInputElement>("custom-url"),
  directFields: byId("direct-fields"),
  gatewayFields: byId("gateway-fields"),
  apiKey: byId<HTMLInputElement>("api-key"),
  hmacField: byId("hmac-field"),
  pemField: byId("pem-field"),
  secret: byId<HTMLInputElement>("secret"),
  pem: byId<HTMLTextAreaElement>("pem"),
  gatewayUrl: byId<HTMLInputElement>("gateway-url"),
  gatewayAccount: byId<HTMLInputElement>("gateway-account"),
  token: byId<HTMLInputElement>("token")
}

export const showError = (error: UserErrorData | null) => {
  el.errors.replaceChildren()
  if (error === null) return
  el.errors.append(
    h(
      "div",
      { class: "error", role: "alert", "data-testid": "error-message", "data-kind": error.kind },
      h("strong", {}, error.title),
      h("p", {}, error.detail, error.code === undefined ? "" : ` (Binance ${error.code})`),
      error.fix === undefined ? null : h("p", { class: "fix" }, error.fix)
    )
  )
}

export const notify = (text: string) => {
  el.notice.textContent = text
}

export const failWith = (exit: Exit.Exit<unknown, UserErrorData>) => {
  if (exit._tag === "Failure") Option.map(Cause.failureOption(exit.cause), showError)
}
