/**
 * Simulator servers (127.0.0.1, a free port each) started in the test process, with the helpers the
 * faults need: its control API, the change log, request counts, spending the IP's weight with raw
 * requests, a ban, and moving the server's clock so that its weight minute ends soon.
 */
import { type RunningServer, startServer } from "../../../packages/simulator/src/Server.js"
import { capture, keySeed, type KeyKind, SIM_ADMIN_TOKEN, sleep } from "./env.js"

export interface LogEntry {
  readonly seq: number
  readonly source: "api" | "control"
  readonly account: string
  readonly endpoint: string
  readonly params: Record<string, unknown>
  readonly before: unknown
  readonly after: unknown
}

export interface SimAccount {
  readonly name: string
  readonly multiAssetsMargin: boolean
  readonly symbols: Record<string, { readonly marginType: "ISOLATED" | "CROSSED" }>
}

export interface Sim {
  readonly url: string
  readonly server: RunningServer
  /** Control API call; throws on a status ≥ 300. */
  readonly admin: <A = any>(method: string, path: string, body?: unknown) => Promise<A>
  /** Control API call, whatever the status. */
  readonly control: (method: string, path: string, body?: unknown) => Promise<{ status: number; text: string; json: any }>
  readonly fault: (fault: Record<string, unknown>) => Promise<void>
  /** Accepted changes made through the exchange API. */
  readonly apiLog: () => Array<LogEntry>
  readonly account: (name: string) => Promise<SimAccount>
  /** Requests received by METHOD path. */
  readonly count: (method: string, path: string) => number
  /** Weight used by 127.0.0.1 in the server's current minute. */
  readonly used: () => Promise<{ used: number; limited: boolean; bannedUntil: number }>
  readonly close: () => Promise<void>
}

export const ACCOUNT = "main"

export const seedFor = (kind: KeyKind, account: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  accounts: [{ name: ACCOUNT, ...keySeed(kind), balances: { USDT: 10000, USDC: 5000, BTC: 0.1 }, ...account }],
  ...extra
})

export const startSim = async (seed: unknown): Promise<Sim> => {
  const server = await startServer({ port: 0, host: "127.0.0.1", seed, adminToken: SIM_ADMIN_TOKEN })
  const control = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${server.url}/_sim${p}`, {
      method,
      headers: { authorization: `Bearer ${SIM_ADMIN_TOKEN}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
    })
    const text = await res.text()
    capture("simulator control API", text)
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: res.status, text, json }
  }
  const admin = async <A>(method: string, p: string, body?: unknown): Promise<A> => {
    const r = await control(method, p, body)
    if (r.status >= 300) throw new Error(`${method} /_sim${p}: ${r.status} ${r.text}`)
    return r.json as A
  }
  return {
    url: server.url,
    server,
    admin,
    control,
    fault: async (fault) => void (await admin("POST", "/faults", fault)),
    apiLog: () => server.sim.log().filter((e) => e.source === "api") as Array<LogEntry>,
    account: (name) => admin<SimAccount>("GET", `/accounts/${name}`),
    count: (method, p) => server.sim.requestCount(p, method),
    used: async () => {
      const w = await admin<{ ips: Record<string, { used: number; limited: boolean; bannedUntil: number }> }>("GET", "/weight")
      return w.ips["127.0.0.1"] ?? { used: 0, limited: false, bannedUntil: 0 }
    },
    close: () => server.close()
  }
}

const ping = (sim: Sim) => fetch(`${sim.url}/fapi/v1/ping`).then(async (r) => (await r.text(), r.status))

/**
 * Moves the server's clock (a clockSkew fault) so that its current weight minute ends in `seconds`:
 * a 429 then asks for a short Retry-After. Server time is the real clock plus the skews.
 */
export const minuteEndsIn = async (sim: Sim, seconds: number): Promise<number> => {
  const now = Date.now() + sim.server.sim.faults.skew()
  const remaining = 60_000 - (now % 60_000)
  let offset = remaining - seconds * 1000
  if (offset < 0) offset += 60_000
  await sim.fault({ kind: "clockSkew", offsetMs: offset })
  return offset
}

/**
 * Lowers the weight limit to `limit` (no ban for a long while) and spends the IP's weight with
 * unsigned pings until exactly `target` is used in the current minute.
 */
export const spendTo = async (sim: Sim, limit: number, target: number): Promise<void> => {
  await sim.admin("PUT", "/config", { weightLimit: limit, banAfter: 1000 })
  const { used } = await sim.used()
  if (used > target) throw new Error(`weight already at ${used}, more than ${target}`)
  const statuses = await Promise.all(Array.from({ length: target - used }, () => ping(sim)))
  if (statuses.some((s) => s !== 200)) throw new Error(`spending weight: ${statuses.join(",")}`)
  const after = await sim.used()
  if (after.used !== target) throw new Error(`weight is ${after.used}, expected ${target} (a minute boundary passed?)`)
}

/** Bans 127.0.0.1 (weight limit 1, banAfter 0): 200, 429, then 418. */
export const ban = async (sim: Sim): Promise<void> => {
  await sim.admin("PUT", "/config", { weightLimit: 1, banAfter: 0 })
  const statuses: Array<number> = []
  while (!statuses.includes(418)) {
    if (statuses.length > 20) throw new Error(`no ban: ${statuses.join(",")}`)
    statuses.push(await ping(sim))
  }
  await sleep(0)
}
