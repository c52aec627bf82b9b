/**
 * Start-up, help, completions, input validation, targets, credentials and profiles.
 */
import { generateKeyPairSync } from "node:crypto"
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import * as vm from "node:vm"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { APP, KEY, leaks, run, runSim, SECRET, startSim } from "./support/Harness.js"

const tmp = mkdtempSync(join(tmpdir(), "marginctl-basics-"))
const extraSecrets: Array<string> = []

describe("version, help and completions", () => {
  it("--version prints the package version", async () => {
    const r = await run(["--version"])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(APP, "package.json"), "utf8")).version)
  })

  it("the bundle holds no dynamic import and V8 accepts its build-time code cache", () => {
    const file = join(APP, "dist", "marginctl-main.cjs")
    const source = readFileSync(file, "utf8")
    expect(source).not.toMatch(/\bimport\(/)
    // The same wrapper and options as src/bin.ts.
    const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
      filename: file,
      cachedData: readFileSync(join(APP, "dist", "marginctl-main.cache")),
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
    })
    expect(script.cachedDataRejected).toBe(false)
  })

  it("--help lists every command, without colour codes when piped", async () => {
    const r = await run(["--help"])
    expect(r.code).toBe(0)
    for (const c of ["status", "multi-assets", "margin-type", "plan", "apply", "time", "collateral", "sim"]) {
      expect(r.stdout).toContain(c)
    }
    expect(r.stdout).toContain("--completions")
    expect(r.stdout).not.toMatch(/\x1b\[/)
  })

  const commands = [
    ["status"],
    ["multi-assets"],
    ["multi-assets", "get"],
    ["multi-assets", "on"],
    ["multi-assets", "off"],
    ["margin-type"],
    ["margin-type", "get"],
    ["margin-type", "set"],
    ["plan"],
    ["apply"],
    ["time"],
    ["collateral"],
    ["sim"]
  ]
  it.each(commands)("%s … --help explains the command with examples", async (...command) => {
    const r = await run([...command, "--help"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("Examples:")
    expect(r.stdout).toContain(`marginctl ${command.join(" ")}`)
  })

  it.each(["bash", "zsh", "fish"])("--completions %s", async (shell) => {
    const r = await run(["--completions", shell])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("margin-type")
    expect(r.stdout).toContain("multi-assets")
  })

  it("a missing command or subcommand is invalid input (exit 2)", async () => {
    expect((await run([])).code).toBe(2)
    const r = await run(["margin-type"])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("expected get or set")
    expect((await run(["frobnicate"])).code).toBe(2)
  })
})

describe("choosing the exchange", () => {
  it("refuses without a target and says how to start the simulator (exit 2)", async () => {
    const r = await run(["multi-assets", "get"])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr).toContain("no exchange chosen")
    expect(r.stderr).toContain("marginctl sim")
    expect(r.stderr).toContain("--env")
    const j = await run(["status", "--json"])
    expect(j.code).toBe(2)
    expect(j.json()).toEqual({
      error: { tag: "NoTarget", code: null, message: "no exchange chosen", hint: expect.stringContaining("marginctl sim") }
    })
  })

  it("rejects --env with --base-url, an unknown env and a bad URL (exit 2)", async () => {
    expect((await run(["multi-assets", "get", "--env", "sim", "--base-url", "http://127.0.0.1:1"])).code).toBe(2)
    const env = await run(["multi-assets", "get", "--env", "mainnet", "--json"])
    expect(env.code).toBe(2)
    expect(env.json().error.tag).toBe("InvalidInput")
    const url = await run(["multi-assets", "get", "--base-url", "ftp://x"])
    expect(url.code).toBe(2)
    expect(url.stderr).toContain("invalid --base-url: expected an http:// or https:// URL")
  })

  it("--recv-window must be 1 to 60000 (exit 2)", async () => {
    const r = await run(["multi-assets", "get", "--env", "sim", "--recv-window", "0"])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("invalid recv-window: expected a whole number of milliseconds from 1 to 60000; got 0")
    expect((await run(["multi-assets", "get", "--env", "sim", "--recv-window", "70000"])).code).toBe(2)
    expect((await run(["multi-assets", "get", "--env", "sim", "--recv-window", "soon"])).code).toBe(2)
  })
})

describe("input validation names the field and the accepted values", () => {
  it("a bad margin type", async () => {
    const r = await run(["margin-type", "set", "foo", "BTCUSDT", "--env", "sim"])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      "invalid margin type: expected ISOLATED, CROSSED (also isolated, cross, crossed in any case); got \"foo\""
    )
  })

  it("a bad symbol, with --json", async () => {
    const r = await run(["margin-type", "get", "btc-usdt", "--env", "sim", "--json"])
    expect(r.code).toBe(2)
    const { error } = r.json()
    expect(error.tag).toBe("InvalidInput")
    expect(error.message).toContain("invalid symbol: expected 1 to 40 characters")
    expect(error.message).toContain("got \"btc-usdt\"")
  })

  it("an unknown option, where the command also takes symbols", async () => {
    for (const args of [["plan", "--multi-assets", "on", "--bogus"], ["margin-type", "set", "ISOLATED", "BTCUSDT", "--bogus=1"], ["margin-type", "get", "-x"]]) {
      const r = await run([...args, "--env", "sim"])
      expect(r.code, args.join(" ")).toBe(2)
      expect(r.stderr).toContain(`invalid option: expected an option the command lists in --help (unknown option); got "${args.at(-1)}"`)
      expect(r.stderr).not.toContain("invalid symbol")
    }
  })

  it("symbols and --all together, or neither", async () => {
    expect((await run(["margin-type", "set", "CROSSED", "BTCUSDT", "--all", "--env", "sim"])).code).toBe(2)
    const r = await run(["margin-type", "set", "CROSSED", "--env", "sim"])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("--all")
  })

  it("a desired state that is missing, contradictory, or given twice", async () => {
    const none = await run(["plan", "--env", "sim"])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain("--multi-assets on|off")
    const onOff = await run(["plan", "--multi-assets", "maybe", "--env", "sim"])
    expect(onOff.code).toBe(2)
    expect(onOff.stderr).toContain("invalid --multi-assets: expected on, off")
    const contradiction = await run(["plan", "--multi-assets", "on", "--margin-type", "ISOLATED", "BTCUSDT", "--env", "sim", "--json"])
    expect(contradiction.code).toBe(2)
    expect(contradiction.json().error).toMatchObject({ tag: "DesiredStateRejected" })
    expect(contradiction.json().error.message).toContain("Multi-Assets Mode allows only cross margin")
    const file = join(tmp, "desired.json")
    writeFileSync(file, JSON.stringify({ multiAssets: true }))
    expect((await run(["plan", "--file", file, "--multi-assets", "on", "--env", "sim"])).code).toBe(2)
  })

  it("a desired-state file with a bad field", async () => {
    const file = join(tmp, "bad-desired.json")
    writeFileSync(file, JSON.stringify({ marginTypes: { symbols: [{ symbol: "BTCUSDT", marginType: "SOMETIMES" }] } }))
    const r = await run(["apply", "--file", file, "--env", "sim", "--dry-run"])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("marginTypes.symbols.0.marginType")
    writeFileSync(file, "{ not json")
    expect((await run(["apply", "--file", file, "--env", "sim", "--dry-run"])).code).toBe(2)
    expect((await run(["apply", "--file", join(tmp, "missing.json"), "--env", "sim", "--dry-run"])).code).toBe(2)
  })

  it("apply without a terminal and without --yes refuses before reading anything (exit 2)", async () => {
    const sim = await startSim()
    const r = await runSim(sim, ["apply", "--multi-assets", "on"])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/pass --yes/i)
    const counts = await sim.admin<{ total: number }>("GET", "/requests/count")
    expect(counts.total).toBe(0)
    await sim.close()
  })
})

describe("credentials", () => {
  it("missing key or secret is invalid input (exit 2) and nothing is sent", async () => {
    const sim = await startSim()
    const r = await runSim(sim, ["multi-assets", "get"], { env: { BINANCE_API_KEY: undefined } })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("no API key")
    expect(r.stderr).toContain("BINANCE_API_KEY")
    const s = await runSim(sim, ["multi-assets", "get", "--json"], { env: { BINANCE_API_SECRET: undefined } })
    expect(s.code).toBe(2)
    expect(s.json().error.tag).toBe("MissingCredentials")
    expect((await sim.admin<{ total: number }>("GET", "/requests/count")).total).toBe(0)
    await sim.close()
  })

  it("a secret and a key file together are refused", async () => {
    const r = await run(["multi-assets", "get", "--env", "sim"], { env: { BINANCE_PRIVATE_KEY_FILE: "/nonexistent.pem" } })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("both BINANCE_API_SECRET and BINANCE_PRIVATE_KEY_FILE")
  })

  it("signs with an encrypted Ed25519 key and an RSA key from BINANCE_PRIVATE_KEY_FILE", async () => {
    const passphrase = "correct horse battery staple"
    const ed = generateKeyPairSync("ed25519")
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
    const edFile = join(tmp, "ed25519.pem")
    const rsaFile = join(tmp, "rsa.pem")
    const edPem = ed.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase }).toString()
    const rsaPem = rsa.privateKey.export({ type: "pkcs8", format: "pem" }).toString()
    writeFileSync(edFile, edPem, { mode: 0o600 })
    writeFileSync(rsaFile, rsaPem, { mode: 0o600 })
    extraSecrets.push(passphrase, edPem.split("\n")[1]!, rsaPem.split("\n")[1]!)
    const sim = await startSim({
      keys: [
        { apiKey: "edKey-123", publicKeyPem: ed.publicKey.export({ type: "spki", format: "pem" }).toString() },
        { apiKey: "rsaKey-123", publicKeyPem: rsa.publicKey.export({ type: "spki", format: "pem" }).toString() }
      ]
    })
    const env = (key: string, file: string, pass?: string) => ({
      BINANCE_API_KEY: key,
      BINANCE_API_SECRET: undefined,
      BINANCE_PRIVATE_KEY_FILE: file,
      BINANCE_PRIVATE_KEY_PASSPHRASE: pass
    })
    const ok = await runSim(sim, ["multi-assets", "on", "--json"], { env: env("edKey-123", edFile, passphrase) })
    expect(ok.code).toBe(0)
    expect(ok.json()).toEqual({ outcome: "changed", multiAssetsMargin: true })
    const noPass = await runSim(sim, ["multi-assets", "get"], { env: env("edKey-123", edFile) })
    expect(noPass.code).toBe(2)
    expect(noPass.stderr).toContain("invalid BINANCE_PRIVATE_KEY_PASSPHRASE")
    const wrongPass = await runSim(sim, ["multi-assets", "get"], { env: env("edKey-123", edFile, "wrong") })
    expect(wrongPass.code).toBe(2)
    expect(wrongPass.stderr).toContain("BINANCE_PRIVATE_KEY_PASSPHRASE")
    const rsaRun = await runSim(sim, ["multi-assets", "get", "--json"], { env: env("rsaKey-123", rsaFile) })
    expect(rsaRun.code).toBe(0)
    expect(rsaRun.json()).toEqual({ multiAssetsMargin: true })
    await sim.close()
  })
})

describe("profiles", () => {
  const write = (name: string, content: unknown, mode: number) => {
    const file = join(tmp, name)
    writeFileSync(file, JSON.stringify(content))
    chmodSync(file, mode)
    return file
  }
  const noEnvKeys = { BINANCE_API_KEY: undefined, BINANCE_API_SECRET: undefined }

  it("takes target and keys from the profile and warns when others can read its secrets", async () => {
    const sim = await startSim()
    const file = write("profiles.json", {
      profiles: {
        local: { env: "sim", apiKey: KEY, apiSecret: SECRET, recvWindow: 10000 },
        direct: { baseUrl: sim.url, apiKey: KEY, apiSecret: SECRET }
      }
    }, 0o644)
    const env = { ...noEnvKeys, MARGINCTL_CONFIG: file, MARGINCTL_SIM_URL: sim.url }
    const r = await run(["multi-assets", "get", "--profile", "local", "--json"], { env })
    expect(r.code).toBe(0)
    expect(r.json()).toEqual({ multiAssetsMargin: false })
    expect(r.stderr).toContain("warning:")
    expect(r.stderr).toContain(`chmod 600 ${file}`)
    chmodSync(file, 0o600)
    const quiet = await run(["multi-assets", "get", "--profile", "direct"], { env })
    expect(quiet.code).toBe(0)
    expect(quiet.stderr).toBe("")
    await sim.close()
  })

  it("an unknown profile or a bad field is invalid input naming it", async () => {
    const file = write("profiles2.json", { profiles: { main: { env: "testnet" } } }, 0o600)
    const r = await run(["status", "--profile", "nope"], { env: { MARGINCTL_CONFIG: file } })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("invalid profile: expected one of main")
    const bad = write("profiles3.json", { profiles: { main: { env: "sim", recvWindow: "fast" } } }, 0o600)
    const b = await run(["status", "--profile", "main"], { env: { MARGINCTL_CONFIG: bad } })
    expect(b.code).toBe(2)
    expect(b.stderr).toContain("profiles.main.recvWindow")
    const secret = write("profiles4.json", { profiles: { main: { env: "sim", apiSecret: 12345 } } }, 0o600)
    const s = await run(["status", "--profile", "main"], { env: { MARGINCTL_CONFIG: secret } })
    expect(s.code).toBe(2)
    expect(s.stderr).toContain("profiles.main.apiSecret")
    expect(s.stderr).not.toContain("12345")
    const missing = await run(["status", "--profile", "main"], { env: { MARGINCTL_CONFIG: join(tmp, "none.json") } })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain(`--profile "main": cannot read the profiles file`)
  })
})

afterAll(() => {
  expect(leaks(extraSecrets)).toEqual([])
})
