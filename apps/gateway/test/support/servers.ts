/**
 * Real servers for tests, started on 127.0.0.1 and free ports: redis-server and PostgreSQL (Debian
 * packages; `.ci/run` installs them). `undefined` when the binary is not installed.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
    s.on("error", reject)
  })

const which = (cmd: string, extra: ReadonlyArray<string> = []): string | undefined => {
  for (const dir of [...(process.env.PATH ?? "").split(":"), ...extra]) {
    const p = path.join(dir, cmd)
    if (fs.existsSync(p)) return p
  }
  return undefined
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, "127.0.0.1")
    s.once("connect", () => {
      s.destroy()
      resolve(true)
    })
    s.once("error", () => resolve(false))
  })

const waitPort = async (port: number, child: ChildProcess, ms = 20_000) => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
    if (await canConnect(port)) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`nothing listens on ${port}`)
}

const stopper = (child: ChildProcess) => () =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
    setTimeout(() => child.kill("SIGKILL"), 5000).unref()
  })

export const hasRedis = () => which("redis-server") !== undefined

/** A redis-server without persistence; `pause` stops it, `resume` starts it again (empty) on the same port. */
export const startRedis = async () => {
  const bin = which("redis-server")
  if (bin === undefined) return undefined
  const port = await freePort()
  const launch = async () => {
    const child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" })
    await waitPort(port, child)
    return stopper(child)
  }
  let stop = await launch()
  return {
    url: `redis://127.0.0.1:${port}`,
    pause: () => stop(),
    resume: async () => {
      stop = await launch()
    },
    stop: () => stop()
  }
}

const PG_DIRS = fs.existsSync("/usr/lib/postgresql")
  ? fs.readdirSync("/usr/lib/postgresql").map((v) => `/usr/lib/postgresql/${v}/bin`)
  : []

export const hasPostgres = () => which("initdb", PG_DIRS) !== undefined && which("postgres", PG_DIRS) !== undefined

/** A throw-away PostgreSQL cluster (trust auth on 127.0.0.1); as root it runs as the `postgres` user. */
export const startPostgres = async () => {
  const initdb = which("initdb", PG_DIRS)
  const postgres = which("postgres", PG_DIRS)
  if (initdb === undefined || postgres === undefined) return undefined
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mgw-pg-"))
  const asRoot = process.getuid?.() === 0
  const run = (cmd: string, args: Array<string>) => (asRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] as const : [cmd, args] as const)
  if (asRoot) execFileSync("chown", ["postgres", dir])
  const [c1, a1] = run(initdb, ["-D", path.join(dir, "data"), "-A", "trust", "-U", "postgres"])
  execFileSync(c1, a1, { stdio: "ignore" })
  const port = await freePort()
  const [c2, a2] = run(postgres, ["-D", path.join(dir, "data"), "-p", String(port), "-k", dir, "-h", "127.0.0.1", "-c", "fsync=off"])
  const launch = async () => {
    const child = spawn(c2, a2, { stdio: "ignore" })
    await waitPort(port, child)
    await new Promise((r) => setTimeout(r, 300))
    // Fast shutdown (SIGINT; SIGTERM waits for every client to disconnect), sent to the postmaster
    // itself: `runuser` does not pass it on.
    return () => {
      const pid = Number(fs.readFileSync(path.join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0])
      const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())))
      process.kill(pid, "SIGINT")
      return exited
    }
  }
  let stop = await launch()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    /** Stops the server (fast shutdown: open connections are closed); the data is kept. */
    pause: () => stop(),
    /** Starts it again on the same port and data. */
    resume: async () => {
      stop = await launch()
    },
    stop: async () => {
      await stop()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
