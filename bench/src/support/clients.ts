/**
 * One adapter per client under test, all with the same four promise-returning operations, so that a
 * benchmark loop is identical for every client:
 *
 *   readMultiAssets   marginctl: MarginClient.getMultiAssetsMode() (GET accountConfig, weight 5)
 *                     peers: their documented get-Multi-Assets method (GET multiAssetsMargin, weight 30)
 *   setMultiAssets    POST multiAssetsMargin
 *   readMarginType    GET symbolConfig?symbol=… (marginctl getMarginTypes([s]), ccxt fetchMarginMode,
 *                     official symbolConfiguration, binance getFuturesSymbolConfig)
 *   setMarginType     POST marginType (ccxt through its unified setMarginMode)
 *
 * marginctl is the core's MarginClient (./marginctl.ts). Peers are configured with options only, as
 * in packages/simulator/test/Compat.test.ts. Every client library is loaded with a dynamic import,
 * so a worker process holds only the client it measures.
 */

export type MarginType = "ISOLATED" | "CROSSED"

export interface Adapter {
  readonly name: ClientName
  readonly readMultiAssets: () => Promise<boolean>
  readonly setMultiAssets: (on: boolean) => Promise<unknown>
  readonly readMarginType: (symbol: string) => Promise<string>
  readonly setMarginType: (symbol: string, type: MarginType) => Promise<unknown>
  readonly close: () => Promise<void>
}

export const MARGINCTL_VARIANTS = ["marginctl-undici", "marginctl-nodehttp", "marginctl-fetch"] as const
export const PEERS = ["ccxt", "official", "binance"] as const
export type MarginctlVariant = (typeof MARGINCTL_VARIANTS)[number]
export type Peer = (typeof PEERS)[number]
export const BASELINES = ["baseline-nodehttp", "baseline-effect-undici"] as const
export type Baseline = (typeof BASELINES)[number]
export type ClientName = MarginctlVariant | Peer | Baseline

export const LABELS: Record<ClientName, string> = {
  "marginctl-undici": "marginctl core (Node: undici + node:crypto)",
  "marginctl-nodehttp": "marginctl core (node:http)",
  "marginctl-fetch": "marginctl core (fetch)",
  ccxt: "ccxt 4.5 binanceusdm",
  official: "official connector 38.1",
  binance: "`binance` 3.6 USDMClient",
  "baseline-nodehttp": "floor: node:http + createHmac + JSON.parse",
  "baseline-effect-undici": "floor: @effect/platform HttpClient (undici) + createHmac, runPromise per call"
}

export const isMarginctl = (name: string): name is MarginctlVariant => name.startsWith("marginctl")

export interface Target {
  readonly url: string
  readonly apiKey: string
  readonly secret: string
}

/** ccxt binanceusdm pointed at the simulator (as Compat.test.ts `ccxtClient`). */
export const ccxtExchange = async (target: Target, enableRateLimit: boolean) => {
  const { default: ccxt } = await import("ccxt")
  const exchange = new ccxt.binanceusdm({
    apiKey: target.apiKey,
    secret: target.secret,
    enableRateLimit,
    options: { fetchCurrencies: false, adjustForTimeDifference: false }
  })
  const api = exchange.urls["api"] as Record<string, string>
  const url = target.url
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

/** `BTCUSDT` → `BTC/USDT:USDT` (linear perpetuals only, which is all the benchmarks use). */
export const unified = (symbol: string): string => `${symbol.replace(/USDT$/, "")}/USDT:USDT`

const ccxtAdapter = async (target: Target, enableRateLimit: boolean): Promise<Adapter> => {
  const exchange = await ccxtExchange(target, enableRateLimit)
  return {
    name: "ccxt",
    readMultiAssets: () => exchange.fapiPrivateGetMultiAssetsMargin().then((r: any) => r.multiAssetsMargin),
    setMultiAssets: (on) => exchange.fapiPrivatePostMultiAssetsMargin({ multiAssetsMargin: on ? "true" : "false" }),
    readMarginType: (symbol) => exchange.fetchMarginMode(unified(symbol)).then((m) => String(m.marginMode)),
    setMarginType: (symbol, type) => exchange.setMarginMode(type === "ISOLATED" ? "isolated" : "cross", unified(symbol)),
    close: async () => {
      await exchange.close()
    }
  }
}

/** The official connector with its defaults (timeout 1 s, 3 retries for GET/DELETE), `basePath` only. */
const officialAdapter = async (target: Target): Promise<Adapter> => {
  const { DerivativesTradingUsdsFutures, DerivativesTradingUsdsFuturesRestAPI } = await import(
    "@binance/derivatives-trading-usds-futures"
  )
  const rest = new DerivativesTradingUsdsFutures({
    configurationRestAPI: { apiKey: target.apiKey, apiSecret: target.secret, basePath: target.url }
  }).restAPI
  const Enum = DerivativesTradingUsdsFuturesRestAPI.ChangeMarginTypeMarginTypeEnum
  return {
    name: "official",
    readMultiAssets: async () => (await (await rest.getCurrentMultiAssetsMode()).data()).multiAssetsMargin!,
    setMultiAssets: async (on) => (await rest.changeMultiAssetsMode({ multiAssetsMargin: on ? "true" : "false" })).data(),
    readMarginType: async (symbol) => String((await (await rest.symbolConfiguration({ symbol })).data())[0]!.marginType),
    setMarginType: async (symbol, type) => (await rest.changeMarginType({ symbol, marginType: Enum[type] })).data(),
    close: async () => {}
  }
}

const binanceAdapter = async (target: Target): Promise<Adapter> => {
  const { USDMClient } = await import("binance")
  const client = new USDMClient({
    api_key: target.apiKey,
    api_secret: target.secret,
    baseUrl: target.url,
    disableTimeSync: true,
    beautifyResponses: false
  })
  return {
    name: "binance",
    readMultiAssets: () => client.getMultiAssetsMode().then((r) => r.multiAssetsMargin),
    setMultiAssets: (on) => client.setMultiAssetsMode({ multiAssetsMargin: on ? "true" : "false" }),
    readMarginType: (symbol) => client.getFuturesSymbolConfig({ symbol }).then((r) => String(r[0]!.marginType)),
    setMarginType: (symbol, type) => client.setMarginType({ symbol, marginType: type }),
    close: async () => {}
  }
}

/**
 * An adapter for `name`. `ccxtRateLimit` turns ccxt's own throttle on (its default); the cost
 * benchmarks turn it off, as Compat.test.ts does, so that they measure CPU, not sleeping.
 */
export const makeAdapter = async (
  name: ClientName,
  target: Target,
  options: { readonly ccxtRateLimit?: boolean; readonly diag?: ReadonlyArray<"budget" | "tracer"> } = {}
): Promise<Adapter> => {
  switch (name) {
    case "ccxt":
      return ccxtAdapter(target, options.ccxtRateLimit ?? false)
    case "official":
      return officialAdapter(target)
    case "binance":
      return binanceAdapter(target)
    case "baseline-nodehttp":
      return (await import("./baselines.js")).nodeHttp(target)
    case "baseline-effect-undici":
      return (await import("./baselines.js")).effectUndici(target)
    default:
      return (await import("./marginctl.js")).adapter(name, target, options.diag)
  }
}
