/**
 * The work of `marginctl collateral` (loaded only by that command: the collateral math formats
 * numbers with Intl, whose first use costs every other command start-up time).
 * Reads: account (v3), exchangeInfo, assetIndex, accountConfig, open orders (regular and algo).
 */
import * as Catalog from "@marginctl/core/Catalog"
import * as C from "@marginctl/core/Collateral"
import type { AssetIndexEntry } from "@marginctl/core/Responses"
import * as Effect from "effect/Effect"
import * as Output from "../Output.js"
import { type Ctx, targetLabel } from "./ExchangeCommand.js"

/** Assets valued at 1 USD with no haircut when the asset index does not list them. */
const STABLE = new Set(["USDT", "USDC", "FDUSD", "BNFCR", "BUSD"])

const read = (ctx: Ctx) =>
  Effect.all({
    account: ctx.http.call(Catalog.account, {}),
    info: ctx.client.exchangeInfo,
    index: ctx.http.call(Catalog.assetIndex, {}),
    config: ctx.client.getAccountConfig,
    orders: ctx.http.call(Catalog.openOrders, {}),
    algoOrders: ctx.http.call(Catalog.openAlgoOrders, {})
  }, { concurrency: "unbounded" })

const pad = (s: string, n: number, left = false) => (left ? s.padStart(n) : s.padEnd(n))

export const report = (ctx: Ctx) =>
  Effect.gen(function*() {
    const { account, algoOrders, config, index, info, orders } = yield* read(ctx)
    const byPair = new Map<string, AssetIndexEntry>((Array.isArray(index) ? index : [index]).map((e) => [e.symbol, e]))
    const accepted = new Map(info.assets.map((a) => [a.asset, a.marginAvailable]))
    const assets: Array<C.SaleCollateral> = []
    const unpriced: Array<string> = []
    for (const a of account.assets) {
      const pnl = a.unrealizedProfit ?? 0
      if (a.walletBalance === 0 && pnl === 0) continue
      const idx = byPair.get(`${a.asset}USD`)
      if (idx === undefined && !STABLE.has(a.asset)) {
        unpriced.push(a.asset)
        continue
      }
      assets.push({
        asset: a.asset,
        walletBalance: a.walletBalance,
        unrealizedPnl: pnl,
        indexPrice: idx?.index ?? 1,
        haircut: idx?.bidBuffer ?? 0,
        marginAvailable: accepted.get(a.asset) ?? false,
        autoExchangeBidBuffer: idx?.autoExchangeBidBuffer
      })
    }
    const breakdown = yield* C.collateralBreakdown(assets)
    const modes = yield* C.compareModes(assets)
    const thresholds = yield* C.thresholdsFromExchangeInfo(info.assets)
    // An auto-exchange sells at the auto-exchange haircut (2.5 % for BTC in Binance's example).
    const saleAssets = assets.map((a) => ({ ...a, haircut: a.autoExchangeBidBuffer ?? a.haircut, autoExchangeBidBuffer: undefined }))
    const activity = {
      hasPositions: account.positions.some((p) => p.positionAmt !== 0),
      hasOpenOrders: orders.length + algoOrders.length > 0
    }
    const preview = yield* C.autoExchangePreview(saleAssets, activity, { thresholds })
    const json = {
      multiAssetsMargin: config.multiAssetsMargin,
      collateral: breakdown,
      marginBalance: { singleAsset: modes.singleAsset.perAsset, multiAssets: modes.multiAssets },
      notes: modes.notes,
      autoExchange: { fires: preview.check.fires, assets: preview.check.assets, ltvRule: preview.check.ltvRule, sale: preview.sale },
      unpriced
    }
    const w = Math.max(6, ...breakdown.rows.map((r) => r.asset.length)) + 2
    const human = [
      `Multi-Assets Mode: ${config.multiAssetsMargin ? "on" : "off"} (${targetLabel(ctx.target)})`,
      "Collateral (value after haircuts, as Multi-Assets Mode counts it):",
      `  ${pad("ASSET", w)}${pad("BALANCE", 16, true)}${pad("USD VALUE", 16, true)}${pad("HAIRCUT", 10, true)}${pad("COLLATERAL", 16, true)}`,
      ...breakdown.rows.map((r) =>
        `  ${pad(r.asset, w)}${pad(C.formatUnits(r.balance), 16, true)}${pad(C.formatUsd(r.usdValue), 16, true)}` +
        `${pad(C.formatPercent(r.haircut), 10, true)}${pad(r.counted ? C.formatUsd(r.collateralValue) : "not accepted", 16, true)}`
      ),
      `  ${pad("Total", w)}${pad("", 16)}${pad(C.formatUsd(breakdown.totalUsdValue), 16, true)}${pad("", 10)}` +
      `${pad(C.formatUsd(breakdown.totalCollateralValue), 16, true)}`,
      "Margin balance:",
      `  Single-Asset mode: ${
        modes.singleAsset.perAsset.filter((r) => r.usableAsMargin).map((r) => `${r.asset} ${C.formatUnits(r.marginBalance)}`).join(", ") || "none"
      } (each asset its own pool)`,
      `  Multi-Assets mode: ${C.formatUsd(modes.multiAssets.totalUsd)} USD, pooled`,
      ...modes.notes.map((n) => `  - ${n}`),
      preview.sale === null
        ? "Auto-exchange: would not run now."
        : `Auto-exchange: would run and sell about ${C.formatUsd(preview.sale.totalUsdSold)} USD of collateral ` +
          `(${preview.sale.rows.map((r) => `${C.formatUnits(r.unitsSold)} ${r.asset}`).join(", ")}) to cover ` +
          `${C.formatUsd(preview.sale.coveredUsd)} USD of debt.`,
      ...preview.check.assets.filter((a) => a.fires).flatMap((a) => a.reasons.map((r) => `  - ${r}`)),
      ...(unpriced.length > 0 ? [`Left out (no index price): ${unpriced.join(", ")}.`] : [])
    ]
    return Output.report(json, human)
  })
