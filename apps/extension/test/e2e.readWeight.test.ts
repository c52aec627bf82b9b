/**
 * What opening the popup and planning a change cost, in Debian's Chromium with the built extension
 * and a direct account on the simulator, measured by the simulator's weight count (what
 * `X-MBX-USED-WEIGHT-1M` says): an open starts the live stream and shows its first read (its key
 * and the settings: 11), re-opens while it runs are answered from it, 25 opens stay far under the
 * 2,400 a minute; a plan
 * still reads the orders, positions and balances, and an open order still blocks a margin-type switch.
 */
import * as Duration from "effect/Duration"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { LIVE_GRACE } from "../src/LiveShare.js"
import { type Browser, launch, screenshot } from "./support/browser.js"
import { addDirectAccount, closePanel, modeShown, rowsShown, setUpPassphrase, switchMarginType } from "./support/flows.js"
import { minuteWithRoom, requestsByPath, type Sim, startSim, weightMinute, weightUsed } from "./support/sim.js"

const API_KEY = "e2eBobApiKey0123456789"
const SECRET = "e2eBobHmacSecret9876543210abcdef"

const SEED = {
  accounts: [{
    name: "bob",
    apiKey: API_KEY,
    secret: SECRET,
    balances: { USDT: 10000 },
    marginTypes: { BNBUSDT: "ISOLATED" },
    positions: [{ symbol: "ETHUSDT", positionAmt: 0.5 }]
  }]
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.sequential("the weight of the popup (direct backend)", () => {
  let sim: Sim
  let browser: Browser
  let popup: Page

  beforeAll(async () => {
    sim = await startSim(SEED)
    browser = await launch()
    const options = await browser.open("options.html")
    await setUpPassphrase(options)
    await addDirectAccount(options, { name: "bob-sim", url: sim.url, apiKey: API_KEY, secret: SECRET })
    await options.close()
    // The first open also measures the server clock (GET /fapi/v1/time); the tests below open again.
    popup = await browser.open("popup.html")
    await rowsShown(popup)
  })

  afterAll(async () => {
    await browser?.close()
    await sim?.close()
  })

  it("costs weight 11 to show and follow live; re-opening while the stream runs costs nothing; 25 opens stay far under the budget", async () => {
    // Past the stream's grace after the last popup closed (its key DELETEd) and the worker's memo.
    await popup.close()
    await sleep(Duration.toMillis(LIVE_GRACE) + 1000)
    await minuteWithRoom(30)
    const minute = weightMinute()
    await sim.control("DELETE", "requests/count")
    const before = await weightUsed(sim)
    popup = await browser.open("popup.html")
    await rowsShown(popup)
    await popup.locator("[data-testid=live-state][data-live=true]").waitFor({ timeout: 20_000 })
    // The stream's key (1) and the settings it reads once connected (10), which the popup shows.
    expect(await weightUsed(sim) - before).toBe(11)
    for (let open = 2; open <= 25; open++) {
      await popup.reload()
      await rowsShown(popup)
      expect(await modeShown(popup)).toBe("off")
    }
    // Every re-open is answered from the live stream: without it 10 per memo period, with the snapshot 2,400.
    expect(await weightUsed(sim) - before).toBe(11)
    expect(weightMinute()).toBe(minute)
    expect(await requestsByPath(sim)).toMatchObject({ "/fapi/v1/accountConfig": 1, "/fapi/v1/symbolConfig": 1, "/fapi/v1/listenKey": 1 })
  }, 90_000)

  it("reads orders, positions and balances to plan a change, and an open order still blocks a margin-type switch", async () => {
    await sim.control("POST", "accounts/bob/orders", {
      symbol: "BTCUSDT",
      side: "BUY",
      type: "LIMIT",
      price: "1000",
      quantity: "0.01"
    })
    await sim.control("DELETE", "requests/count")
    await switchMarginType(popup, "BTCUSDT", "ISOLATED")
    const preview = popup.getByTestId("plan-preview")
    expect(await preview.getAttribute("data-blocked")).toBe("true")
    const text = (await preview.textContent()) ?? ""
    expect(text).toContain("BTCUSDT has 1 open order")
    expect(text).toContain("reading the account cost 96")
    await expect(popup.getByTestId("confirm-apply").isDisabled()).resolves.toBe(true)
    expect(await requestsByPath(sim)).toMatchObject({
      "/fapi/v1/accountConfig": 1,
      "/fapi/v1/symbolConfig": 1,
      "/fapi/v1/openOrders": 1,
      "/fapi/v1/openAlgoOrders": 1,
      "/fapi/v3/account": 1
    })
    await screenshot(popup, "weight-01-blocked-open-order")
    expect(await sim.control("GET", "log?account=bob&source=api")).toHaveLength(0)
    await closePanel(popup)
  })
})
