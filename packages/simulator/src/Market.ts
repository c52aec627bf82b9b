/**
 * The market the simulator lists: USDⓈ-M symbols (perpetuals margined in USDT and USDC, a delivery
 * contract, a non-ASCII symbol), the wallet assets with their Multi-Assets eligibility and
 * auto-exchange thresholds, and the asset index used to value collateral. A seed can replace the
 * symbol list; everything derived from it (exchangeInfo body, lookups) is computed once.
 */

export interface SymbolSpec {
  readonly symbol: string
  readonly pair: string
  readonly contractType: "PERPETUAL" | "CURRENT_QUARTER" | "NEXT_QUARTER" | "CURRENT_MONTH" | "NEXT_MONTH"
  readonly baseAsset: string
  readonly quoteAsset: string
  readonly marginAsset: string
  readonly status: string
  readonly pricePrecision: number
  readonly quantityPrecision: number
  readonly tickSize: string
  readonly stepSize: string
  /** Mark price used for notional, unrealized PnL and initial margin. */
  readonly markPrice: number
  readonly maxLeverage: number
  readonly deliveryDate: number
  readonly onboardDate: number
}

export interface AssetSpec {
  readonly asset: string
  /** Usable as Multi-Assets collateral. */
  readonly marginAvailable: boolean
  /** Auto-exchange threshold as Binance sends it (a decimal string), or null. */
  readonly autoAssetExchange: string | null
  /** USD index price (1 for stablecoins). */
  readonly indexPrice: number
  /** Collateral haircut buffers for the asset index (bid/ask and auto-exchange). */
  readonly buffer: number
  readonly autoExchangeBuffer: number
}

const PERPETUAL_DELIVERY = 4133404800000
const ONBOARD = 1569398400000

const perp = (
  base: string,
  quote: string,
  markPrice: number,
  pricePrecision: number,
  quantityPrecision: number,
  maxLeverage = 75,
  symbolName?: string
): SymbolSpec => ({
  symbol: symbolName ?? `${base}${quote}`,
  pair: symbolName ?? `${base}${quote}`,
  contractType: "PERPETUAL",
  baseAsset: base,
  quoteAsset: quote,
  marginAsset: quote,
  status: "TRADING",
  pricePrecision,
  quantityPrecision,
  tickSize: step(pricePrecision),
  stepSize: step(quantityPrecision),
  markPrice,
  maxLeverage,
  deliveryDate: PERPETUAL_DELIVERY,
  onboardDate: ONBOARD
})

const step = (precision: number): string => (precision === 0 ? "1" : `0.${"0".repeat(precision - 1)}1`)

/** About thirty realistic USDⓈ-M symbols. */
export const DEFAULT_SYMBOLS: ReadonlyArray<SymbolSpec> = [
  perp("BTC", "USDT", 60000, 1, 3, 125),
  perp("ETH", "USDT", 3000, 2, 3, 100),
  perp("BNB", "USDT", 600, 2, 2),
  perp("SOL", "USDT", 150, 3, 0),
  perp("XRP", "USDT", 0.6, 4, 1),
  perp("DOGE", "USDT", 0.15, 5, 0),
  perp("ADA", "USDT", 0.45, 5, 0),
  perp("AVAX", "USDT", 30, 3, 0),
  perp("DOT", "USDT", 6, 3, 1),
  perp("LINK", "USDT", 15, 3, 2),
  perp("LTC", "USDT", 80, 2, 3),
  perp("TRX", "USDT", 0.12, 5, 0),
  perp("BCH", "USDT", 400, 2, 3),
  perp("ETC", "USDT", 25, 3, 2),
  perp("ATOM", "USDT", 8, 3, 2),
  perp("NEAR", "USDT", 5, 3, 0),
  perp("APT", "USDT", 9, 4, 1),
  perp("ARB", "USDT", 0.8, 4, 1),
  perp("OP", "USDT", 2, 4, 1),
  perp("SUI", "USDT", 1.5, 4, 1),
  perp("FIL", "USDT", 5, 3, 1),
  perp("UNI", "USDT", 8, 4, 0),
  perp("1000PEPE", "USDT", 0.01, 7, 0, 50),
  perp("WLD", "USDT", 2.5, 4, 0, 50),
  perp("币安人生", "USDT", 0.2, 5, 0, 20, "币安人生USDT"),
  perp("BTC", "USDC", 60000, 1, 3, 125),
  perp("ETH", "USDC", 3000, 2, 3, 100),
  perp("SOL", "USDC", 150, 3, 0),
  perp("BNB", "USDC", 600, 2, 2),
  {
    ...perp("BTC", "USDT", 60500, 1, 3, 125),
    symbol: "BTCUSDT_260925",
    pair: "BTCUSDT",
    contractType: "CURRENT_QUARTER",
    deliveryDate: 1790323200000,
    onboardDate: 1774598400000
  }
]

export const DEFAULT_ASSETS: ReadonlyArray<AssetSpec> = [
  { asset: "USDT", marginAvailable: true, autoAssetExchange: "-10000", indexPrice: 1, buffer: 0.0001, autoExchangeBuffer: 0.0001 },
  { asset: "USDC", marginAvailable: true, autoAssetExchange: "-10000", indexPrice: 1, buffer: 0.0001, autoExchangeBuffer: 0.0001 },
  { asset: "FDUSD", marginAvailable: true, autoAssetExchange: "-10000", indexPrice: 1, buffer: 0.011, autoExchangeBuffer: 0.005 },
  { asset: "BTC", marginAvailable: true, autoAssetExchange: "-0.10000000", indexPrice: 60000, buffer: 0.05, autoExchangeBuffer: 0.025 },
  { asset: "ETH", marginAvailable: true, autoAssetExchange: "-5", indexPrice: 3000, buffer: 0.05, autoExchangeBuffer: 0.025 },
  { asset: "BNB", marginAvailable: true, autoAssetExchange: "-10", indexPrice: 600, buffer: 0.05, autoExchangeBuffer: 0.025 },
  { asset: "SOL", marginAvailable: true, autoAssetExchange: "-50", indexPrice: 150, buffer: 0.1, autoExchangeBuffer: 0.05 },
  { asset: "BNFCR", marginAvailable: true, autoAssetExchange: "-5000", indexPrice: 1, buffer: 0, autoExchangeBuffer: 0 },
  { asset: "XRP", marginAvailable: false, autoAssetExchange: null, indexPrice: 0.6, buffer: 0.1, autoExchangeBuffer: 0.05 }
]

export interface Market {
  readonly symbols: ReadonlyArray<SymbolSpec>
  readonly assets: ReadonlyArray<AssetSpec>
  readonly symbol: (name: string) => SymbolSpec | undefined
  readonly asset: (name: string) => AssetSpec | undefined
  /** USD value of one unit of `asset` (index price; 1 for unknown stablecoins, 0 for unknown others). */
  readonly usdPrice: (asset: string) => number
}

export const make = (
  symbols: ReadonlyArray<SymbolSpec> = DEFAULT_SYMBOLS,
  assets: ReadonlyArray<AssetSpec> = DEFAULT_ASSETS
): Market => {
  const bySymbol = new Map(symbols.map((s) => [s.symbol, s]))
  const byAsset = new Map(assets.map((a) => [a.asset, a]))
  return {
    symbols,
    assets,
    symbol: (name) => bySymbol.get(name),
    asset: (name) => byAsset.get(name),
    usdPrice: (asset) => byAsset.get(asset)?.indexPrice ?? 0
  }
}

/** Builds a symbol from the fields a seed may give; the rest take plausible defaults. */
export const symbolFrom = (input: {
  readonly symbol: string
  readonly baseAsset?: string | undefined
  readonly quoteAsset?: string | undefined
  readonly marginAsset?: string | undefined
  readonly contractType?: SymbolSpec["contractType"] | undefined
  readonly markPrice?: number | undefined
  readonly pricePrecision?: number | undefined
  readonly quantityPrecision?: number | undefined
  readonly maxLeverage?: number | undefined
  readonly status?: string | undefined
}): SymbolSpec => {
  const quote = input.quoteAsset ?? (["USDT", "USDC"].find((q) => input.symbol.split("_")[0]!.endsWith(q)) ?? "USDT")
  const head = input.symbol.split("_")[0]!
  const base = input.baseAsset ?? (head.endsWith(quote) ? head.slice(0, head.length - quote.length) : head)
  const spec = perp(base, quote, input.markPrice ?? 100, input.pricePrecision ?? 2, input.quantityPrecision ?? 3, input.maxLeverage ?? 75, input.symbol)
  return {
    ...spec,
    pair: head,
    marginAsset: input.marginAsset ?? quote,
    contractType: input.contractType ?? (input.symbol.includes("_") ? "CURRENT_QUARTER" : "PERPETUAL"),
    status: input.status ?? "TRADING"
  }
}
