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
    // A process group of its own: `npx` runs the bin as a child, and stopping must reach that too.
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: true })
    let text = ""
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal)
      } catch {
        // already gone
      }
    }
    const stop = () =>
      new Promise<void>((done) => {
        const timer = setTimeout(() => signalGroup("SIGKILL"), 5_000)
        const finish = () => {
          clearTimeout(timer)
          signalGroup("SIGKILL") // whatever of the group is left
          done()
        }
        if (child.exitCode !== null || child.signalCode !== null) return finish()
        child.once("exit", finish)
        signalGroup("SIGTERM")
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
