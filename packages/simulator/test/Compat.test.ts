/**
 * Third-party Binance clients, unchanged, pointed at the simulator server: each reads and changes
 * Multi-Assets Mode and a margin type, and the simulator's state shows the change. Options only,
 * no patches: base URL overrides, time sync off, currencies not fetched (ccxt's would call sapi).
 */
import { DerivativesTradingUsdsFutures, DerivativesTradingUsdsFuturesRestAPI } from "@binance/derivatives-trading-usds-futures"
import { USDMClient } from "binance"
import ccxt from "ccxt"
import { describe, expect, it } from "vitest"
import { type RunningServer, startServer } from "../src/Server.js"
import { API_KEYS, ED25519_PRIVATE, HMAC_SECRET, RSA_PRIVATE, seedWith } from "./support/Client.js"

/** A fresh server per test (tests run concurrently), closed when the test ends. */
const withServer = async (f: (server: RunningServer) => Promise<void>) => {
  const server = await startServer({ seed: seedWith(), adminToken: "admin-token" })
  try {
    await f(server)
  } finally {
    await server.close()
  }
}

const ccxtClient = (url: string, apiKey: string, secret: string) => {
  const exchange = new ccxt.binanceusdm({
    apiKey,
    secret,
    enableRateLimit: false,
    options: { fetchCurrencies: false, adjustForTimeDifference: false }
  })
  const api = exchange.urls["api"] as Record<string, string>
  exchange.urls["api"] = {
    ...api,
    fapiPublic: `${url}/fapi/v1`,
    fapiPublicV2: `${url}/fapi/v2`,
    fapiPublicV3: `${url}/fapi/v3`,
    fapiPrivate: `${url}/fapi/v1`,
    fapiPrivateV2: `${url}/fapi/v2`,
    fapiPrivateV3: `${url}/fapi/v3`,
    fapiData: `${url}/futures/data`
  }
  return exchange
}

describe("ccxt binanceusdm", () => {
  it("reads and changes Multi-Assets Mode and margin type (HMAC)", async () =>
    withServer(async (server) => {
      const exchange = ccxtClient(server.url, API_KEYS.HMAC, HMAC_SECRET)
      const account = server.sim.account("main")!

      expect(await exchange.fapiPrivateGetMultiAssetsMargin()).toEqual({ multiAssetsMargin: false })
      const marginMode = await exchange.setMarginMode("isolated", "BTC/USDT:USDT")
      expect(marginMode).toMatchObject({ code: 200 })
      expect(account.symbols.get("BTCUSDT")?.marginType).toBe("ISOLATED")
      // The no-op answers -4046; ccxt turns it into a synthetic success (or MarginModeAlreadySet
      // when its error classes are loaded twice, as under vitest): either way the code is -4046.
      const again = await exchange.setMarginMode("isolated", "BTC/USDT:USDT").catch((e: Error) => e)
      expect(again instanceof Error ? again.message : JSON.stringify(again)).toMatch(/-4046/)
      const modes = await exchange.fetchMarginModes(["BTC/USDT:USDT", "ETH/USDT:USDT"])
      expect(modes["BTC/USDT:USDT"]?.marginMode).toBe("isolated")
      expect(modes["ETH/USDT:USDT"]?.marginMode).toBe("cross")

      // -4167 surfaces as an error carrying Binance's code and message.
      await expect(exchange.fapiPrivatePostMultiAssetsMargin({ multiAssetsMargin: "true" })).rejects.toThrow(/-4167/)
      await exchange.setMarginMode("cross", "BTC/USDT:USDT")
      expect(await exchange.fapiPrivatePostMultiAssetsMargin({ multiAssetsMargin: "true" })).toMatchObject({ code: 200 })
      expect(account.multiAssetsMargin).toBe(true)
      expect(await exchange.fapiPrivateGetMultiAssetsMargin()).toEqual({ multiAssetsMargin: true })
      const config = await exchange.fapiPrivateGetSymbolConfig({ symbol: "BTCUSDT" })
      expect(config[0]).toMatchObject({ symbol: "BTCUSDT", marginType: "CROSSED" })
      expect(server.sim.log().map((e) => e.endpoint)).toEqual([
        "POST /fapi/v1/marginType",
        "POST /fapi/v1/marginType",
        "POST /fapi/v1/multiAssetsMargin"
      ])
    }), 60_000)

  it("signs with an Ed25519 key", async () =>
    withServer(async (server) => {
      const exchange = ccxtClient(server.url, API_KEYS.ED25519, ED25519_PRIVATE)
      expect(await exchange.fapiPrivatePostMultiAssetsMargin({ multiAssetsMargin: "true" })).toMatchObject({ code: 200 })
      expect(server.sim.account("main")!.multiAssetsMargin).toBe(true)
    }), 60_000)
})

describe("official @binance/derivatives-trading-usds-futures connector", () => {
  const client = (url: string, key: { apiKey: string; apiSecret?: string; privateKey?: string }) =>
    new DerivativesTradingUsdsFutures({ configurationRestAPI: { ...key, basePath: url, timeout: 5000, retries: 0 } })

  it("reads and changes both settings (HMAC)", async () =>
    withServer(async (server) => {
      const rest = client(server.url, { apiKey: API_KEYS.HMAC, apiSecret: HMAC_SECRET }).restAPI
      const account = server.sim.account("main")!

      expect(await (await rest.getCurrentMultiAssetsMode()).data()).toEqual({ multiAssetsMargin: false })
      const changed = await rest.changeMarginType({
        symbol: "ETHUSDT",
        marginType: DerivativesTradingUsdsFuturesRestAPI.ChangeMarginTypeMarginTypeEnum.ISOLATED
      })
      expect(await changed.data()).toEqual({ code: 200, msg: "success" })
        expect(account.symbols.get("ETHUSDT")?.marginType).toBe("ISOLATED")
      const config = await (await rest.symbolConfiguration({ symbol: "ETHUSDT" })).data()
      expect(config[0]).toMatchObject({ symbol: "ETHUSDT", marginType: "ISOLATED" })

      await expect(rest.changeMultiAssetsMode({ multiAssetsMargin: "true" })).rejects.toThrow(/isolated-margin mode/)
      await rest.changeMarginType({
        symbol: "ETHUSDT",
        marginType: DerivativesTradingUsdsFuturesRestAPI.ChangeMarginTypeMarginTypeEnum.CROSSED
      })
      expect(await (await rest.changeMultiAssetsMode({ multiAssetsMargin: "true" })).data()).toEqual({ code: 200, msg: "success" })
      expect(account.multiAssetsMargin).toBe(true)
      expect(await (await rest.getCurrentMultiAssetsMode()).data()).toEqual({ multiAssetsMargin: true })
    }), 60_000)

  it("signs with RSA and Ed25519 private keys", async () =>
    withServer(async (server) => {
      const rsa = client(server.url, { apiKey: API_KEYS.RSA, privateKey: RSA_PRIVATE }).restAPI
      expect(await (await rsa.changeMultiAssetsMode({ multiAssetsMargin: "true" })).data()).toEqual({ code: 200, msg: "success" })
      const ed = client(server.url, { apiKey: API_KEYS.ED25519, privateKey: ED25519_PRIVATE }).restAPI
      expect(await (await ed.getCurrentMultiAssetsMode()).data()).toEqual({ multiAssetsMargin: true })
      expect(server.sim.account("main")!.multiAssetsMargin).toBe(true)
    }), 60_000)
})

describe("binance (USDMClient)", () => {
  it("reads and changes both settings (HMAC)", async () =>
    withServer(async (server) => {
      const client = new USDMClient({
        api_key: API_KEYS.HMAC,
        api_secret: HMAC_SECRET,
        baseUrl: server.url,
        disableTimeSync: true,
        beautifyResponses: false
      })
      const account = server.sim.account("main")!

      expect(await client.getMultiAssetsMode()).toEqual({ multiAssetsMargin: false })
      expect(await client.setMarginType({ symbol: "SOLUSDT", marginType: "ISOLATED" })).toEqual({ code: 200, msg: "success" })
      expect(account.symbols.get("SOLUSDT")?.marginType).toBe("ISOLATED")
      const config = await client.getFuturesSymbolConfig({ symbol: "SOLUSDT" })
      expect(config[0]).toMatchObject({ symbol: "SOLUSDT", marginType: "ISOLATED" })
      await expect(client.setMarginType({ symbol: "SOLUSDT", marginType: "ISOLATED" })).rejects.toMatchObject({ code: -4046 })
      await client.setMarginType({ symbol: "SOLUSDT", marginType: "CROSSED" })
      expect(await client.setMultiAssetsMode({ multiAssetsMargin: "true" })).toEqual({ code: 200, msg: "success" })
      expect(account.multiAssetsMargin).toBe(true)
      expect(await client.getMultiAssetsMode()).toEqual({ multiAssetsMargin: true })
      await expect(client.setMarginType({ symbol: "SOLUSDT", marginType: "ISOLATED" })).rejects.toMatchObject({ code: -4168 })
      const all = await client.getFuturesSymbolConfig({})
      expect(all.length).toBeGreaterThan(25)
    }), 60_000)

  it("signs with an RSA key", async () =>
    withServer(async (server) => {
      const client = new USDMClient({
        api_key: API_KEYS.RSA,
        api_secret: RSA_PRIVATE,
        baseUrl: server.url,
        disableTimeSync: true,
        beautifyResponses: false
      })
      expect(await client.setMultiAssetsMode({ multiAssetsMargin: "true" })).toEqual({ code: 200, msg: "success" })
      expect(server.sim.account("main")!.multiAssetsMargin).toBe(true)
    }), 60_000)
})
