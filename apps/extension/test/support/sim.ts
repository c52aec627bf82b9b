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

/** A symbol's margin type in the simulator (CROSSED unless set). */
export const marginTypeOf = (account: SimAccount, symbol: string): "ISOLATED" | "CROSSED" =>
  account.symbols[symbol]?.marginType ?? "CROSSED"
