/**
 * The simulator as a separate process (so that a client's `process.cpuUsage()` measures the client
 * only), its control API, and a seed generator. Also used to start the other helper processes of the
 * benchmarks (the counting proxy, the gateway): `spawnService` waits for a line that names the URL.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root: MARGINCTL_ROOT (set by scripts/bench.mjs), else the first parent with pnpm-workspace.yaml. */
const findRoot = (): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!existsSync(path.join(dir, "pnpm-workspace.yaml"))) {
    const up = path.dirname(dir)
    if (up === dir) throw new Error("repository root not found (set MARGINCTL_ROOT)")
    dir = up
  }
  return dir
}
export const ROOT = process.env.MARGINCTL_ROOT ?? findRoot()
export const SIMULATOR_MAIN = path.join(ROOT, "packages/simulator/dist/main.js")

export const API_KEY = "benchKey0000000000000000000000000000000000000000000000000000000"
export const SECRET = "benchSecret000000000000000000000000000000000000000000000000000"
export const ACCOUNT = "bench"
export const ADMIN_TOKEN = "bench-admin-token"

export interface Seed {
  readonly config?: Record<string, unknown>
  readonly symbols?: ReadonlyArray<Record<string, unknown>>
  readonly accounts: ReadonlyArray<Record<string, unknown>>
}

/** One account `bench` with a known HMAC key; `symbols` replaces the default list when given. */
export const seed = (options: { weightLimit?: number; symbols?: ReadonlyArray<string> } = {}): Seed => ({
  config: { weightLimit: options.weightLimit ?? 2400, recvWindowCap: null },
  ...(options.symbols
    ? { symbols: options.symbols.map((s) => ({ symbol: s, baseAsset: s.replace(/USDT$/, ""), quoteAsset: "USDT", markPrice: 1 })) }
    : {}),
  accounts: [{ name: ACCOUNT, apiKey: API_KEY, secret: SECRET, balances: { USDT: 100000, USDC: 10000 } }]
})

/** `S001USDT` … `S200USDT`. */
export const generatedSymbols = (n: number): Array<string> =>
  Array.from({ length: n }, (_, i) => `S${String(i + 1).padStart(3, "0")}USDT`)

export interface Service {
  readonly url: string
  readonly child: ChildProcess
  readonly output: () => string
  readonly stop: () => Promise<void>
}

/** Spawns `node args…` and resolves once stdout matches `ready` (its first group is the URL). */
export const spawnService = (
  args: ReadonlyArray<string>,
  ready: RegExp,
  options: { env?: Record<string, string>; timeoutMs?: number; name?: string } = {}
): Promise<Service> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let settled = false
    const onData = (d: Buffer) => {
      out += d.toString()
      if (out.length > 200_000) out = out.slice(-100_000)
      const m = ready.exec(out)
      if (m && !settled) {
        settled = true
        clearTimeout(timer)
        resolve({
          url: m[1]!,
          child,
          output: () => out,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done()
              child.once("exit", () => done())
              child.kill("SIGTERM")
              setTimeout(() => child.kill("SIGKILL"), 3000).unref()
            })
        })
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", onData)
    const timer = setTimeout(() => {
      if (settled) return
      settled = true
      child.kill("SIGKILL")
      reject(new Error(`${options.name ?? args[0]} did not start within ${options.timeoutMs ?? 20_000} ms:\n${out}`))
    }, options.timeoutMs ?? 20_000)
    child.on("exit", (code) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(new Error(`${options.name ?? args[0]} exited with ${code}:\n${out}`))
    })
  })

export interface Sim extends Service {
  /** Calls the control API (`/_sim/...`) and returns its JSON. */
  readonly control: (method: string, route: string, body?: unknown) => Promise<any>
  readonly reset: () => Promise<void>
  /** Weight of the exchange requests received since the last `clearCounts`, by the core's catalog. */
  readonly counts: () => Promise<{ total: number; byEndpoint: Record<string, number> }>
  readonly clearCounts: () => Promise<void>
}

/** Starts `packages/simulator/dist/main.js --port 0 --seed <tmp file>` and parses the printed URL. */
export const startSimulator = async (s: Seed): Promise<Sim> => {
  const dir = mkdtempSync(path.join(tmpdir(), "marginctl-bench-"))
  const seedFile = path.join(dir, "seed.json")
  writeFileSync(seedFile, JSON.stringify(s))
  const service = await spawnService(
    [SIMULATOR_MAIN, "--port", "0", "--seed", seedFile, "--admin-token", ADMIN_TOKEN],
    /simulator listening on (http:\/\/\S+)/,
    { name: "simulator" }
  )
  const control = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${service.url}/_sim/${route}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} /_sim/${route}: ${res.status} ${text}`)
    return text === "" ? undefined : JSON.parse(text)
  }
  return {
    ...service,
    control,
    reset: () => control("POST", "reset"),
    counts: () => control("GET", "requests/count"),
    clearCounts: () => control("DELETE", "requests/count"),
    stop: async () => {
      await service.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
