/**
 * The options page: set up or unlock the passphrase, add accounts (direct with an API key and HMAC
 * secret or PEM key, or through a gateway with a token), check and remove them. Credentials are sealed
 * by the Vault before they are stored; secret fields are cleared as soon as they are read.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { type Account, AccountStore, type NewAccount, summaryOf, targetOf } from "../Accounts.js"
import * as ChromeStorage from "../ChromeStorage.js"
import { ENVIRONMENTS, type Environment, originPattern } from "../Hosts.js"
import type { UserErrorData, VaultStatus } from "../Messages.js"
import { byId, h, show } from "../popup/dom.js"
import { fromAccounts, fromVault, toData, UserError } from "../UserErrors.js"
import { Vault, type VaultError } from "../Vault.js"
import { WorkerClient, layer as WorkerClientLayer } from "../WorkerClient.js"

const runtime = ManagedRuntime.make(
  Layer.mergeAll(AccountStore.Default, WorkerClientLayer).pipe(
    Layer.provideMerge(Vault.Default),
    Layer.provideMerge(ChromeStorage.layerChrome)
  )
)
addEventListener("pagehide", () => void runtime.dispose())

type Services = AccountStore | Vault | WorkerClient

const run = async <A>(effect: Effect.Effect<A, UserError | UserErrorData, Services>): Promise<Exit.Exit<A, UserErrorData>> => {
  const exit = await runtime.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit
  return Option.match(Cause.failureOption(exit.cause), {
    onSome: (e) => Exit.fail(e instanceof UserError ? toData(e) : e),
    onNone: () =>
      Exit.fail(toData(new UserError({ kind: "internal", title: "Something went wrong on this page", detail: "Reload it." })))
  })
}

const plain = (e: VaultError | { readonly _tag: "InvalidField" | "AccountNotFound" | "StorageFailed" } | UserError): UserError => {
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

const el = {
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

let vaultStatus: VaultStatus = "locked"
let accounts: ReadonlyArray<Account> = []

const showError = (error: UserErrorData | null) => {
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

const notify = (text: string) => {
  el.notice.textContent = text
}

const failWith = (exit: Exit.Exit<unknown, UserErrorData>) => {
  if (Exit.isFailure(exit)) Option.map(Cause.failureOption(exit.cause), showError)
}

const radio = (name: string): string =>
  (el.add.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`)?.value) ?? ""

const renderForm = () => {
  const gateway = radio("backend") === "gateway"
  show(el.directFields, !gateway)
  show(el.gatewayFields, gateway)
  show(el.customUrlField, el.environment.value === "custom")
  const pem = radio("keyKind") === "pem"
  show(el.hmacField, !pem)
  show(el.pemField, pem)
}

const STATUS_TEXT: Record<VaultStatus, string> = {
  missing: "not set up: choose a passphrase before adding an account",
  locked: "locked",
  unlocked: "unlocked for this browser session"
}

const renderAccounts = () => {
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
        void run(Effect.flatMap(AccountStore, (s) => Effect.mapError(s.remove(account.id), plain))).then((exit) => {
          failWith(exit)
          if (Exit.isSuccess(exit)) notify(`Removed ${account.name}.`)
          void refresh()
        })
      })
      const check = h("button", { type: "button", class: "secondary", "aria-label": `Check ${account.name}` }, "Check")
      check.addEventListener("click", () => {
        showError(null)
        notify(`Checking ${account.name}…`)
        void run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "GetMode", account: account.id }))).then((exit) => {
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

const refresh = async (): Promise<void> => {
  const exit = await run(
    Effect.all([
      Effect.flatMap(Vault, (v) => Effect.mapError(v.status, plain)),
      Effect.flatMap(AccountStore, (s) => Effect.mapError(s.list, plain))
    ])
  )
  if (Exit.isFailure(exit)) return failWith(exit)
  ;[vaultStatus, accounts] = exit.value
  el.vaultStatus.textContent = STATUS_TEXT[vaultStatus]
  show(el.setup, vaultStatus === "missing")
  show(el.unlock, vaultStatus === "locked")
  show(el.unlocked, vaultStatus === "unlocked")
  renderAccounts()
}

// ---------------------------------------------------------------------------------------------
// Passphrase

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
  void run(Effect.flatMap(Vault, (v) => Effect.mapError(v.setup(Redacted.make(passphrase)), plain))).then((exit) => {
    notify(Exit.isSuccess(exit) ? "Passphrase set. The vault is unlocked for this browser session." : "")
    failWith(exit)
    void refresh()
  })
})

el.unlock.addEventListener("submit", (event) => {
  event.preventDefault()
  showError(null)
  const passphrase = Redacted.make(el.unlockPassphrase.value)
  el.unlockPassphrase.value = ""
  notify("Unlocking…")
  void run(Effect.flatMap(Vault, (v) => Effect.mapError(v.unlock(passphrase), plain))).then((exit) => {
    notify(Exit.isSuccess(exit) ? "Unlocked for this browser session." : "")
    failWith(exit)
    void refresh()
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
  void run(reset).then((exit) => {
    notify(Exit.isSuccess(exit) ? "Removed every account and the passphrase. Choose a new passphrase to start again." : "")
    failWith(exit)
    void refresh()
  })
})

el.lock.addEventListener("click", () => {
  void run(Effect.flatMap(Vault, (v) => v.lock)).then(() => {
    notify("Locked.")
    void refresh()
  })
})

// ---------------------------------------------------------------------------------------------
// Accounts

el.environment.replaceChildren(...ENVIRONMENTS.map((e) => h("option", { value: e.value }, e.label)))
el.add.addEventListener("change", renderForm)

const readForm = (): NewAccount => {
  const name = el.name.value
  if (radio("backend") === "gateway") {
    const input: NewAccount = {
      backend: "gateway",
      name,
      gatewayUrl: el.gatewayUrl.value,
      gatewayAccount: el.gatewayAccount.value,
      token: Redacted.make(el.token.value)
    }
    el.token.value = ""
    return input
  }
  const pem = radio("keyKind") === "pem"
  const input: NewAccount = {
    backend: "direct",
    name,
    environment: el.environment.value as Environment,
    customUrl: el.customUrl.value,
    apiKey: Redacted.make(el.apiKey.value),
    key: Redacted.make(pem ? el.pem.value : el.secret.value)
  }
  el.apiKey.value = ""
  el.secret.value = ""
  el.pem.value = ""
  return input
}

el.add.addEventListener("submit", (event) => {
  event.preventDefault()
  showError(null)
  notify("")
  const input = readForm()
  const target = targetOf(input)
  if (Either.isLeft(target)) {
    showError(toData(fromAccounts(target.left)))
    return
  }
  // Asked during the click (a user gesture), before anything else is awaited.
  const permission = target.right.granted
    ? Promise.resolve(true)
    : chrome.permissions.request({ origins: [originPattern(target.right.origin)] }).catch(() => false)
  void permission.then(async (granted) => {
    if (!granted) {
      showError(toData(
        new UserError({
          kind: "input",
          title: `The extension may not reach ${target.right.origin}`,
          detail: "Chrome did not grant access to that address, so the account was not saved.",
          fix: "Save again and allow access when Chrome asks."
        })
      ))
      return
    }
    const exit = await run(Effect.flatMap(AccountStore, (s) => Effect.mapError(s.add(input), plain)))
    if (Exit.isSuccess(exit)) {
      notify(`Saved ${exit.value.name}.`)
      el.name.value = ""
    } else {
      failWith(exit)
    }
    await refresh()
  })
})

renderForm()
void refresh()
