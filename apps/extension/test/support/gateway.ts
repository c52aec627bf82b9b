/**
 * The built gateway (apps/gateway/dist/main.js) as a child process in front of the simulator, with
 * one token (read and write on every account) and the given accounts' keys in its environment.
 */
import { spawn, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

const GATEWAY = resolve(import.meta.dirname, "../../../gateway")
const GATEWAY_MAIN = join(GATEWAY, "dist/main.js")

/** The gateway's build, made here when missing; undefined (and the tests skipped) when it cannot be. */
export const gatewayMain = (): string | undefined => {
  if (!existsSync(GATEWAY_MAIN) && existsSync(join(GATEWAY, "build.mjs"))) {
    spawnSync(process.execPath, ["build.mjs"], { cwd: GATEWAY, stdio: "ignore" })
  }
  return existsSync(GATEWAY_MAIN) ? GATEWAY_MAIN : undefined
}

const freePort = () =>
  new Promise<number>((done, fail) => {
    const s = createServer()
    s.listen(0, "127.0.0.1", () => {
      const address = s.address()
      s.close(() => (typeof address === "object" && address !== null ? done(address.port) : fail(new Error("no port"))))
    })
  })

export interface GatewayAccountKeys {
  readonly name: string
  readonly apiKey: string
  readonly secret: string
}

export interface Gateway {
  readonly url: string
  /** What it printed so far (for a failure's message). */
  readonly output: () => string
  readonly close: () => void
}

/** Starts the gateway at `main` for `accounts` on the simulator at `simUrl`; resolves once /healthz answers. */
export const startGateway = async (input: {
  readonly main: string
  readonly simUrl: string
  readonly token: string
  readonly accounts: ReadonlyArray<GatewayAccountKeys>
  /** The config file's `stream` entry. */
  readonly stream?: Record<string, unknown>
}): Promise<Gateway> => {
  const dir = mkdtempSync(join(tmpdir(), "marginctl-ext-gw-"))
  const port = await freePort()
  const envName = (i: number, what: string) => `GW_ACCOUNT${i}_${what}`
  writeFileSync(
    join(dir, "gateway.json"),
    JSON.stringify({
      host: "127.0.0.1",
      dataDir: join(dir, "data"),
      tokens: [{ name: "extension", sha256: createHash("sha256").update(input.token).digest("hex"), scopes: ["read", "write"], accounts: ["*"] }],
      accounts: input.accounts.map((a, i) => ({ name: a.name, baseUrl: input.simUrl, apiKeyEnv: envName(i, "KEY"), apiSecretEnv: envName(i, "SECRET") })),
      ...(input.stream === undefined ? {} : { stream: input.stream })
    })
  )
  const keys = Object.fromEntries(input.accounts.flatMap((a, i) => [[envName(i, "KEY"), a.apiKey], [envName(i, "SECRET"), a.secret]]))
  const child = spawn(process.execPath, [input.main, "--config", join(dir, "gateway.json")], {
    env: { ...process.env, MARGINCTL_GATEWAY_PORT: String(port), ...keys },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout!.on("data", (d) => (output += d))
  child.stderr!.on("data", (d) => (output += d))
  const close = () => {
    child.kill("SIGTERM")
    rmSync(dir, { recursive: true, force: true })
  }
  const url = `http://127.0.0.1:${port}`
  const end = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) {
      close()
      throw new Error(`the gateway exited (${child.exitCode}):\n${output}`)
    }
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break
    if (Date.now() > end) {
      close()
      throw new Error(`the gateway did not start:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return { url, output: () => output, close }
}
