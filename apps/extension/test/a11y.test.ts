/**
 * Accessibility of the popup (overview, plan preview with a blocker, unlock form) and the options page,
 * checked with axe-core inside the same Chromium: no serious or critical violation.
 */
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { seriousViolations } from "./support/axe.js"
import { type Browser, launch } from "./support/browser.js"
import { addDirectAccount, closePanel, modeShown, PASSPHRASE, rowsShown, setUpPassphrase, switchMarginType } from "./support/flows.js"
import { type Sim, startSim } from "./support/sim.js"

describe.sequential("accessibility (axe-core in Chromium)", () => {
  let sim: Sim
  let browser: Browser
  let options: Page
  let popup: Page

  beforeAll(async () => {
    sim = await startSim({
      accounts: [{ name: "a11y", apiKey: "a11yApiKey123", secret: "a11ySecret456", marginTypes: { BNBUSDT: "ISOLATED" }, multiAssetsMargin: false }]
    })
    browser = await launch({ bypassCSP: true })
    options = await browser.open("options.html")
  })

  afterAll(async () => {
    await browser?.close()
    await sim?.close()
  })

  it("options page before any setup", async () => {
    expect(await seriousViolations(options)).toEqual([])
  })

  it("options page with an account", async () => {
    await options.reload()
    await setUpPassphrase(options)
    await addDirectAccount(options, { name: "a11y", url: sim.url, apiKey: "a11yApiKey123", secret: "a11ySecret456" })
    expect(await seriousViolations(options)).toEqual([])
  })

  it("popup overview", async () => {
    popup = await browser.open("popup.html")
    await modeShown(popup)
    await rowsShown(popup)
    expect(await seriousViolations(popup)).toEqual([])
  })

  it("popup plan preview with a blocker", async () => {
    await popup.reload()
    await modeShown(popup)
    await sim.control("PUT", "accounts/a11y/settings", { multiAssetsMargin: true, marginTypes: { BNBUSDT: "CROSSED" } })
    await popup.reload()
    await modeShown(popup)
    await switchMarginType(popup, "ETHUSDT", "ISOLATED")
    expect(await popup.getByTestId("plan-preview").getAttribute("data-blocked")).toBe("true")
    expect(await seriousViolations(popup)).toEqual([])
    await closePanel(popup)
  })

  it("popup unlock form and error message", async () => {
    await options.bringToFront()
    await options.click("#vault-lock")
    await popup.bringToFront()
    await popup.reload()
    await popup.locator("#unlock").waitFor()
    await popup.fill("#passphrase", "wrong passphrase")
    await popup.click("#unlock button[type=submit]")
    await popup.getByTestId("error-message").waitFor()
    expect(await seriousViolations(popup)).toEqual([])
    await popup.fill("#passphrase", PASSPHRASE)
    await popup.click("#unlock button[type=submit]")
    await modeShown(popup)
  })
})
