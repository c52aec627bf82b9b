/**
 * End to end, in Debian's Chromium with the built extension: while the popup is open, a setting
 * changed elsewhere (the simulator's control API, standing for Binance's app) shows within a second —
 * on a direct account through the user-data stream the worker holds (its listen key DELETEd a short
 * while after the popup closed, the view "not live" while the stream is down), and on a gateway account through the
 * gateway's account events (the position mode too, found by the gateway's poll). Each time from the
 * change to the popup showing it is printed.
 */
import * as Duration from "effect/Duration"
import type { Locator, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { LIVE_GRACE } from "../src/LiveShare.js"
import { type Browser, launch, screenshot } from "./support/browser.js"
import { addDirectAccount, addGatewayAccount, modeShown, row, rowsShown, setUpPassphrase } from "./support/flows.js"
import { type Gateway, gatewayMain, startGateway } from "./support/gateway.js"
import { type Sim, startSim } from "./support/sim.js"

const API_KEY = "e2eLiveApiKey0123456789"
const SECRET = "e2eLiveHmacSecret9876543210abcdef"
const TOKEN = "extension-e2e-live-token-0123456789"
const ACCOUNT = { name: "dana", apiKey: API_KEY, secret: SECRET, balances: { USDT: 10000 }, marginTypes: { BNBUSDT: "ISOLATED" }, leverage: { BNBUSDT: 10 } }

const LIMIT_MS = 1000
/** The gateway's position-mode poll (its shortest): that change is found by a read, not pushed. */
const POSITION_MODE_POLL_MS = 1000

const live = (popup: Page, isLive: boolean) => popup.locator(`[data-testid=live-state][data-live="${isLive}"]`)

/** Changes the account's settings through the control API and returns how long until `shown` appears. */
const timeToShow = async (sim: Sim, what: string, settings: Record<string, unknown>, shown: Locator): Promise<number> => {
  const started = performance.now()
  await sim.control("PUT", `accounts/${ACCOUNT.name}/settings`, settings)
  await shown.waitFor({ timeout: 10_000 })
  const ms = Math.round(performance.now() - started)
  console.log(`[live] ${what}: shown ${ms} ms after the change`)
  return ms
}

/** The changes every backend shows live: Multi-Assets on, a symbol isolated, a leverage. */
const showsChanges = async (sim: Sim, popup: Page, backend: string) => {
  expect(await modeShown(popup)).toBe("off")
  await rowsShown(popup)
  await live(popup, true).waitFor({ timeout: 20_000 })
  expect(await timeToShow(sim, `${backend}, Multi-Assets on`, { multiAssetsMargin: true }, popup.getByTestId("multi-assets-state").filter({ hasText: /^on$/ })))
    .toBeLessThan(LIMIT_MS)
  expect(await timeToShow(sim, `${backend}, ETHUSDT isolated`, { multiAssetsMargin: false, marginTypes: { ETHUSDT: "ISOLATED" } }, popup.locator(
    "[data-testid=margin-type-row][data-symbol=ETHUSDT][data-margin-type=ISOLATED]"
  ))).toBeLessThan(LIMIT_MS)
  expect(await popup.getByTestId("multi-assets-state").textContent()).toBe("off")
  expect(await timeToShow(sim, `${backend}, BNBUSDT leverage 20`, { leverage: { BNBUSDT: 20 } }, row(popup, "BNBUSDT").filter({ hasText: "leverage 20×" })))
    .toBeLessThan(LIMIT_MS)
  await screenshot(popup, `live-${backend}`)
}

describe.sequential("popup following changes made elsewhere (direct backend)", () => {
  let sim: Sim
  let browser: Browser
  let popup: Page

  beforeAll(async () => {
    sim = await startSim({ accounts: [ACCOUNT] })
    browser = await launch()
    const options = await browser.open("options.html")
    await setUpPassphrase(options)
    await addDirectAccount(options, { name: "dana-sim", url: sim.url, apiKey: API_KEY, secret: SECRET })
    await options.close()
  })

  afterAll(async () => {
    await browser?.close()
    await sim?.close()
  })

  const keys = async () => (await sim.control<{ keys: Array<{ account: string }> }>("GET", "stream")).keys.filter((k) => k.account === ACCOUNT.name)

  it("shows Multi-Assets Mode, a margin type and a leverage changed elsewhere within a second", async () => {
    popup = await browser.open("popup.html")
    await showsChanges(sim, popup, "direct")
    expect(await keys()).toHaveLength(1)
  })

  it("says it is not live while the stream is down, and shows a change made meanwhile once it is back", async () => {
    await sim.control("POST", "stream/drop", { account: ACCOUNT.name })
    await live(popup, false).waitFor({ timeout: 5_000 })
    await sim.control("PUT", `accounts/${ACCOUNT.name}/settings`, { marginTypes: { BNBUSDT: "CROSSED" } })
    await live(popup, true).waitFor({ timeout: 10_000 })
    await row(popup, "BNBUSDT").waitFor({ state: "detached", timeout: 5_000 })
  })

  it("closes the stream, and DELETEs its listen key, a short while after the popup closed", async () => {
    await popup.close()
    expect(await keys()).toHaveLength(1)
    const end = Date.now() + Duration.toMillis(LIVE_GRACE) + 5_000
    while ((await keys()).length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
    expect(await keys()).toHaveLength(0)
  })
})

const main = gatewayMain()

describe.skipIf(main === undefined && !process.env.CI).sequential("popup following changes made elsewhere (gateway backend)", () => {
  let sim: Sim
  let gateway: Gateway
  let browser: Browser

  beforeAll(async () => {
    sim = await startSim({ accounts: [ACCOUNT] })
    gateway = await startGateway({
      main: main!,
      simUrl: sim.url,
      token: TOKEN,
      accounts: [{ name: ACCOUNT.name, apiKey: API_KEY, secret: SECRET }],
      stream: { positionModePollMs: POSITION_MODE_POLL_MS }
    })
    browser = await launch()
    const options = await browser.open("options.html")
    await setUpPassphrase(options)
    await addGatewayAccount(options, { name: "dana-gateway", url: gateway.url, account: ACCOUNT.name, token: TOKEN })
    await options.close()
  })

  afterAll(async () => {
    await browser?.close()
    gateway?.close()
    await sim?.close()
  })

  it("shows Multi-Assets Mode, a margin type and a leverage changed elsewhere within a second", async () => {
    const popup = await browser.open("popup.html")
    await showsChanges(sim, popup, "gateway")
    await popup.close()
  })

  it("shows the position mode changed elsewhere once the gateway's poll finds it (Binance sends no event for it)", async () => {
    const popup = await browser.open("popup.html")
    await popup.getByTestId("position-mode").filter({ hasText: "one-way" }).waitFor({ timeout: 20_000 })
    await live(popup, true).waitFor({ timeout: 20_000 })
    const ms = await timeToShow(sim, "gateway, hedge mode (polled)", { dualSidePosition: true }, popup.getByTestId("position-mode").filter({ hasText: "hedge" }))
    expect(ms).toBeLessThan(POSITION_MODE_POLL_MS + LIMIT_MS)
    await popup.close()
  })
})
