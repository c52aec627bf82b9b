/**
 * The options page's form to add an account: direct (API key with an HMAC secret or a PEM key, on a
 * Binance environment or a custom URL) or through a gateway (URL, account name, token). Secret fields
 * are cleared as soon as they are read; the host permission is asked for during the click.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import { AccountStore, type NewAccount, targetOf } from "../Accounts.js"
import { h, show } from "../Dom.js"
import { ENVIRONMENTS, type Environment, originPattern } from "../Hosts.js"
import { fromAccounts, toData, UserError } from "../UserErrors.js"
import { el, failWith, notify, type Page, plain, showError } from "./OptionsPage.js"

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

export const install = (page: Page): void => {
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
      const exit = await page.run(Effect.flatMap(AccountStore, (s) => Effect.mapError(s.add(input), plain)))
      if (Exit.isSuccess(exit)) {
        notify(`Saved ${exit.value.name}.`)
        el.name.value = ""
      } else {
        failWith(exit)
      }
      await page.refresh()
    })
  })
  renderForm()
}
