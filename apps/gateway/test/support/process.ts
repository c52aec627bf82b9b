/**
 * The built gateway (dist/main.js) as a child process, with its output kept for inspection.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { freePort } from "./servers.js"

const here = path.dirname(fileURLToPath(import.meta.url))
export const appDir = path.resolve(here, "../..")
export const mainJs = path.join(appDir, "dist/main.js")

/**
 * Builds dist/main.js when it is missing or older than the sources (esbuild, about a second), into a
 * temporary directory first and then renamed, so that test files building at once never see half a file.
 */
export const ensureBuilt = () => {
  const stale = !fs.existsSync(mainJs) || newestSource(path.join(appDir, "src")) > fs.statSync(mainJs).mtimeMs
  if (!stale) return
  const tmp = path.join(appDir, "dist", `.build-${process.pid}-${Date.now()}`)
  execFileSync(process.execPath, ["build.mjs", "--outdir", tmp], { cwd: appDir, stdio: "inherit" })
  fs.renameSync(path.join(tmp, "main.js.map"), `${mainJs}.map`)
  fs.renameSync(path.join(tmp, "main.js"), mainJs)
  fs.rmSync(tmp, { recursive: true, force: true })
}

const newestSource = (dir: string): number =>
  fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
    const p = path.join(dir, e.name)
    return Math.max(m, e.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs)
  }, 0)

export interface Running {
  readonly url: string
  readonly port: number
  readonly child: ChildProcess
  /** Everything the process wrote (stdout and stderr). */
  readonly output: () => string
  readonly exited: Promise<number | null>
  readonly signal: (s: NodeJS.Signals) => void
}

export const spawnGateway = async (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  options: { readonly cwd?: string; readonly port?: number; readonly wait?: boolean } = {}
): Promise<Running> => {
  const port = options.port ?? await freePort()
  const child = spawn(process.execPath, [mainJs, ...args], {
    cwd: options.cwd ?? appDir,
    env: { ...process.env, MARGINCTL_GATEWAY_PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  child.stdout!.on("data", (d) => (out += d))
  child.stderr!.on("data", (d) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  const url = `http://127.0.0.1:${port}`
  const running = { url, port, child, output: () => out, exited, signal: (s: NodeJS.Signals) => void child.kill(s) }
  if (options.wait === false) return running
  const end = Date.now() + 20_000
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode}):\n${out}`)
    try {
      if ((await fetch(`${url}/healthz`)).ok) return running
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  child.kill("SIGKILL")
  throw new Error(`gateway did not start:\n${out}`)
}
