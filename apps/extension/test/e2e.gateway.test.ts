/**
 * End to end through the gateway backend: the built gateway (apps/gateway/dist/main.js) runs as a
 * child process in front of the simulator and holds the key; the extension holds only a bearer token.
 * Read the mode and the margin types (not the account's orders and positions), switch it on through a gateway job, see the -4168 blocker planned by the gateway,
 * switch it off and set a margin type; the simulator's state is checked after each step.
 */
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Browser, launch, screenshot } from "./support/browser.js"
import {
  addGatewayAccount,
  closePanel,
  confirmAndWait,
  modeShown,
  row,
  rowsShown,
  setUpPassphrase,
  switchMarginType
} from "./support/flows.js"
import { type Gateway, gatewayMain, startGateway } from "./support/gateway.js"
import { marginTypeOf, requestsByPath, type Sim, startSim } from "./support/sim.js"

const TOKEN = "extension-e2e-gateway-token-0123456789"
const API_KEY = "gatewayE2eApiKey0123456789"
const SECRET = "gatewayE2eHmacSecret0123456789abcdef"

const main = gatewayMain()

describe.skipIf(main === undefined && !process.env.CI).sequential("popup through the gateway backend", () => {
  let sim: Sim
  let browser: Browser
  let popup: Page
  let gateway: Gateway
  let url = ""

  beforeAll(async () => {
    sim = await startSim({
      accounts: [{ name: "team", apiKey: API_KEY, secret: SECRET, balances: { USDT: 10000 }, marginTypes: { BNBUSDT: "ISOLATED" } }]
    })
    gateway = await startGateway({ main: main!, simUrl: sim.url, token: TOKEN, accounts: [{ name: "team", apiKey: API_KEY, secret: SECRET }] })
    url = gateway.url
    browser = await launch()
    const options = await browser.open("options.html")
    await setUpPassphrase(options)
    await addGatewayAccount(options, { name: "team-gateway", url, account: "team", token: TOKEN })
    const local = JSON.stringify(await browser.worker.evaluate(() => chrome.storage.local.get(null)))
    expect(local).not.toContain(TOKEN)
    await options.close()
  })

  afterAll(async () => {
    await browser?.close()
    gateway?.close()
    await sim?.close()
  })

  it("reads the mode and the margin types through the gateway, not the account's orders and positions", async () => {
    await sim.control("DELETE", "requests/count")
    popup = await browser.open("popup.html")
    expect(await modeShown(popup)).toBe("off")
    await rowsShown(popup)
    await expect(row(popup, "BNBUSDT").getAttribute("data-margin-type")).resolves.toBe("ISOLATED")
    // The gateway's settings read has no position mode; its account events (live) say it.
    await popup.locator("[data-testid=live-state][data-live=true]").waitFor({ timeout: 20_000 })
    await popup.getByTestId("position-mode").filter({ hasText: "Position mode: one-way" }).waitFor({ timeout: 5_000 })
    const read = await requestsByPath(sim)
    expect(read["/fapi/v1/openOrders"] ?? 0).toBe(0)
    expect(read["/fapi/v3/account"] ?? 0).toBe(0)
    expect(await popup.getByTestId("account-select").textContent()).toContain("gateway 127.0.0.1")
    await screenshot(popup, "gateway-01-overview")
  })

  it("switches Multi-Assets Mode on as a gateway job", async () => {
    await popup.getByTestId("multi-assets-toggle").click()
    const preview = popup.getByTestId("plan-preview")
    await preview.waitFor()
    expect(await preview.textContent()).toContain("Set BNBUSDT from ISOLATED to CROSSED")
    expect(await confirmAndWait(popup)).toBe("Done: 2 changed.")
    await popup.getByTestId("multi-assets-state").filter({ hasText: "on" }).waitFor()
    await screenshot(popup, "gateway-02-applied")
    const account = await sim.account("team")
    expect(account.multiAssetsMargin).toBe(true)
    expect(marginTypeOf(account, "BNBUSDT")).toBe("CROSSED")
    await closePanel(popup)
  })

  it("shows the -4168 blocker the gateway planned, with its fix", async () => {
    await switchMarginType(popup, "BTCUSDT", "ISOLATED")
    const preview = popup.getByTestId("plan-preview")
    expect(await preview.getAttribute("data-blocked")).toBe("true")
    expect(await preview.textContent()).toContain("(Binance -4168)")
    expect(await preview.textContent()).toContain("Fix: Turn Multi-Assets off first")
    expect(marginTypeOf(await sim.account("team"), "BTCUSDT")).toBe("CROSSED")
    await closePanel(popup)
  })

  it("switches Multi-Assets Mode off and sets a margin type", async () => {
    await popup.getByTestId("multi-assets-toggle").click()
    await popup.getByTestId("plan-preview").waitFor()
    expect(await confirmAndWait(popup)).toBe("Done: 1 changed.")
    expect((await sim.account("team")).multiAssetsMargin).toBe(false)
    await closePanel(popup)

    await switchMarginType(popup, "BTCUSDT", "ISOLATED")
    expect(await confirmAndWait(popup)).toBe("Done: 1 changed.")
    expect(marginTypeOf(await sim.account("team"), "BTCUSDT")).toBe("ISOLATED")
    await closePanel(popup)
    await expect(row(popup, "BTCUSDT").getAttribute("data-margin-type")).resolves.toBe("ISOLATED")
  })

  it("says plainly when the gateway refuses the token", async () => {
    const options = await browser.open("options.html")
    await addGatewayAccount(options, {
      name: "bad-token",
      url,
      account: "team",
      token: "not-a-known-token"
    })
    await options.close()
    await popup.reload()
    await modeShown(popup)
    const id = await popup.getByTestId("account-select").locator("option", { hasText: "bad-token" }).getAttribute("value")
    await popup.getByTestId("account-select").selectOption(id!)
    const error = popup.getByTestId("error-message")
    await error.waitFor({ timeout: 20_000 })
    expect(await error.textContent()).toContain("The gateway did not accept the token")
    expect(await popup.content()).not.toContain(TOKEN)
  })
})
