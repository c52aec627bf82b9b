/** Steps a person takes in the options page and the popup, shared by the browser tests. */
import type { Page } from "playwright-core"

export const PASSPHRASE = "correct horse battery staple"

export const setUpPassphrase = async (options: Page, passphrase = PASSPHRASE): Promise<void> => {
  await options.fill("#setup-passphrase", passphrase)
  await options.fill("#setup-confirm", passphrase)
  await options.click("#vault-setup button[type=submit]")
  await options.getByTestId("vault-status").filter({ hasText: "unlocked" }).waitFor()
}

export const addDirectAccount = async (
  options: Page,
  input: { readonly name: string; readonly url: string; readonly apiKey: string; readonly secret: string }
): Promise<void> => {
  await options.fill("#name", input.name)
  await options.check("input[name=backend][value=direct]")
  await options.selectOption("#environment", "custom")
  await options.fill("#custom-url", input.url)
  await options.fill("#api-key", input.apiKey)
  await options.check("input[name=keyKind][value=hmac]")
  await options.fill("#secret", input.secret)
  await options.click("#save")
  await options.locator(`[data-testid=account-row][data-account="${input.name}"]`).waitFor()
}

export const addGatewayAccount = async (
  options: Page,
  input: { readonly name: string; readonly url: string; readonly account: string; readonly token: string }
): Promise<void> => {
  await options.fill("#name", input.name)
  await options.check("input[name=backend][value=gateway]")
  await options.fill("#gateway-url", input.url)
  await options.fill("#gateway-account", input.account)
  await options.fill("#token", input.token)
  await options.click("#save")
  await options.locator(`[data-testid=account-row][data-account="${input.name}"]`).waitFor()
}

/** Waits until the popup shows the mode (on or off) and returns it. */
export const modeShown = async (popup: Page): Promise<string> => {
  const state = popup.getByTestId("multi-assets-state")
  await state.filter({ hasText: /^(on|off)$/ }).waitFor({ timeout: 20_000 })
  return (await state.textContent()) ?? ""
}

/** Waits until the symbol list is read. */
export const rowsShown = async (popup: Page): Promise<void> => {
  await popup.locator("#rows-note").filter({ hasNotText: "Reading" }).filter({ hasText: /./ }).waitFor({ timeout: 20_000 })
}

export const row = (popup: Page, symbol: string) => popup.locator(`[data-testid=margin-type-row][data-symbol="${symbol}"]`)

/** Finds a symbol with the search box and asks to switch its margin type: the plan preview opens. */
export const switchMarginType = async (popup: Page, symbol: string, to: "ISOLATED" | "CROSSED"): Promise<void> => {
  await popup.fill("#search", symbol)
  await row(popup, symbol).getByRole("button", { name: `${to === "ISOLATED" ? "Isolate" : "Cross"} ${symbol}`, exact: true }).click()
  await popup.getByTestId("plan-preview").waitFor()
}

/** Confirms the previewed plan and waits for the outcome line. */
export const confirmAndWait = async (popup: Page): Promise<string> => {
  await popup.getByTestId("confirm-apply").click()
  const outcome = popup.getByTestId("apply-outcome")
  await outcome.waitFor({ timeout: 20_000 })
  return (await outcome.textContent()) ?? ""
}

export const closePanel = async (popup: Page): Promise<void> => {
  await popup.locator("#panel").getByRole("button", { name: /^(Close|Cancel)$/ }).click()
  await popup.locator("#panel").waitFor({ state: "hidden" })
  await popup.fill("#search", "")
}
