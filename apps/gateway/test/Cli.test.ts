/**
 * The `marginctl-gateway` command line, run as the built bin (dist/main.js): each subcommand (serve,
 * also as the default; hash-token; new-token), help, version and completions, and every kind of bad
 * input refused with exit code 2 and a message naming the option and what it accepts.
 */
import { spawnSync } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import * as Tokens from "../src/Tokens.js"
import { tmpDir } from "./support/harness.js"
import { appDir, ensureBuilt, mainJs, spawnGateway } from "./support/process.js"
import { freePort } from "./support/servers.js"

beforeAll(() => ensureBuilt(), 60_000)

const run = (args: ReadonlyArray<string>, input = "") => {
  const r = spawnSync(process.execPath, [mainJs, ...args], { encoding: "utf8", input, timeout: 20_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe("marginctl-gateway hash-token and new-token", () => {
  it("hash-token prints the SHA-256 of its argument, or of the first line of stdin", () => {
    const hash = run(["hash-token", "secret-token"])
    expect(hash.code).toBe(0)
    expect(hash.stdout).toBe(`${crypto.createHash("sha256").update("secret-token").digest("hex")}\n`)
    expect(run(["hash-token"], "secret-token\nsecond line\n").stdout).toBe(hash.stdout)
  })

  it("new-token prints a fresh token and its hash, different each time", () => {
    const fresh = run(["new-token"])
    expect(fresh.code).toBe(0)
    const token = /^token: (mgw_\S+)$/m.exec(fresh.stdout)![1]!
    expect(fresh.stdout).toContain(`sha256: ${Tokens.hashToken(token)}`)
    expect(run(["new-token"]).stdout).not.toContain(token)
  })
})

describe("marginctl-gateway serve", () => {
  const configFile = () => {
    const dir = tmpDir()
    const file = path.join(dir, "gateway.json")
    fs.writeFileSync(file, JSON.stringify({
      dataDir: path.join(dir, "data"),
      tokens: [{ name: "t", sha256: Tokens.hashToken("tok"), scopes: ["read"], accounts: ["*"] }],
      accounts: [{ name: "main", baseUrl: "http://127.0.0.1:9", apiKeyEnv: "GW_CLI_KEY", apiSecretEnv: "GW_CLI_SECRET" }]
    }))
    return file
  }
  const keys = { GW_CLI_KEY: "k", GW_CLI_SECRET: "s" }

  it.each([["serve", "--config"], ["--config"]])("%s FILE serves the accounts of FILE until SIGTERM (exit 0)", async (...args) => {
    const gw = await spawnGateway([...args, configFile()], keys)
    const accounts = await fetch(`${gw.url}/v1/accounts`, { headers: { authorization: "Bearer tok" } })
    expect(accounts.status).toBe(200)
    expect(JSON.stringify(await accounts.json())).toContain("main")
    gw.signal("SIGTERM")
    expect(await gw.exited).toBe(0)
  })

  it("$MARGINCTL_GATEWAY_CONFIG names the file when --config is not given", async () => {
    const gw = await spawnGateway(["serve"], { ...keys, MARGINCTL_GATEWAY_CONFIG: configFile() })
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200)
    gw.signal("SIGTERM")
    expect(await gw.exited).toBe(0)
  })

  it("--demo given before `serve` counts as well", async () => {
    const gw = await spawnGateway(["--demo", "serve"], { MARGINCTL_GATEWAY_DEMO_SIM_PORT: String(await freePort()) }, { cwd: tmpDir() })
    const start = Date.now()
    while (!/^token: \S+$/m.test(gw.output()) && Date.now() - start < 10_000) await new Promise((r) => setTimeout(r, 25))
    const token = /^token: (\S+)$/m.exec(gw.output())![1]!
    expect((await fetch(`${gw.url}/v1/accounts/demo/multi-assets`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
    gw.signal("SIGTERM")
    expect(await gw.exited).toBe(0)
  })

  it("a config file that cannot be read is a failure (exit 1) naming it", () => {
    const r = run(["--config", path.join(appDir, "missing.json")])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`error: configuration: config: cannot read ${path.join(appDir, "missing.json")}: ENOENT\n`)
  })
})

describe("marginctl-gateway help", () => {
  it("--help lists the commands and options, without colour codes when piped", () => {
    const r = run(["--help"])
    expect(r.code).toBe(0)
    for (const word of ["serve", "hash-token", "new-token", "--config FILE", "--demo", "--completions", "Examples:"]) expect(r.stdout).toContain(word)
    expect(r.stdout).not.toMatch(/\x1b\[/)
  })

  it.each([["serve"], ["hash-token"], ["new-token"]])("%s --help describes the command", (command) => {
    const r = run([command, "--help"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(command)
    expect(r.stdout).toContain("DESCRIPTION")
  })

  it("--version prints the package's version; --completions writes a shell script", () => {
    expect(run(["--version"]).stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(appDir, "package.json"), "utf8")).version)
    const zsh = run(["--completions", "zsh"])
    expect(zsh.code).toBe(0)
    expect(zsh.stdout).toContain("hash-token")
  })
})

describe("marginctl-gateway refuses bad input (exit 2) naming the option and what it accepts", () => {
  const unknown = (arg: string) => `invalid option: expected an option the command lists in --help (unknown option); got "${arg}"`
  const refusals: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
    [["--bogus"], unknown("--bogus")],
    [["serve", "--bogus=1"], unknown("--bogus=1")],
    [["--demo", "-x"], unknown("-x")],
    [["hash-token", "--bogus"], unknown("--bogus")],
    [["frobnicate"], "invalid command: expected serve, hash-token or new-token; got \"frobnicate\""],
    [["--config", "gw.json", "frobnicate"], "invalid command: expected serve, hash-token or new-token; got \"frobnicate\""],
    [["new-token", "extra"], "invalid argument: expected no further argument (see --help); got \"extra\""],
    [["hash-token", "a", "b"], "invalid argument: expected no further argument (see --help); got \"b\""],
    [["--config"], "invalid --config: expected a config file (JSON); got nothing"],
    [["serve", "--config"], "invalid --config: expected a config file (JSON); got nothing"],
    [["--config", "--demo"], "invalid --config: expected a config file (JSON); got \"--demo\""],
    [["serve", "--demo", "--config", "gw.json"], "invalid --demo: expected no --config (the demo makes its own configuration); got --config \"gw.json\""],
    [["hash-token"], "invalid TOKEN: expected a token, as the argument or on the first line of stdin; got nothing"]
  ]
  it.each(refusals)("%j", (args, message) => {
    const r = run(args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr).toBe(`error: ${message}\n  See \`marginctl-gateway --help\`.\n`)
  })
})
