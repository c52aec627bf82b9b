/**
 * What the popup shows, updated by the live port's messages (`LiveMessage`): a change replaces a
 * field or a symbol's row, the settings read again replace everything, and the status says whether
 * changes made elsewhere arrive. Pure: the popup keeps the result and renders it. (The core's
 * `UserDataEvent.apply` does this to its `AccountSettings` for Binance's three events; the popup's
 * `Overview` has another shape, the gateway adds position mode, and the popup's bundle does not carry
 * the core's event classes.)
 */
import type { LiveMessage, Overview, OverviewChange } from "./Messages.js"

export interface LiveView {
  readonly overview: Overview | null
  /** Changes made elsewhere arrive as they happen. */
  readonly live: boolean
  /** Why they do not, when they do not (and it is known). */
  readonly reason?: string | undefined
}

/**
 * `overview` with `change` applied. A margin type for a symbol not listed adds its row; a leverage
 * for a symbol not listed is dropped (its margin type is unknown), as the core's caches do.
 */
export const applyChange = (overview: Overview, change: OverviewChange): Overview => {
  switch (change._tag) {
    case "MultiAssets":
      return { ...overview, multiAssets: change.multiAssets }
    case "PositionMode":
      return { ...overview, hedgeMode: change.hedgeMode }
    case "MarginType":
    case "Leverage": {
      const index = overview.symbols.findIndex((s) => s.symbol === change.symbol)
      if (index < 0) {
        return change._tag === "Leverage"
          ? overview
          : { ...overview, symbols: [...overview.symbols, { symbol: change.symbol, marginType: change.marginType }] }
      }
      const symbols = overview.symbols.map((s, i) =>
        i !== index ? s : change._tag === "MarginType" ? { ...s, marginType: change.marginType } : { ...s, leverage: change.leverage }
      )
      return { ...overview, symbols }
    }
  }
}

/** The view after `message`. A change before any settings were shown waits for the next read. */
export const update = (view: LiveView, message: LiveMessage): LiveView => {
  switch (message._tag) {
    case "LiveState":
      return { overview: message.overview, live: message.live }
    case "LiveChange":
      return { ...view, overview: view.overview === null ? null : applyChange(view.overview, message.change) }
    case "LiveStatus":
      return { overview: view.overview, live: message.live, reason: message.reason }
  }
}
