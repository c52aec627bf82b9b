/**
 * The built gateway (apps/gateway/dist/main.js) as a child process on 127.0.0.1, with a config file
 * whose accounts point at simulator servers; its output, every HTTP answer it gives the tests and its
 * audit rows are captured for the secrets scan.
 */
import Database from "better-sqlite3"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { freePort } from "../../../apps/gateway/test/support/servers.js"
import { API_KEYS, capture, ED25519, GATEWAY_MAIN, HMAC_SECRET, type KeyKind, RSA, sha256, sleep, TOKENS } from "./env.js"

export { freePort }

export interface GatewayAccount {
  readonly name: string
  readonly baseUrl: string
  readonly key: KeyKind
  readonly recvWindow?: number | undefined
}

/** Keys go through environment variables (HMAC) or files (Ed25519, RSA), never in the file. */
export const KEY_ENV = {
  GW_HMAC_KEY: API_KEYS.HMAC,
  GW_HMAC_SECRET: HMAC_SECRET,
  GW_ED_KEY: API_KEYS.ED25519,
  GW_RSA_KEY: API_KEYS.RSA
}

const accountEntry = (a: GatewayAccount) => ({
  ...keyEntry(a),
  ...(a.recvWindow === undefined ? {} : { recvWindow: a.recvWindow })
})

const keyEntry = (a: GatewayAccount) =>
  a.key === "HMAC"
    ? { name: a.name, baseUrl: a.baseUrl, apiKeyEnv: "GW_HMAC_KEY", apiSecretEnv: "GW_HMAC_SECRET" }
    : a.key === "ED25519"
    ? { name: a.name, baseUrl: a.baseUrl, apiKeyEnv: "GW_ED_KEY", privateKeyFile: ED25519.privateFile }
    : { name: a.name, baseUrl: a.baseUrl, apiKeyEnv: "GW_RSA_KEY", privateKeyFile: RSA.privateFile }

export const writeConfig = (dir: string, accounts: ReadonlyArray<GatewayAccount>, extra: Record<string, unknown> = {}) => {
  const file = path.join(dir, "gateway.json")
  fs.writeFileSync(file, JSON.stringify({
    host: "127.0.0.1",
    dataDir: path.join(dir, "data"),
    logFormat: "json",
    tokens: [
      { name: "admin", sha256: sha256(TOKENS.admin), scopes: ["read", "write"], accounts: ["*"] },
      { name: "reader", sha256: sha256(TOKENS.reader), scopes: ["read"], accounts: ["*"] }
    ],
    accounts: accounts.map(accountEntry),
    ...extra
  }, null, 2))
  return file
}

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: any
}

export interface Gateway {
  readonly url: string
  readonly port: number
  readonly pid: number
  readonly child: ChildProcess
  readonly dataDir: string
  readonly output: () => string
  readonly exited: Promise<number | null>
  /** An HTTP call with the admin token (or `token`, or none with null); the answer is captured. */
  readonly request: (method: string, p: string, body?: unknown, options?: RequestOptions) => Promise<Answer>
  readonly kill: (signal?: NodeJS.Signals) => Promise<void>
}

export interface RequestOptions {
  readonly token?: string | null
  readonly headers?: Record<string, string>
  /** Send `body` as it is (a string), not as JSON. */
  readonly raw?: boolean
  /** No answer within this time is a failure (default 30 s). */
  readonly timeoutMs?: number
}

export const request = async (base: string, method: string, p: string, body?: unknown, options: RequestOptions = {}): Promise<Answer> => {
  const headers: Record<string, string> = { ...options.headers }
  const token = options.token === undefined ? TOKENS.admin : options.token
  if (token !== null) headers.authorization = `Bearer ${token}`
  if (body !== undefined && headers["content-type"] === undefined) headers["content-type"] = "application/json"
  const res = await fetch(base + p, {
    method,
    headers,
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    ...(body === undefined ? {} : { body: options.raw === true ? String(body) : JSON.stringify(body) })
  })
  const text = await res.text()
  capture("gateway HTTP answers", `${res.status} ${JSON.stringify([...res.headers])}\n${text}`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

export const spawnGateway = async (
  config: string,
  dataDir: string,
  options: { readonly port?: number; readonly env?: Record<string, string> } = {}
): Promise<Gateway> => {
  const port = options.port ?? await freePort()
  const child = spawn(process.execPath, [GATEWAY_MAIN, "--config", config], {
    cwd: path.dirname(config),
    env: { PATH: process.env.PATH ?? "", HOME: path.dirname(config), MARGINCTL_GATEWAY_PORT: String(port), ...KEY_ENV, ...options.env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  child.stdout!.on("data", (d) => (out += d))
  child.stderr!.on("data", (d) => (out += d))
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      capture("gateway log (stdout and stderr)", out)
      resolve(code)
    })
  )
  const url = `http://127.0.0.1:${port}`
  const gw: Gateway = {
    url,
    port,
    pid: child.pid!,
    child,
    dataDir,
    output: () => out,
    exited,
    request: (method, p, body, o) => request(url, method, p, body, o),
    kill: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill(signal)
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000)
      await exited
      clearTimeout(timer)
    }
  }
  const end = Date.now() + 30_000
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode}):\n${out}`)
    try {
      if ((await fetch(`${url}/healthz`)).ok) return gw
    } catch {
      // not yet
    }
    await sleep(50)
  }
  child.kill("SIGKILL")
  throw new Error(`gateway did not start:\n${out}`)
}

/** Every audit row of a data directory, straight from SQLite (captured for the secrets scan). */
export const auditRows = (dataDir: string): Array<Record<string, unknown>> => {
  const file = path.join(dataDir, "audit.sqlite")
  if (!fs.existsSync(file)) return []
  const db = new Database(file, { readonly: true })
  try {
    const rows = db.prepare("SELECT * FROM audit ORDER BY id").all() as Array<Record<string, unknown>>
    capture("gateway audit rows (SQLite)", JSON.stringify(rows))
    return rows
  } finally {
    db.close()
  }
}

/** A gauge or counter from /metrics (summed over its series). */
export const metric = async (url: string, name: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text()
  return text.split("\n")
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(" ") + 1)), 0)
}

/** RSS of a process in MiB (Linux /proc). */
export const rssMiB = (pid: number): number => {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
}
