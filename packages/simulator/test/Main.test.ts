/**
 * The `marginctl-sim` command line as a user runs it: src/main.ts bundled by esbuild and run by node.
 * Serving (by default and as `serve`), help and completions, and every kind of bad input refused with
 * exit code 2 and a message naming the option and what it accepts.
 */
import * as Effect from "effect/Effect"
import * as esbuild from "esbuild"
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { API_KEYS, creds, HMAC_SECRET } from "./support/Client.js"

const dir = mkdtempSync(path.join(tmpdir(), "sim-main-"))
const bin = path.join(dir, "main.mjs")

beforeAll(async () => {
  await esbuild.build({
    entryPoints: [path.join(path.dirname(fileURLToPath(import.meta.url)), "../src/main.ts")],
    outfile: bin,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    define: { __MARGINCTL_VERSION__: JSON.stringify("9.9.9-test") },
    banner: { js: "import { createRequire as __cr } from \"node:module\";const require = __cr(import.meta.url);" },
    logLevel: "silent"
  })
}, 60_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

const run = (args: ReadonlyArray<string>) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 20_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Starts the bin, waits for its printed lines, calls the exchange with the demo or seeded key, stops it with SIGTERM. */
const serveAndStop = async (args: ReadonlyArray<string>, until: RegExp) => {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  child.stdout.on("data", (d) => (out += String(d)))
  child.stderr.on("data", (d) => (out += String(d)))
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve))
  const end = Date.now() + 20_000
  while (!until.test(out) && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 25))
  const printed = out
  child.kill("SIGTERM")
  return { printed, code: await exited }
}

describe("marginctl-sim serves", () => {
  it("by default: its URL on the first line, a generated admin token and the demo account; SIGTERM exits 0", async () => {
    const { code, printed } = await serveAndStop(["--port", "0"], /demo secret:\s+\S+/)
    const lines = printed.split("\n")
    const url = /^simulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(lines[0]!)
    expect(url, printed).not.toBeNull()
    expect(lines[1]).toMatch(/^admin token: \S+$/)
    expect(lines[2]).toBe("demo account: demo")
    expect(lines[5]).toBe(`user-data stream: ${url![1]!.replace("http", "ws")}/private/ws?listenKey=<key from POST /fapi/v1/listenKey>`)
    expect(code).toBe(0)
  })

  it("as `serve` with a seed file and an admin token, which answers signed reads and the control API", async () => {
    const seedFile = path.join(dir, "seed.json")
    writeFileSync(seedFile, JSON.stringify({ accounts: [{ name: "main", apiKey: API_KEYS.HMAC, secret: HMAC_SECRET }] }))
    const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--seed", seedFile, "--admin-token", "tok"], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    child.stdout.on("data", (d) => (out += String(d)))
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve))
    while (!out.includes(`accounts from ${seedFile}`) && child.exitCode === null) await new Promise((r) => setTimeout(r, 25))
    expect(out).toContain("admin token: (from --admin-token)")
    expect(out).not.toContain("tok\n")
    const url = /simulator listening on (\S+)/.exec(out)![1]!
    expect((await fetch(`${url}/_sim/accounts`, { headers: { Authorization: "Bearer tok" } })).status).toBe(200)
    expect((await fetch(`${url}/_sim/accounts`, { headers: { Authorization: "Bearer other" } })).status).toBe(401)
    const c = await Effect.runPromise(creds("HMAC"))
    const payload = `timestamp=${Date.now()}`
    const signature = await Effect.runPromise(Effect.orDie(c.signer.sign(payload)))
    const read = await fetch(`${url}/fapi/v1/accountConfig?${payload}&signature=${signature}`, { headers: { "X-MBX-APIKEY": c.apiKey } })
    expect(read.status).toBe(200)
    child.kill("SIGTERM")
    expect(await exited).toBe(0)
  })

  it("options given before `serve` count as well", async () => {
    const { code, printed } = await serveAndStop(["--admin-token", "tok", "serve", "--port", "0"], /demo secret/)
    expect(printed).toContain("admin token: (from --admin-token)")
    expect(code).toBe(0)
  })
})

describe("marginctl-sim help", () => {
  it("--help lists the options and the serve command, without colour codes when piped", () => {
    const r = run(["--help"])
    expect(r.code).toBe(0)
    for (const o of ["--port N", "--host HOST", "--seed FILE", "--admin-token TOKEN", "serve", "--completions"]) expect(r.stdout).toContain(o)
    expect(r.stdout).not.toMatch(/\x1b\[/)
    expect(run(["serve", "--help"]).stdout).toContain("--seed FILE")
  })

  it("--version and --completions", () => {
    expect(run(["--version"]).stdout.trim()).toBe("9.9.9-test")
    const bash = run(["--completions", "bash"])
    expect(bash.code).toBe(0)
    expect(bash.stdout).toContain("--admin-token")
  })
})

describe("marginctl-sim refuses bad input (exit 2) naming the option and what it accepts", () => {
  const refusals: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
    [["--bogus"], "invalid option: expected an option the command lists in --help (unknown option); got \"--bogus\""],
    [["serve", "--bogus=1"], "invalid option: expected an option the command lists in --help (unknown option); got \"--bogus=1\""],
    [["-x"], "invalid option: expected an option the command lists in --help (unknown option); got \"-x\""],
    [["frobnicate"], "invalid command: expected serve; got \"frobnicate\""],
    [["serve", "extra"], "invalid argument: expected no further argument (see --help); got \"extra\""],
    [["--port", "abc"], "invalid --port: expected a whole number from 0 to 65535; got \"abc\""],
    [["serve", "--port", "70000"], "invalid --port: expected a whole number from 0 to 65535; got \"70000\""],
    [["--port"], "invalid --port: expected a whole number from 0 to 65535; got nothing"],
    [["serve", "--seed"], "invalid --seed: expected a seed file (JSON); got nothing"],
    [["--seed", "--port"], "invalid --seed: expected a seed file (JSON); got \"--port\""],
    [["--seed", "/nonexistent/seed.json"], "invalid --seed: expected a readable seed file (JSON); got \"/nonexistent/seed.json\" (ENOENT)"]
  ]
  it.each(refusals)("%j", (args, message) => {
    const r = run(args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr).toBe(`error: ${message}\n  See \`marginctl-sim --help\`.\n`)
  })

  it("a seed that is not valid is a failure to start (exit 1) with the reason", () => {
    const seedFile = path.join(dir, "bad-seed.json")
    writeFileSync(seedFile, JSON.stringify({ accounts: [{ name: "main", balances: { USDT: "lots" } }] }))
    const r = run(["--seed", seedFile])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe("error: invalid seed: accounts[0].balances.USDT: must be a decimal number (e.g. 12.5 or \"12.5\"); got \"lots\"\n")
  })
})
