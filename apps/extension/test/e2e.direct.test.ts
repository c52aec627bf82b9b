/**
 * End to end, in Debian's Chromium with the built extension: an account on the simulator (direct
 * backend, custom URL, HMAC key from the seed) configured through the options page, then the popup:
 * read the settings alone (the weight of an open: e2e.readWeight.test.ts), switch the mode on and off, set a margin type, hit -4168 (planned and from the exchange),
 * "already set", a wrong passphrase and an unreachable URL. After each step the simulator's state is
 * checked through its control API. Screenshots of each popup state go to test-results/screenshots/.
 */
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Browser, launch, screenshot } from "./support/browser.js"
import {
  addDirectAccount,
  closePanel,
  confirmAndWait,
  modeShown,
  PASSPHRASE,
  row,
  rowsShown,
  setUpPassphrase,
  switchMarginType
} from "./support/flows.js"
import { marginTypeOf, requestsByPath, type Sim, startSim } from "./support/sim.js"

const API_KEY = "e2eAliceApiKey0123456789"
const SECRET = "e2eAliceHmacSecret9876543210abcdef"
const SECRETS = [API_KEY, SECRET, PASSPHRASE]

const SEED = {
  accounts: [{
    name: "alice",
    apiKey: API_KEY,
    secret: SECRET,
    balances: { USDT: 10000, USDC: 5000 },
    multiAssetsMargin: false,
    marginTypes: { BNBUSDT: "ISOLATED" },
    leverage: { BNBUSDT: 10 },
    positions: [{ symbol: "ETHUSDT", positionAmt: 0.5 }]
  }]
}

/** Changes accepted by the exchange API (not the control API) since the start. */
const apiChanges = async (sim: Sim): Promise<Array<{ endpoint: string; params: Record<string, unknown> }>> =>
  sim.control("GET", "log?account=alice&source=api")

const expectNoSecrets = async (page: Page) => {
  const html = await page.content()
  for (const secret of SECRETS) expect(html).not.toContain(secret)
}

describe.sequential("popup against the simulator (direct backend)", () => {
  let sim: Sim
  let browser: Browser
  let options: Page
  let popup: Page

  beforeAll(async () => {
    sim = await startSim(SEED)
    browser = await launch()
    options = await browser.open("options.html")
    await setUpPassphrase(options)
    await addDirectAccount(options, { name: "alice-sim", url: sim.url, apiKey: API_KEY, secret: SECRET })
    await screenshot(options, "00-options")
  })

  afterAll(async () => {
    await browser?.close()
    await sim?.close()
  })

  it("stores the credentials only encrypted, and the derived key only in session storage", async () => {
    const local = await browser.worker.evaluate(() => chrome.storage.local.get(null))
    const session = await browser.worker.evaluate(() => chrome.storage.session.get(null))
    const localText = JSON.stringify(local)
    for (const secret of SECRETS) {
      expect(localText).not.toContain(secret)
      expect(JSON.stringify(session)).not.toContain(secret)
    }
    const vault = JSON.parse(local.vault as string)
    expect(vault).toMatchObject({ kdf: "PBKDF2-SHA256", iterations: 310000 })
    expect(Object.keys(session)).toEqual(["vault.key"])
    const accounts = JSON.parse(local.accounts as string)
    expect(accounts).toHaveLength(1)
    expect(accounts[0]).toMatchObject({ _tag: "direct", name: "alice-sim", environment: "custom", baseUrl: sim.url, keyType: "HMAC" })
    expect(Object.keys(accounts[0].credentials).sort()).toEqual(["data", "iv"])
    await expectNoSecrets(options)
  })

  it("shows Multi-Assets Mode, the position mode and the isolated symbols with their leverage, reading only the settings", async () => {
    await sim.control("DELETE", "requests/count")
    popup = await browser.open("popup.html")
    expect(await modeShown(popup)).toBe("off")
    await rowsShown(popup)
    expect(await popup.getByTestId("position-mode").textContent()).toBe("Position mode: one-way")
    await expect(row(popup, "BNBUSDT").getAttribute("data-margin-type")).resolves.toBe("ISOLATED")
    expect(await row(popup, "BNBUSDT").textContent()).toContain("leverage 10×")
    // Only isolated symbols are listed until one searches; ETHUSDT (cross, with a position) is found by name.
    expect(await popup.getByTestId("margin-type-row").count()).toBe(1)
    await popup.fill("#search", "ETHUSDT")
    await expect(row(popup, "ETHUSDT").getAttribute("data-margin-type")).resolves.toBe("CROSSED")
    expect(await row(popup, "ETHUSDT").textContent()).toContain("leverage 20×")
    await popup.fill("#search", "")
    await expect(popup.getByTestId("account-select").inputValue()).resolves.not.toBe("")
    await screenshot(popup, "01-overview")
    // accountConfig and symbolConfig (and the first clock sync), then the live stream's key and its own
    // read of the same settings: no orders, positions, balances or exchangeInfo.
    await popup.locator("[data-testid=live-state][data-live=true]").waitFor({ timeout: 20_000 })
    const read = await requestsByPath(sim)
    expect(Object.keys(read).filter((p) => p !== "/fapi/v1/time").sort()).toEqual(["/fapi/v1/accountConfig", "/fapi/v1/listenKey", "/fapi/v1/symbolConfig"])
    expect((await sim.account("alice")).multiAssetsMargin).toBe(false)
  })

  it("switches Multi-Assets Mode on after a preview of the plan and a confirmation", async () => {
    await popup.getByTestId("multi-assets-toggle").click()
    const preview = popup.getByTestId("plan-preview")
    await preview.waitFor()
    const text = (await preview.textContent()) ?? ""
    expect(text).toContain("Set BNBUSDT from ISOLATED to CROSSED (required for Multi-Assets Mode)")
    expect(text).toContain("Turn Multi-Assets Mode on")
    expect(text).toContain("Weight: 2 to apply")
    expect(await preview.getAttribute("data-blocked")).toBe("false")
    await screenshot(popup, "02-preview-multi-assets-on")
    // Nothing is sent before the confirmation.
    expect(await apiChanges(sim)).toHaveLength(0)

    const outcome = await confirmAndWait(popup)
    expect(outcome).toBe("Done: 2 changed.")
    await popup.getByTestId("multi-assets-state").filter({ hasText: "on" }).waitFor()
    await screenshot(popup, "03-applied-multi-assets-on")

    const account = await sim.account("alice")
    expect(account.multiAssetsMargin).toBe(true)
    expect(marginTypeOf(account, "BNBUSDT")).toBe("CROSSED")
    expect((await apiChanges(sim)).map((c) => c.endpoint)).toEqual([
      "POST /fapi/v1/marginType",
      "POST /fapi/v1/multiAssetsMargin"
    ])
    await closePanel(popup)
  })

  it("explains the -4168 blocker (ISOLATED while Multi-Assets is on) with its fix, and sends nothing", async () => {
    await switchMarginType(popup, "BTCUSDT", "ISOLATED")
    const preview = popup.getByTestId("plan-preview")
    expect(await preview.getAttribute("data-blocked")).toBe("true")
    const text = (await preview.textContent()) ?? ""
    expect(text).toContain("Multi-Assets Mode is on and allows only cross margin, so BTCUSDT cannot be ISOLATED (Binance -4168).")
    expect(text).toContain("Fix: Turn Multi-Assets off first.")
    expect(text).not.toContain("marginctl multi-assets")
    await expect(popup.getByTestId("confirm-apply").isDisabled()).resolves.toBe(true)
    await screenshot(popup, "04-blocked-4168")
    expect(marginTypeOf(await sim.account("alice"), "BTCUSDT")).toBe("CROSSED")
    expect(await apiChanges(sim)).toHaveLength(2)
    await closePanel(popup)
  })

  it("switches Multi-Assets Mode off", async () => {
    await popup.getByTestId("multi-assets-toggle").click()
    const preview = popup.getByTestId("plan-preview")
    await preview.waitFor()
    expect(await preview.textContent()).toContain("Turn Multi-Assets Mode off")
    expect(await preview.getAttribute("data-steps")).toBe("1")
    expect(await confirmAndWait(popup)).toBe("Done: 1 changed.")
    await popup.getByTestId("multi-assets-state").filter({ hasText: "off" }).waitFor()
    expect((await sim.account("alice")).multiAssetsMargin).toBe(false)
    await closePanel(popup)
  })

  it("sets a margin type", async () => {
    await switchMarginType(popup, "BTCUSDT", "ISOLATED")
    const preview = popup.getByTestId("plan-preview")
    expect(await preview.textContent()).toContain("Set BTCUSDT from CROSSED to ISOLATED")
    expect(await preview.getAttribute("data-blocked")).toBe("false")
    expect(await confirmAndWait(popup)).toBe("Done: 1 changed.")
    expect(marginTypeOf(await sim.account("alice"), "BTCUSDT")).toBe("ISOLATED")
    await closePanel(popup)
    // Now isolated, it is one of the symbols that matter.
    await expect(row(popup, "BTCUSDT").getAttribute("data-margin-type")).resolves.toBe("ISOLATED")
    await screenshot(popup, "05-btcusdt-isolated")
  })

  it("reports \"already set\" when the account already has the confirmed value", async () => {
    await switchMarginType(popup, "SOLUSDT", "ISOLATED")
    // Someone else makes the same change between the preview and the confirmation.
    await sim.control("PUT", "accounts/alice/settings", { marginTypes: { SOLUSDT: "ISOLATED" } })
    const before = (await apiChanges(sim)).length
    const outcome = await confirmAndWait(popup)
    expect(outcome).toBe("Already set: nothing needed changing.")
    expect(await popup.locator("#panel [data-outcome=unchanged]").textContent()).toContain("already set")
    await screenshot(popup, "06-already-set")
    expect(marginTypeOf(await sim.account("alice"), "SOLUSDT")).toBe("ISOLATED")
    expect(await apiChanges(sim)).toHaveLength(before)
    await closePanel(popup)
  })

  it("shows a refusal by the exchange (-4168 after the preview) with its fix", async () => {
    await switchMarginType(popup, "DOGEUSDT", "ISOLATED")
    await sim.control("PUT", "accounts/alice/settings", { multiAssetsMargin: true })
    const outcome = await confirmAndWait(popup)
    expect(outcome).toContain("Stopped before everything was applied: 1 blocked.")
    const step = popup.locator("#panel [data-outcome=blocked]")
    const text = (await step.textContent()) ?? ""
    expect(text).toContain("-4168")
    expect(text).toContain("Fix: Turn Multi-Assets Mode off first")
    await screenshot(popup, "07-refused-by-exchange")
    expect(marginTypeOf(await sim.account("alice"), "DOGEUSDT")).toBe("CROSSED")
    await closePanel(popup)
    await popup.getByTestId("multi-assets-state").filter({ hasText: "on" }).waitFor()
    await sim.control("PUT", "accounts/alice/settings", { multiAssetsMargin: false })
    // Changed behind the extension's back: the open popup shows it (the live stream).
    await popup.getByTestId("multi-assets-state").filter({ hasText: /^off$/ }).waitFor({ timeout: 5_000 })
  })

  it("asks for the passphrase after a lock, and says plainly when it is wrong", async () => {
    await options.bringToFront()
    await options.click("#vault-lock")
    await options.getByTestId("vault-status").filter({ hasText: "locked" }).waitFor()
    expect(await browser.worker.evaluate(() => chrome.storage.session.get(null))).toEqual({})

    await popup.reload()
    await popup.locator("#unlock").waitFor()
    await popup.fill("#passphrase", "not the passphrase")
    await popup.click("#unlock button[type=submit]")
    const error = popup.getByTestId("error-message")
    await error.waitFor()
    expect(await error.textContent()).toContain("Wrong passphrase")
    await screenshot(popup, "08-wrong-passphrase")
    expect(await popup.locator("#passphrase").inputValue()).toBe("")

    await popup.fill("#passphrase", PASSPHRASE)
    await popup.click("#unlock button[type=submit]")
    expect(await modeShown(popup)).toBe("off")
    await expect(popup.getByTestId("error-message").count()).resolves.toBe(0)
  })

  it("explains an unreachable URL in plain words, without a stack trace", async () => {
    await options.bringToFront()
    await addDirectAccount(options, { name: "nowhere", url: "http://127.0.0.1:9", apiKey: API_KEY, secret: SECRET })
    await popup.bringToFront()
    await popup.reload()
    await modeShown(popup)
    const id = await popup.getByTestId("account-select").locator("option", { hasText: "nowhere" }).getAttribute("value")
    await popup.getByTestId("account-select").selectOption(id!)
    const error = popup.getByTestId("error-message")
    await error.waitFor({ timeout: 20_000 })
    const text = (await error.textContent()) ?? ""
    expect(text).toContain("Could not reach 127.0.0.1:9")
    // The fix in the core's words (Explain) with the extension's vocabulary.
    expect(text).toContain("check the network and the account's environment or URL in the options page")
    expect(text).not.toMatch(/\bat\s+\S+\s*\(|Error:|stack|fiber/i)
    await screenshot(popup, "09-unreachable")
  })

  it("runs under the manifest's CSP: an injected inline script is refused", async () => {
    await expect(popup.addScriptTag({ content: "globalThis.injected = 1" })).rejects.toThrow(/Content Security Policy/)
    await expect(options.addScriptTag({ content: "globalThis.injected = 1" })).rejects.toThrow(/Content Security Policy/)
  })

  it("never shows a secret in the DOM or the console", async () => {
    await expectNoSecrets(popup)
    await expectNoSecrets(options)
    const consoleText = browser.consoleLines.join("\n")
    for (const secret of SECRETS) expect(consoleText).not.toContain(secret)
    expect(browser.consoleLines.filter((l) => l.startsWith("pageerror"))).toEqual([])
    // The only console output is Chrome reporting the scripts the CSP test tried to inject.
    expect(browser.consoleLines.filter((l) => !l.includes("violates the following Content Security Policy"))).toEqual([])
  })

  it("starts over after a forgotten passphrase: every account and the vault are removed", async () => {
    await options.bringToFront()
    await options.click("#vault-lock")
    await options.locator("#vault-unlock").waitFor()
    await options.click("#vault-reset")
    await options.click("#vault-reset")
    await options.getByTestId("vault-status").filter({ hasText: "not set up" }).waitFor()
    await options.locator("#accounts").filter({ hasText: "No account yet." }).waitFor()
    expect(await browser.worker.evaluate(() => chrome.storage.local.get(null))).toEqual({})
    await popup.reload()
    await popup.locator("#setup").waitFor()
  })
})
