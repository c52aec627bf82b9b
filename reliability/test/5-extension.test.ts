/**
 * The extension (the built apps/extension/dist in Debian's Chromium, through the extension's own test
 * helpers) writes through both of its backends while the exchange misbehaves: direct to a simulator
 * whose answer to the Multi-Assets change is a 503 "unknown" (executed), and through the gateway
 * process while the margin-type change's connection is dropped once. The outcome shown matches the
 * simulator, the change is made once, and the pages' DOM, the console and the extension's storage
 * are kept for the secrets scan.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Browser, launch } from "../../apps/extension/test/support/browser.js"
import {
  addDirectAccount,
  addGatewayAccount,
  closePanel,
  confirmAndWait,
  modeShown,
  rowsShown,
  setUpPassphrase,
  switchMarginType
} from "../../apps/extension/test/support/flows.js"
import { API_KEYS, capture, flush, HMAC_SECRET, PASSPHRASE, record, tmpDir, TOKENS } from "./support/env.js"
import { type Gateway, spawnGateway, writeConfig } from "./support/gateway.js"
import { ACCOUNT, seedFor, type Sim, startSim } from "./support/sim.js"
import type { Page } from "playwright-core"

describe.sequential("extension popup under faults", () => {
  let direct: Sim
  let behind: Sim
  let gw: Gateway
  let browser: Browser
  let popup: Page

  const keepDom = async (page: Page, what: string) => capture(`extension DOM (${what})`, await page.content())

  beforeAll(async () => {
    direct = await startSim(seedFor("HMAC", { multiAssetsMargin: false }))
    behind = await startSim(seedFor("RSA"))
    const dir = tmpDir("ext")
    gw = await spawnGateway(writeConfig(dir, [{ name: "team", baseUrl: behind.url, key: "RSA" }]), `${dir}/data`)
    browser = await launch()
    const options = await browser.open("options.html")
    await setUpPassphrase(options, PASSPHRASE)
    await addDirectAccount(options, { name: "direct-sim", url: direct.url, apiKey: API_KEYS.HMAC, secret: HMAC_SECRET })
    await addGatewayAccount(options, { name: "via-gateway", url: gw.url, account: "team", token: TOKENS.admin })
    await keepDom(options, "options page")
    await options.close()
    popup = await browser.open("popup.html")
  }, 120_000)

  afterAll(async () => {
    if (browser !== undefined) {
      capture("extension console", `${browser.consoleLines.length} console line(s)\n${browser.consoleLines.join("\n")}`)
      const storage = await browser.worker.evaluate(async () => ({
        local: await chrome.storage.local.get(null),
        session: await chrome.storage.session.get(null)
      })).catch(() => ({}))
      capture("extension storage", JSON.stringify(storage))
      await browser.close()
    }
    await gw?.kill()
    await direct?.close()
    await behind?.close()
    flush("5-extension")
  })

  const select = async (name: string) => {
    const id = await popup.getByTestId("account-select").locator("option", { hasText: name }).getAttribute("value")
    await popup.getByTestId("account-select").selectOption(id!)
  }

  it("direct backend, 503 unknown (executed) on the Multi-Assets change: shows it changed, changed once", async () => {
    await select("direct-sim")
    expect(await modeShown(popup)).toBe("off")
    await direct.fault({ kind: "unknown", executed: true, endpoint: "/fapi/v1/multiAssetsMargin", method: "POST", count: 1 })
    await popup.getByTestId("multi-assets-toggle").click()
    await popup.getByTestId("plan-preview").waitFor()
    const outcome = await confirmAndWait(popup)
    await keepDom(popup, "popup, direct backend")
    const state = await direct.account(ACCOUNT)
    const changes = direct.apiLog().length
    record({ section: "extension", backend: "direct", fault: "503 unknown error, executed (once)", outcome, changed: state.multiAssetsMargin, changes, pass: /1 changed/.test(outcome) && state.multiAssetsMargin && changes === 1 })
    expect(outcome).toMatch(/1 changed/)
    expect(state.multiAssetsMargin).toBe(true)
    expect(changes).toBe(1)
    await closePanel(popup)
  })

  it("gateway backend, connection dropped once on the margin-type change: shows it changed, changed once", async () => {
    await select("via-gateway")
    await modeShown(popup)
    await rowsShown(popup)
    await behind.fault({ kind: "drop", endpoint: "/fapi/v1/marginType", method: "POST", count: 1 })
    await switchMarginType(popup, "BTCUSDT", "ISOLATED")
    const outcome = await confirmAndWait(popup)
    await keepDom(popup, "popup, gateway backend")
    const state = await behind.account(ACCOUNT)
    const changes = behind.apiLog().length
    const posts = behind.count("POST", "/fapi/v1/marginType")
    record({ section: "extension", backend: "gateway", fault: "connection dropped (once)", outcome, changed: state.symbols.BTCUSDT?.marginType === "ISOLATED", changes, posts, pass: /1 changed/.test(outcome) && changes === 1 })
    expect(outcome).toMatch(/1 changed/)
    expect(state.symbols.BTCUSDT?.marginType).toBe("ISOLATED")
    expect(changes).toBe(1)
    expect(posts).toBe(2)
    await closePanel(popup)
  })
})
