/**
 * End to end through the gateway backend, in Chromium with the built extension: the popup says whether
 * a gateway account matches the desired state the gateway keeps for it. Nothing before a desired state
 * is set; "matches" once it is; "differs", naming the symbol, after the account is changed elsewhere
 * (the simulator's control API, standing for Binance's app) while the popup is open; and "matches"
 * again after the change is undone from the popup. The line passes axe-core (serious and critical), expanded.
 */
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { seriousViolations } from "./support/axe.js"
import { type Browser, launch, screenshot } from "./support/browser.js"
import { addGatewayAccount, closePanel, confirmAndWait, modeShown, rowsShown, setUpPassphrase, switchMarginType } from "./support/flows.js"
import { type Gateway, gatewayMain, startGateway } from "./support/gateway.js"
import { marginTypeOf, type Sim, startSim } from "./support/sim.js"

const TOKEN = "extension-e2e-drift-token-0123456789"
const API_KEY = "driftE2eApiKey0123456789"
const SECRET = "driftE2eHmacSecret0123456789abcdef"
const DESIRED = { multiAssets: false, marginTypes: { symbols: [{ symbol: "BNBUSDT", marginType: "ISOLATED" }] } }

const main = gatewayMain()

const drift = (popup: Page) => popup.getByTestId("drift-state")

describe.skipIf(main === undefined && !process.env.CI).sequential("popup showing a gateway account's drift from its desired state", () => {
  let sim: Sim
  let gateway: Gateway
  let browser: Browser
  let popup: Page

  const gatewayCall = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}\n${gateway.output()}`)
    return JSON.parse(text)
  }

  beforeAll(async () => {
    sim = await startSim({
      accounts: [{ name: "team", apiKey: API_KEY, secret: SECRET, balances: { USDT: 10000 }, marginTypes: { BNBUSDT: "ISOLATED" } }]
    })
    gateway = await startGateway({ main: main!, simUrl: sim.url, token: TOKEN, accounts: [{ name: "team", apiKey: API_KEY, secret: SECRET }] })
    // bypassCSP: axe-core's script is added to the popup.
    browser = await launch({ bypassCSP: true })
    const options = await browser.open("options.html")
    await setUpPassphrase(options)
    await addGatewayAccount(options, { name: "team-gateway", url: gateway.url, account: "team", token: TOKEN })
    await options.close()
  })

  afterAll(async () => {
    await browser?.close()
    gateway?.close()
    await sim?.close()
  })

  it("shows nothing while the gateway keeps no desired state for the account", async () => {
    expect(await gatewayCall("GET", "/v1/accounts/team/drift")).toMatchObject({ status: "unknown", detail: "no desired state is set" })
    popup = await browser.open("popup.html")
    expect(await modeShown(popup)).toBe("off")
    await popup.locator("[data-testid=live-state][data-live=true]").waitFor({ timeout: 20_000 })
    expect(await drift(popup).isHidden()).toBe(true)
  })

  it("says the account matches once its desired state is set", async () => {
    expect(await gatewayCall("PUT", "/v1/accounts/team/desired", { desired: DESIRED })).toMatchObject({ desired: DESIRED })
    await popup.reload()
    await drift(popup).filter({ hasText: "Matches its desired state" }).waitFor({ timeout: 20_000 })
    expect(await drift(popup).getAttribute("data-status")).toBe("in-sync")
  })

  it("says what differs, naming the symbol, after the account is changed elsewhere", async () => {
    await sim.control("PUT", "accounts/team/settings", { marginTypes: { BNBUSDT: "CROSSED" } })
    const differs = drift(popup).filter({ hasText: "Differs from its desired state" })
    await differs.waitFor({ timeout: 10_000 })
    expect(await drift(popup).getAttribute("data-status")).toBe("drifted")
    expect(await differs.textContent()).toContain("BNBUSDT")
    await differs.locator("summary").click()
    await differs.getByText("1. Set BNBUSDT from CROSSED to ISOLATED", { exact: false }).waitFor()
    await screenshot(popup, "drift-01-differs")
    expect(await seriousViolations(popup)).toEqual([])
  })

  it("says the account matches again after the change is undone from the popup", async () => {
    await rowsShown(popup)
    await switchMarginType(popup, "BNBUSDT", "ISOLATED")
    expect(await confirmAndWait(popup)).toBe("Done: 1 changed.")
    await closePanel(popup)
    expect(marginTypeOf(await sim.account("team"), "BNBUSDT")).toBe("ISOLATED")
    await drift(popup).filter({ hasText: "Matches its desired state" }).waitFor({ timeout: 10_000 })
    expect(await drift(popup).getAttribute("data-status")).toBe("in-sync")
    await screenshot(popup, "drift-02-matches")
  })
})
