/**
 * What the live-truth tests read from a gateway process and a simulator: the account's settings as
 * each serves them (compared field by field), the stream's mode and holder from `/readyz`, and the
 * account's events stream (SSE) as frames with their arrival time (captured for the secrets scan).
 */
import { followEvents } from "../../../apps/gateway/test/support/events.js"
import { capture, TOKENS, until } from "./env.js"
import type { Gateway } from "./gateway.js"
import { ACCOUNT, type Sim } from "./sim.js"

export interface View {
  readonly multiAssetsMargin: boolean
  /** Symbol → ISOLATED / CROSSED, sorted by symbol. */
  readonly marginTypes: Record<string, string>
}

const sorted = (entries: Array<[string, string]>): Record<string, string> =>
  Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)))

/** The gateway's GET multi-assets and GET margin-types (every symbol), and the older of their ages. */
export const gatewayView = async (gw: Gateway): Promise<View & { readonly ageMs: number }> => {
  const [ma, mt] = await Promise.all([
    gw.request("GET", `/v1/accounts/${ACCOUNT}/multi-assets`, undefined, { token: TOKENS.reader }),
    gw.request("GET", `/v1/accounts/${ACCOUNT}/margin-types`, undefined, { token: TOKENS.reader })
  ])
  if (ma.status !== 200 || mt.status !== 200) throw new Error(`gateway reads: ${ma.status} ${ma.text} / ${mt.status} ${mt.text}`)
  return {
    multiAssetsMargin: ma.json.multiAssetsMargin,
    marginTypes: sorted(mt.json.marginTypes.map((m: { symbol: string; marginType: string }) => [m.symbol, m.marginType])),
    ageMs: Math.max(ma.json.ageMs, mt.json.ageMs)
  }
}

/**
 * The exchange's truth, from the simulator's `GET /_sim/accounts/:name`: it lists only the symbols
 * whose settings differ from the defaults, so every other symbol of `symbols` is CROSSED.
 */
export const exchangeView = async (sim: Sim, symbols: ReadonlyArray<string>): Promise<View> => {
  const a = await sim.account(ACCOUNT)
  const all = new Set([...symbols, ...Object.keys(a.symbols)])
  return { multiAssetsMargin: a.multiAssetsMargin, marginTypes: sorted([...all].map((s) => [s, a.symbols[s]?.marginType ?? "CROSSED"])) }
}

const same = (a: View, b: View) =>
  a.multiAssetsMargin === b.multiAssetsMargin && JSON.stringify(a.marginTypes) === JSON.stringify(b.marginTypes)

/** Waits until the gateway serves exactly what the exchange holds; both views. */
export const converged = (gw: Gateway, sim: Sim, ms = 20_000) =>
  until(async () => {
    const gateway = await gatewayView(gw)
    const exchange = await exchangeView(sim, Object.keys(gateway.marginTypes))
    return same(gateway, exchange) ? { gateway, exchange } : undefined
  }, ms, 20)

export interface StreamCheck {
  readonly account: string
  readonly mode: "live" | "polling"
  readonly holder: string | null
  readonly detail: string
}

/** The account's stream as `/readyz` shows it. */
export const streamOf = async (gw: Gateway): Promise<StreamCheck | undefined> => {
  const r = await gw.request("GET", "/readyz", undefined, { token: null })
  return (r.json?.streams as Array<StreamCheck> | undefined)?.find((s) => s.account === ACCOUNT)
}

/** Waits until the account's stream is live on `gw`, held by `holder` (any replica when omitted). */
export const live = (gw: Gateway, holder?: string, ms = 20_000) =>
  until(async () => {
    const s = await streamOf(gw)
    return s?.mode === "live" && s.holder !== null && (holder === undefined || s.holder === holder) ? s : undefined
  }, ms, 20)

/** Waits until every replica shows the account's stream live, held by the same one of them; its name. */
export const agreed = (gws: ReadonlyArray<Gateway>, ms = 30_000) =>
  until(async () => {
    const checks = await Promise.all(gws.map(streamOf))
    const holder = checks[0]?.holder ?? null
    return holder !== null && checks.every((c) => c?.mode === "live" && c.holder === holder) ? holder : undefined
  }, ms, 20)

/** The account's events stream on `gw`: frames as they arrive. */
export const events = (gw: Gateway) => {
  const { close, frames } = followEvents(gw.url, ACCOUNT, TOKENS.reader)
  return {
    frames,
    /** The first `change` frame that `match` accepts. */
    change: (match: (c: any) => boolean, ms = 20_000) => until(() => frames.find((f) => f.event === "change" && match(f.data)), ms, 20),
    /** The first `state` frame after `from` (a frame index) in `mode`. */
    state: (mode: "live" | "polling", from = 0, ms = 20_000) =>
      until(() => frames.slice(from).find((f) => f.event === "state" && f.data.mode === mode), ms, 20),
    close: async () => {
      await close()
      capture("gateway events stream", JSON.stringify(frames))
    }
  }
}
