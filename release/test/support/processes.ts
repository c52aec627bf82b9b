/**
 * Child processes for the release suite: commands that must succeed (their output kept for the
 * assertion message) and servers read until they print what the test waits for.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"

export interface Ran {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

export const run = (cmd: string, args: ReadonlyArray<string>, options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Ran => {
  const r = spawnSync(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024
  })
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" }
}

/** `run`, failing with the command's output when it does not exit 0. */
export const ok = (cmd: string, args: ReadonlyArray<string>, options: Parameters<typeof run>[2]): Ran => {
  const r = run(cmd, args, options)
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`)
  }
  return r
}

export interface Server {
  readonly process: ChildProcess
  /** Everything printed so far (stdout and stderr). */
  readonly output: () => string
  readonly stop: () => Promise<void>
}

/** Starts a long-running command and resolves once its output matches `ready` (or rejects on exit or timeout). */
export const serve = (
  cmd: string,
  args: ReadonlyArray<string>,
  options: { cwd: string; env?: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number }
): Promise<Server> =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] })
    let text = ""
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done()
        child.once("exit", () => done())
        child.kill("SIGTERM")
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref()
      })
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`${cmd} ${args.join(" ")} did not print ${options.ready} within ${options.timeoutMs ?? 60_000} ms:\n${text}`))
    }, options.timeoutMs ?? 60_000)
    const onData = (chunk: Buffer) => {
      text += chunk.toString("utf8")
      if (options.ready.test(text)) {
        clearTimeout(timer)
        resolve({ process: child, output: () => text, stop })
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`${cmd} ${args.join(" ")} exited ${code} before it was ready:\n${text}`))
    })
  })
