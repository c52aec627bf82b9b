/**
 * The built CLI (apps/cli/dist/marginctl.js) as a process: credentials from the environment, an
 * empty HOME (no profiles file is ever read), a time limit; stdout and stderr are captured.
 */
import { spawn } from "node:child_process"
import { API_KEYS, capture, CLI_BIN, ED25519, HMAC_SECRET, type KeyKind, RSA, tmpDir } from "./env.js"

export const HOME = tmpDir("home")

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
  /** The one JSON object on stdout, or undefined. */
  readonly json: any
}

export const credentialsEnv = (kind: KeyKind): Record<string, string> =>
  kind === "HMAC"
    ? { BINANCE_API_KEY: API_KEYS.HMAC, BINANCE_API_SECRET: HMAC_SECRET }
    : { BINANCE_API_KEY: API_KEYS[kind], BINANCE_PRIVATE_KEY_FILE: (kind === "RSA" ? RSA : ED25519).privateFile }

export const runCli = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly timeoutMs?: number; readonly cwd?: string } = {}
): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const t0 = Date.now()
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: options.cwd ?? HOME,
      env: { PATH: process.env.PATH ?? "", HOME, ...options.env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000)
    child.on("error", reject)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      capture("CLI stdout", stdout)
      capture("CLI stderr", stderr)
      let json: unknown
      const lines = stdout.trim().split("\n")
      if (lines.length === 1) {
        try {
          json = JSON.parse(lines[0]!)
        } catch {
          json = undefined
        }
      }
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0, json })
    })
    child.stdin.end("")
  })
