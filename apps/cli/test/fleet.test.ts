/**
 * The fleet file: three simulator accounts (profiles main, bots-1, bots-2; bots-2 blocked by an open
 * order) planned and applied from one YAML file; final states read back from the simulator's control
 * API; bad input named by file, path and what is accepted.
 */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { KEY, leaks, run, runTty, SECRET, type Sim, startSim } from "./support/Harness.js"

const tmp = mkdtempSync(join(tmpdir(), "marginctl-fleet-"))
const BOT_KEYS = [1, 2].map((n) => ({ apiKey: `fleetBot${n}Key-4Hq2xV9mPz4LwR8sN3bT6yK1dF5g`, secret: `fleetBot${n}Secret-Zt5uW8eQ2rY7iO4pA1sD6fG` }))
const OPEN_ORDER = { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", price: "100", quantity: "1" }

let sim: Sim
let env: Record<string, string>

const write = (name: string, text: string) => {
  const file = join(tmp, name)
  writeFileSync(file, text)
  return file
}

const FLEET = `# the team's accounts
accounts:
  main:
    multiAssets: on
    positionMode: hedge
    marginTypes: { "*": CROSSED }
    leverage: { BTCUSDT: 10 }
  bots-*:
    marginTypes:
      BTCUSDT: ISOLATED
    leverage: { ETHUSDT: 5 }
`

beforeAll(async () => {
  // Every run reads three accounts (~100 weight each): more than the default 2400 a minute for the whole file.
  sim = await startSim({ marginTypes: { BTCUSDT: "ISOLATED", ETHUSDT: "ISOLATED" } }, { weightLimit: 24000 }, [
    { name: "bots-1", ...BOT_KEYS[0], balances: { USDT: 1000 } },
    { name: "bots-2", ...BOT_KEYS[1], balances: { USDT: 1000 }, orders: [OPEN_ORDER] }
  ])
  const profiles = write(
    "profiles.json",
    JSON.stringify({
      profiles: {
        main: { env: "sim", apiKey: KEY, apiSecret: SECRET },
        "bots-1": { env: "sim", ...BOT_KEYS[0], apiSecret: BOT_KEYS[0]!.secret, secret: undefined },
        "bots-2": { env: "sim", ...BOT_KEYS[1], apiSecret: BOT_KEYS[1]!.secret, secret: undefined }
      }
    })
  )
  chmodSync(profiles, 0o600)
  env = { MARGINCTL_CONFIG: profiles, BINANCE_API_KEY: undefined as unknown as string, BINANCE_API_SECRET: undefined as unknown as string }
})

afterAll(async () => {
  await sim.close()
  expect(leaks([...BOT_KEYS.flatMap((k) => [k.apiKey, k.secret])])).toEqual([])
})

const fleet = (args: ReadonlyArray<string>) => run(args, { sim, env })
const account = (name: string) => sim.admin<any>("GET", `/accounts/${name}`)

// One simulator and the same accounts for every test: one after another.
describe.sequential("fleet file", () => {
  it("plans every account, applies the unblocked ones, reports the blocked one with its fix", async () => {
    const file = write("fleet.yaml", FLEET)
    const plan = await fleet(["plan", "--file", file])
    expect(plan.code).toBe(3)
    expect(plan.stdout).toMatch(/\[main\] {3}\d\. Set BTCUSDT from ISOLATED to CROSSED/)
    expect(plan.stdout).toMatch(/\[bots-1\] {3}\d\. Set BTCUSDT from CROSSED to ISOLATED/)
    expect(plan.stdout).toMatch(/\[bots-2\] .*open order.*Fix: /)
    expect(plan.stdout).toMatch(/Weight on http:\/\/127\.0\.0\.1:\d+ \(main, bots-1, bots-2, one budget\): 9 to apply, reads cost 291\./)
    expect((await fleet(["plan", "--file", file, "--detailed-exitcode"])).code).toBe(3)

    const json = await fleet(["plan", "--file", file, "--json"])
    const doc = json.json()
    expect(doc.file).toBe(file)
    expect(doc.accounts.map((a: any) => [a.account, a.key, a.status])).toEqual([
      ["main", "main", "pending"],
      ["bots-1", "bots-*", "pending"],
      ["bots-2", "bots-*", "blocked"]
    ])
    expect(doc.accounts[0].desired).toEqual({
      multiAssets: true,
      positionMode: "hedge",
      marginTypes: { all: "CROSSED" },
      leverage: { symbols: [{ symbol: "BTCUSDT", leverage: 10 }] }
    })
    expect(doc.accounts[0].plan.steps.map((s: any) => s._tag)).toEqual([
      "SetPositionMode",
      "SetMarginType",
      "SetMarginType",
      "SetLeverage",
      "SetMultiAssets"
    ])
    expect(doc.accounts[2].plan.steps.find((s: any) => s.blockers.length > 0).blockers[0]).toMatchObject({ reason: "open-orders", symbol: "BTCUSDT" })
    expect(doc.upstreams).toEqual([{ baseUrl: sim.url, accounts: ["main", "bots-1", "bots-2"], readWeight: 291, applyWeight: 9 }])
    expect(await sim.apiChanges()).toEqual([])

    const apply = await fleet(["apply", "--file", file, "--yes"])
    expect(apply.code).toBe(3)
    expect(apply.stdout).toContain("[main] 5. Turn Multi-Assets Mode on: changed")
    expect(apply.stdout).toMatch(/\[bots-1\] \d\. Set BTCUSDT from CROSSED to ISOLATED: changed/)
    expect(apply.stdout).toContain("[bots-1] Done: 2 changed")
    expect(apply.stdout).toContain("[bots-2] blocked: nothing was sent to this account; clear the blockers above")
    expect(apply.stdout).toMatch(/\[bots-2\] .*Fix: cancel/i)

    // The final states, read from the simulator itself.
    const [main, bot1, bot2] = await Promise.all(["main", "bots-1", "bots-2"].map(account))
    expect(main.multiAssetsMargin).toBe(true)
    expect(main.dualSidePosition).toBe(true)
    expect(main.symbols.BTCUSDT.leverage).toBe(10)
    expect(Object.values(main.symbols).map((s: any) => s.marginType)).not.toContain("ISOLATED")
    expect(bot1.symbols.BTCUSDT.marginType).toBe("ISOLATED")
    expect(bot1.symbols.ETHUSDT.leverage).toBe(5)
    expect(bot2.symbols.BTCUSDT?.marginType ?? "CROSSED").toBe("CROSSED")
    expect(bot2.orders).toHaveLength(1)
    expect(bot2.symbols.ETHUSDT?.leverage ?? 20).toBe(20)

    // The reached state: nothing left to do but the blocked account.
    const again = await fleet(["plan", "--file", file, "--detailed-exitcode", "--json"])
    expect(again.code).toBe(3)
    expect(again.json().accounts.map((a: any) => a.status)).toEqual(["unchanged", "unchanged", "blocked"])
    const unblocked = write("unblocked.yaml", FLEET.replace("bots-*", "bots-1"))
    expect((await fleet(["plan", "--file", unblocked, "--detailed-exitcode"])).code).toBe(0)
    const second = await fleet(["apply", "--file", file, "--yes", "--json"])
    expect(second.code).toBe(3)
    expect(second.json().accounts.map((a: any) => [a.account, a.status, a.summary])).toEqual([
      ["main", "unchanged", null],
      ["bots-1", "unchanged", null],
      ["bots-2", "blocked", null]
    ])
    expect(await sim.apiChanges()).toHaveLength(7)
  })

  it("--continue-on-blocked applies what is not blocked in a blocked account", async () => {
    const r = await fleet(["apply", "--file", write("continue.yaml", FLEET), "--yes", "--continue-on-blocked"])
    expect(r.code).toBe(3)
    expect(r.stdout).toContain("[bots-2] 2. Set ETHUSDT leverage from 20x to 5x: changed")
    expect(r.stdout).toMatch(/\[bots-2\] 1\. Set BTCUSDT from CROSSED to ISOLATED: blocked: .*open order/)
    const bot2 = await account("bots-2")
    expect(bot2.symbols.ETHUSDT.leverage).toBe(5)
    expect(bot2.symbols.BTCUSDT?.marginType ?? "CROSSED").toBe("CROSSED")
  })

  it("accounts on different upstreams each have their own budget and total", async () => {
    const other = await startSim({ marginTypes: { ETHUSDT: "ISOLATED" } })
    try {
      const profiles = write(
        "two-upstreams.json",
        JSON.stringify({
          profiles: { here: { env: "sim", apiKey: KEY, apiSecret: SECRET }, there: { baseUrl: other.url, apiKey: KEY, apiSecret: SECRET } }
        })
      )
      chmodSync(profiles, 0o600)
      const file = write("two.yaml", "accounts:\n  here: {}\n  there:\n    marginTypes: { ETHUSDT: CROSSED }\n")
      const r = await run(["plan", "--file", file, "--json", "--detailed-exitcode"], { sim, env: { ...env, MARGINCTL_CONFIG: profiles } })
      expect(r.code).toBe(7)
      expect(r.json().upstreams).toEqual([
        { baseUrl: sim.url, accounts: ["here"], readWeight: expect.any(Number), applyWeight: 0 },
        { baseUrl: other.url, accounts: ["there"], readWeight: expect.any(Number), applyWeight: 1 }
      ])
    } finally {
      await other.close()
    }
  })

  it("a leverage above the symbol's maximum blocks the account before anything is sent", async () => {
    const file = write("max.yaml", "accounts:\n  bots-1:\n    leverage: { SOLUSDT: 100 }\n")
    const before = (await sim.apiChanges()).length
    const r = await fleet(["apply", "--file", file, "--yes", "--json"])
    expect(r.code).toBe(3)
    const [bot] = r.json().accounts
    expect(bot.status).toBe("blocked")
    expect(bot.plan.steps[0].blockers[0]).toMatchObject({ reason: "leverage-above-max", symbol: "SOLUSDT" })
    expect(await sim.apiChanges()).toHaveLength(before)
  })

  it("--detailed-exitcode: 7 when changes are pending", async () => {
    const file = write("pending.json", JSON.stringify({ accounts: { "bots-1": { multiAssets: "on" } } }))
    const r = await fleet(["plan", "--file", file, "--detailed-exitcode"])
    expect(r.code).toBe(7)
    expect((await fleet(["plan", "--file", file])).code).toBe(0)
  })

  it("asks once for all accounts on a terminal; no sends nothing", async () => {
    const file = write("ask.yaml", "accounts:\n  bots-*:\n    leverage: { XRPUSDT: 3 }\n")
    const before = (await sim.apiChanges()).length
    const r = await runTty(["apply", "--file", file], { sim, env, waitFor: /\[y\/N\]/, answer: "n" })
    expect(r.stdout).toContain("Apply 2 changes to bots-1, bots-2? [y/N]")
    expect(r.stdout).toContain("not confirmed; nothing was sent")
    expect(r.code).toBe(1)
    expect(await sim.apiChanges()).toHaveLength(before)
  })

  it("apply without a terminal needs --yes", async () => {
    const r = await fleet(["apply", "--file", write("confirm.yaml", FLEET)])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("but stdin is not a terminal")
  })
})

describe("fleet file: bad input", () => {
  const refused = async (name: string, text: string) => {
    const file = write(name, text)
    const r = await fleet(["plan", "--file", file, "--detailed-exitcode"])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    return r.stderr.replaceAll(file, "FILE")
  }

  it("names the path of a bad value and what is accepted", async () => {
    expect(await refused("lev.yaml", "accounts:\n  main:\n    leverage: { BTCUSDT: 200 }\n")).toContain(
      "invalid FILE: accounts.main.leverage.BTCUSDT: expected a whole number from 1 to 125"
    )
    expect(await refused("ma.yaml", "accounts:\n  main:\n    multiAssets: maybe\n")).toContain(
      "invalid FILE: accounts.main.multiAssets: expected on, off, true or false"
    )
  })

  it("refuses an unknown key", async () => {
    expect(await refused("key.yaml", "accounts:\n  main:\n    multiAsset: on\n")).toContain(
      "invalid FILE: accounts.main.multiAsset: expected only multiAssets, positionMode, marginTypes, leverage"
    )
  })

  it("refuses a contradictory entry with the reason", async () => {
    const err = await refused("contra.yaml", "accounts:\n  main:\n    multiAssets: on\n    marginTypes: { BTCUSDT: ISOLATED }\n")
    expect(err).toContain("desired state rejected: FILE: accounts.main: ")
    expect(err).toMatch(/Multi-Assets/)
  })

  it("refuses a glob that matches no profile", async () => {
    expect(await refused("glob.yaml", "accounts:\n  desk-*:\n    multiAssets: off\n")).toContain(
      "invalid FILE: accounts.desk-*: expected a profile name or glob matching one of main, bots-1, bots-2"
    )
  })

  it("names the account whose profile has no keys", async () => {
    const profiles = write("nokeys.json", JSON.stringify({ profiles: { lone: { env: "sim" } } }))
    const file = write("nokeys.yaml", "accounts:\n  lone:\n    multiAssets: off\n")
    const r = await run(["plan", "--file", file], { sim, env: { ...env, MARGINCTL_CONFIG: profiles } })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`error: ${file}: accounts.lone: profile lone: no API key`)
  })

  it("names the line of a YAML syntax error", async () => {
    expect(await refused("syntax.yaml", "accounts:\n  main:\n    multiAssets: on\n   marginTypes: [\n")).toMatch(
      /invalid FILE: line \d+, column \d+: expected valid YAML/
    )
  })
})
