/** The simulator in the test process, and its control API (/_sim, admin token). */
import { type RunningServer, startServer } from "@marginctl/simulator/Server"

export interface Sim {
  readonly server: RunningServer
  readonly url: string
  readonly control: <A = any>(method: string, path: string, body?: unknown) => Promise<A>
  /** The account as the control API shows it (no secrets). */
  readonly account: (name: string) => Promise<SimAccount>
  readonly close: () => Promise<void>
}

export interface SimAccount {
  readonly name: string
  readonly multiAssetsMargin: boolean
  readonly symbols: Record<string, { readonly marginType: "ISOLATED" | "CROSSED" }>
  readonly orders: ReadonlyArray<{ readonly orderId: number; readonly symbol: string }>
}

export const startSim = async (seed: unknown): Promise<Sim> => {
  const server = await startServer({ port: 0, host: "127.0.0.1", seed, adminToken: "admin-token-for-tests" })
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/_sim/${path}`, {
      method,
      headers: { Authorization: `Bearer ${server.adminToken}`, "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`control ${method} ${path}: ${res.status} ${text}`)
    return JSON.parse(text)
  }
  return {
    server,
    url: server.url,
    control,
    account: (name) => control("GET", `accounts/${name}`),
    close: () => server.close()
  }
}

/** Weight the simulator counted in the current minute, over every client IP (what `X-MBX-USED-WEIGHT-1M` says). */
export const weightUsed = async (sim: Sim): Promise<number> => {
  const { ips } = await sim.control<{ ips: Record<string, { used: number }> }>("GET", "weight")
  return Object.values(ips).reduce((sum, u) => sum + u.used, 0)
}

/** The simulator's current weight minute (it counts by minutes of its clock, this process's clock). */
export const weightMinute = (): number => Math.floor(Date.now() / 60_000)

/** Waits, if need be, until at least `seconds` of the simulator's current weight minute are left. */
export const minuteWithRoom = async (seconds: number): Promise<void> => {
  const left = 60_000 - (Date.now() % 60_000)
  if (left < seconds * 1000) await new Promise((r) => setTimeout(r, left + 100))
}

/** Requests the simulator received since its counters were last cleared, by path. */
export const requestsByPath = async (sim: Sim): Promise<Record<string, number>> =>
  (await sim.control<{ byPath: Record<string, number> }>("GET", "requests/count")).byPath

/** A symbol's margin type in the simulator (CROSSED unless set). */
export const marginTypeOf = (account: SimAccount, symbol: string): "ISOLATED" | "CROSSED" =>
  account.symbols[symbol]?.marginType ?? "CROSSED"
