/**
 * Runs the built CLI (dist/marginctl.js) as a process against a simulator started in this process,
 * and keeps everything the CLI printed so each test file can check that no secret ever leaked.
 */
import { type RunningServer, startServer } from "@marginctl/simulator/Server"
import { spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

export const APP = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
export const BIN = join(APP, "dist", "marginctl.js")

/** The seeded account's HMAC key pair: neither may ever appear in the CLI's output. */
export const KEY = "cliTestKey-7Hq2xV9mPz4LwR8sN3bT6yK1dF5gJ0aC"
export const SECRET = "cliTestSecret-Zt5uW8eQ2rY7iO4pA1sD6fG9hJ3kL0xCvBnM"

const captured: Array<string> = []

/** Everything every CLI run of this process printed (stdout and stderr). */
export const allOutput = (): ReadonlyArray<string> => captured

/** An empty HOME so that no real profiles file is ever read. */
export const HOME = mkdtempSync(join(tmpdir(), "marginctl-home-"))

export interface Sim {
  readonly url: string
  readonly server: RunningServer
  /** Calls the control API (`/_sim/...`) and returns its JSON. */
  readonly admin: <A = any>(method: string, path: string, body?: unknown) => Promise<A>
  /** Accepted changes made through the exchange API. */
  readonly apiChanges: () => Promise<Array<{ endpoint: string; params: Record<string, unknown> }>>
  readonly fault: (fault: Record<string, unknown>) => Promise<void>
  readonly close: () => Promise<void>
}

/** A simulator with one account "main" (key KEY / SECRET) plus `account` fields and `config`, and `more` accounts. */
export const startSim = async (
  account: Record<string, unknown> = {},
  config: Record<string, unknown> = {},
  more: ReadonlyArray<Record<string, unknown>> = []
): Promise<Sim> => {
  const server = await startServer({
    port: 0,
    seed: {
      config,
      accounts: [{ name: "main", apiKey: KEY, secret: SECRET, balances: { USDT: 10000, USDC: 5000, BTC: 0.1 }, ...account }, ...more]
    }
  })
  const admin = async <A>(method: string, path: string, body?: unknown): Promise<A> => {
    const res = await fetch(`${server.url}/_sim${path}`, {
      method,
      headers: { Authorization: `Bearer ${server.adminToken}`, "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const json = await res.json()
    if (!res.ok) throw new Error(`${method} /_sim${path}: ${res.status} ${JSON.stringify(json)}`)
    return json as A
  }
  return {
    url: server.url,
    server,
    admin,
    apiChanges: async () => (await admin<Array<any>>("GET", "/log?source=api")),
    fault: async (fault) => void (await admin("POST", "/faults", fault)),
    close: () => server.close()
  }
}

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly json: <A = any>() => A
}

export interface RunOptions {
  readonly sim?: Sim | undefined
  /** Added to (or, when undefined, removed from) the default environment. */
  readonly env?: Record<string, string | undefined> | undefined
  readonly input?: string | undefined
  readonly cwd?: string | undefined
}

export const envFor = (options: RunOptions): Record<string, string> => {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME,
    BINANCE_API_KEY: KEY,
    BINANCE_API_SECRET: SECRET,
    ...(options.sim === undefined ? {} : { MARGINCTL_SIM_URL: options.sim.url }),
    ...options.env
  }
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined))
}

const result = (code: number | null, stdout: string, stderr: string): Result => ({
  code,
  stdout,
  stderr,
  json: () => {
    const lines = stdout.trim().split("\n")
    if (lines.length !== 1) throw new Error(`expected exactly one JSON line on stdout, got:\n${stdout}`)
    return JSON.parse(lines[0]!)
  }
})

/** Runs `node dist/marginctl.js ...args` and resolves when it exits. */
export const run = (args: ReadonlyArray<string>, options: RunOptions = {}): Promise<Result> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: envFor(options), cwd: options.cwd ?? APP })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("error", reject)
    child.on("close", (code) => {
      captured.push(stdout, stderr)
      resolve(result(code, stdout, stderr))
    })
    child.stdin.end(options.input ?? "")
  })

export interface Running {
  /** Resolves once what the process printed on that stream matches `pattern` (rejects after `ms`). */
  readonly waitFor: (stream: "stdout" | "stderr", pattern: RegExp, ms?: number) => Promise<void>
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves when the process exits. */
  readonly exited: Promise<Result>
  /** Sends SIGINT (Ctrl-C) and resolves when the process exits. */
  readonly interrupt: () => Promise<Result>
}

/** Starts `node dist/marginctl.js ...args` without waiting for it to exit (`marginctl watch`). */
export const start = (args: ReadonlyArray<string>, options: RunOptions = {}): Running => {
  const child = spawn(process.execPath, [BIN, ...args], { env: envFor(options), cwd: options.cwd ?? APP })
  const out = { stdout: "", stderr: "" }
  child.stdout.on("data", (d: Buffer) => (out.stdout += d.toString()))
  child.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()))
  child.stdin.end()
  const exited = new Promise<Result>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code) => {
      captured.push(out.stdout, out.stderr)
      resolve(result(code, out.stdout, out.stderr))
    })
  })
  const waitFor = async (stream: "stdout" | "stderr", pattern: RegExp, ms = 10_000) => {
    const end = Date.now() + ms
    while (!pattern.test(out[stream])) {
      if (Date.now() > end || child.exitCode !== null) {
        throw new Error(`no ${pattern} on ${stream} within ${ms} ms; stdout:\n${out.stdout}\nstderr:\n${out.stderr}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  return {
    waitFor,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    exited,
    interrupt: () => {
      child.kill("SIGINT")
      return exited
    }
  }
}

/** `run` with `--env sim` against `sim`. */
export const runSim = (sim: Sim, args: ReadonlyArray<string>, options: Omit<RunOptions, "sim"> = {}) =>
  run([...args, "--env", "sim"], { ...options, sim })

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

export interface TtyOptions extends RunOptions {
  /** Printed by the CLI before it reads the answer. */
  readonly waitFor: RegExp
  readonly answer: string
  /** Runs after the prompt appeared and before the answer is typed. */
  readonly beforeAnswer?: (() => Promise<void>) | undefined
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), types `answer` once `waitFor` shows up.
 * stdout and stderr arrive merged, with CRLF line ends turned back into LF.
 */
export const runTty = (args: ReadonlyArray<string>, options: TtyOptions): Promise<Result> =>
  new Promise((resolve, reject) => {
    const command = [process.execPath, BIN, ...args].map(quote).join(" ")
    const child = spawn("script", ["-qfec", command, "/dev/null"], { env: envFor(options), cwd: options.cwd ?? APP })
    let out = ""
    let answered = false
    const onData = (d: Buffer) => {
      out += d.toString()
      if (!answered && options.waitFor.test(out)) {
        answered = true
        Promise.resolve(options.beforeAnswer?.()).then(
          () => child.stdin.write(`${options.answer}\n`),
          (e) => {
            child.kill()
            reject(e)
          }
        )
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.on("error", reject)
    child.on("close", (code) => {
      const text = out.replace(/\r\n/g, "\n")
      captured.push(text)
      resolve(result(code, text, ""))
    })
  })

/** Outputs that contain the secret, the API key, a signed query string, or one of `more` secrets. */
export const leaks = (more: ReadonlyArray<string> = []): Array<string> =>
  captured.filter((text) =>
    text.includes(SECRET) || text.includes(KEY) || /signature=/i.test(text) || more.some((s) => text.includes(s))
  )
