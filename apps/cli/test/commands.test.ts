/**
 * Every reading and writing command against the simulator: human and JSON output, idempotence, the
 * rules explained with their fix, and the exit code of each outcome.
 */
import { spawn } from "node:child_process"
import { afterAll, describe, expect, it } from "vitest"
import { BIN, envFor, leaks, run, runSim, type Sim, startSim } from "./support/Harness.js"

const withSim = async <A>(account: Record<string, unknown>, f: (sim: Sim) => Promise<A>, config: Record<string, unknown> = {}) => {
  const sim = await startSim(account, config)
  try {
    return await f(sim)
  } finally {
    await sim.close()
  }
}

const requests = (sim: Sim, endpoint: string) =>
  sim.admin<{ byEndpoint: Record<string, number> }>("GET", "/requests/count").then((c) => c.byEndpoint[endpoint] ?? 0)

describe("multi-assets", () => {
  it("get, on, on again (unchanged), off — human and JSON, one change each", () =>
    withSim({}, async (sim) => {
      const get = await runSim(sim, ["multi-assets", "get"])
      expect(get.code).toBe(0)
      expect(get.stdout).toBe("Multi-Assets Mode is off.\n")
      expect((await runSim(sim, ["multi-assets", "get", "--json"])).json()).toEqual({ multiAssetsMargin: false })
      const on = await runSim(sim, ["multi-assets", "on", "--json"])
      expect(on.code).toBe(0)
      expect(on.json()).toEqual({ outcome: "changed", multiAssetsMargin: true })
      const again = await runSim(sim, ["multi-assets", "on", "--json"])
      expect(again.code).toBe(0)
      expect(again.json()).toEqual({ outcome: "unchanged", multiAssetsMargin: true })
      const human = await runSim(sim, ["multi-assets", "on"])
      expect(human.stdout).toBe("Multi-Assets Mode was already on; nothing changed.\n")
      const off = await runSim(sim, ["multi-assets", "off"])
      expect(off.code).toBe(0)
      expect(off.stdout).toBe("Multi-Assets Mode is now off.\n")
      expect((await sim.apiChanges()).map((c) => String(c.params.multiAssetsMargin))).toEqual(["true", "false"])
    }))

  it("reads the flag from accountConfig (weight 5), not the weight-30 endpoint", () =>
    withSim({}, async (sim) => {
      await runSim(sim, ["multi-assets", "get"])
      expect(await requests(sim, "GET /fapi/v1/accountConfig")).toBe(1)
      expect(await requests(sim, "GET /fapi/v1/multiAssetsMargin")).toBe(0)
    }))

  it("on with an isolated symbol: -4167 explained, exit 3", () =>
    withSim({ marginTypes: { BTCUSDT: "ISOLATED" } }, async (sim) => {
      const r = await runSim(sim, ["multi-assets", "on"])
      expect(r.code).toBe(3)
      expect(r.stderr).toContain("Some symbols use isolated margin, which Multi-Assets Mode does not allow")
      expect(r.stderr).toContain("marginctl margin-type set CROSSED --all")
      expect(r.stderr).toContain("Binance -4167")
      const j = await runSim(sim, ["multi-assets", "on", "--json"])
      expect(j.code).toBe(3)
      expect(j.json()).toEqual({
        error: { tag: "MultiAssetsBlocked", code: -4167, message: expect.any(String), hint: expect.stringContaining("isolated") }
      })
    }))

  it("open orders (-4170), a negative balance (-4172) and credits mode (-4169) are explained, exit 3", async () => {
    await withSim({ orders: [{ symbol: "SOLUSDT", side: "BUY", type: "LIMIT", price: "100", quantity: "1" }] }, async (sim) => {
      const r = await runSim(sim, ["multi-assets", "on"])
      expect(r.code).toBe(3)
      expect(r.stderr).toContain("Multi-Assets Mode cannot change while any order is open")
    })
    await withSim({ multiAssetsMargin: true, balances: { USDT: 1000, USDC: -50 } }, async (sim) => {
      const r = await runSim(sim, ["multi-assets", "off", "--json"])
      expect(r.code).toBe(3)
      expect(r.json().error).toMatchObject({ tag: "MultiAssetsBlocked", code: -4172 })
      expect(r.json().error.hint).toContain("negative balance")
    })
    await withSim({ multiAssetsMargin: true, creditsLock: true, balances: { BNFCR: 1000 } }, async (sim) => {
      const r = await runSim(sim, ["multi-assets", "off"])
      expect(r.code).toBe(3)
      expect(r.stderr).toContain("Credits Trading Mode")
      expect(await sim.apiChanges()).toEqual([])
    })
  })
})

describe("margin-type", () => {
  it("get: every symbol, or the ones named (any case); JSON shape", () =>
    withSim({ marginTypes: { ETHUSDT: "ISOLATED" } }, async (sim) => {
      const all = await runSim(sim, ["margin-type", "get", "--json"])
      expect(all.code).toBe(0)
      const symbols = all.json().symbols as Array<{ symbol: string; marginType: string }>
      expect(symbols.length).toBeGreaterThan(20)
      expect(symbols).toContainEqual({ symbol: "ETHUSDT", marginType: "ISOLATED" })
      expect(symbols).toContainEqual({ symbol: "BTCUSDT", marginType: "CROSSED" })
      const some = await runSim(sim, ["margin-type", "get", "ethusdt", "BTCUSDT", "--json"])
      expect(some.json()).toEqual({
        symbols: [{ symbol: "ETHUSDT", marginType: "ISOLATED" }, { symbol: "BTCUSDT", marginType: "CROSSED" }]
      })
      const human = await runSim(sim, ["margin-type", "get", "ETHUSDT"])
      expect(human.stdout).toMatch(/^ETHUSDT\s+ISOLATED\n$/)
      const humanAll = await runSim(sim, ["margin-type", "get"])
      expect(humanAll.stdout).toMatch(/\d+ symbols: \d+ CROSSED, 1 ISOLATED\./)
    }))

  it("get with an unknown symbol is invalid input (exit 2)", () =>
    withSim({}, async (sim) => {
      const r = await runSim(sim, ["margin-type", "get", "NOPEUSDT", "--json"])
      expect(r.code).toBe(2)
      expect(r.json().error).toMatchObject({ tag: "UnknownSymbol", code: -1121 })
    }))

  it("set: each symbol on its own, mixed results, worst class wins (blocked → 3)", () =>
    withSim({
      marginTypes: { ETHUSDT: "ISOLATED" },
      orders: [{ symbol: "SOLUSDT", side: "BUY", type: "LIMIT", price: "100", quantity: "1" }],
      positions: [{ symbol: "XRPUSDT", positionAmt: "100", entryPrice: "0.6" }]
    }, async (sim) => {
      const r = await runSim(sim, ["margin-type", "set", "isolated", "btcusdt", "ETHUSDT", "SOLUSDT", "XRPUSDT", "--json"])
      expect(r.code).toBe(3)
      expect(r.json()).toEqual({
        results: [
          { symbol: "BTCUSDT", outcome: "changed", reason: null, code: null },
          { symbol: "ETHUSDT", outcome: "unchanged", reason: null, code: null },
          {
            symbol: "SOLUSDT",
            outcome: "blocked",
            reason: expect.stringContaining("SOLUSDT has open orders, and its margin type cannot change while orders are open"),
            code: -4047
          },
          {
            symbol: "XRPUSDT",
            outcome: "blocked",
            reason: expect.stringContaining("XRPUSDT has an open position"),
            code: -4048
          }
        ]
      })
      const log = await sim.apiChanges()
      expect(log.map((e) => e.params.symbol)).toEqual(["BTCUSDT"])
      const human = await runSim(sim, ["margin-type", "set", "ISOLATED", "BTCUSDT", "SOLUSDT"])
      expect(human.code).toBe(3)
      expect(human.stdout).toContain("BTCUSDT: already ISOLATED")
      expect(human.stdout).toContain("SOLUSDT: blocked: SOLUSDT has open orders")
      expect(human.stdout).toContain("0 changed, 1 unchanged, 1 blocked, 0 failed.")
    }))

  it("set: a failure that did not execute outranks a blocker (6 > 3)", () =>
    withSim({ orders: [{ symbol: "SOLUSDT", side: "BUY", type: "LIMIT", price: "100", quantity: "1" }] }, async (sim) => {
      await sim.fault({ kind: "unavailable", endpoint: "/fapi/v1/marginType", method: "POST", count: 4 })
      const r = await runSim(sim, ["margin-type", "set", "ISOLATED", "BTCUSDT", "SOLUSDT", "ETHUSDT", "--concurrency", "1", "--json"])
      expect(r.code).toBe(6)
      const results = r.json().results as Array<{ symbol: string; outcome: string }>
      expect(results.map((x) => [x.symbol, x.outcome])).toEqual([
        ["BTCUSDT", "failed"],
        ["SOLUSDT", "blocked"],
        ["ETHUSDT", "changed"]
      ])
    }))

  it("set --all changes only what differs; again changes nothing", () =>
    withSim({ marginTypes: { BTCUSDT: "ISOLATED", ETHUSDT: "ISOLATED", SOLUSDT: "ISOLATED" } }, async (sim) => {
      const r = await runSim(sim, ["margin-type", "set", "CROSSED", "--all", "--json"])
      expect(r.code).toBe(0)
      const results = r.json().results as Array<{ outcome: string }>
      expect(results.filter((x) => x.outcome === "changed")).toHaveLength(3)
      expect(results.every((x) => x.outcome === "changed" || x.outcome === "unchanged")).toBe(true)
      const again = await runSim(sim, ["margin-type", "set", "cross", "--all"])
      expect(again.code).toBe(0)
      expect(again.stdout).toMatch(/^0 changed, \d+ unchanged, 0 blocked, 0 failed\.\n$/)
      expect(await sim.apiChanges()).toHaveLength(3)
      expect(await requests(sim, "POST /fapi/v1/marginType")).toBe(3)
    }))

  it("set ISOLATED while Multi-Assets Mode is on: blocked before sending (-4168)", () =>
    withSim({ multiAssetsMargin: true }, async (sim) => {
      const r = await runSim(sim, ["margin-type", "set", "ISOLATED", "BTCUSDT"])
      expect(r.code).toBe(3)
      expect(r.stdout).toContain(
        "BTCUSDT: blocked: turn Multi-Assets Mode off first with `marginctl multi-assets off`: it allows only cross margin (Binance -4168)"
      )
      expect(await requests(sim, "POST /fapi/v1/marginType")).toBe(0)
    }))
})

describe("status", () => {
  it("summarises the account and what blocks a switch, with fixes", () =>
    withSim({
      marginTypes: { BTCUSDT: "ISOLATED" },
      positions: [{ symbol: "BTCUSDT", positionAmt: "0.01", entryPrice: "60000" }],
      orders: [{ symbol: "SOLUSDT", side: "BUY", type: "LIMIT", price: "100", quantity: "1" }]
    }, async (sim) => {
      const r = await runSim(sim, ["status", "--json"])
      expect(r.code).toBe(0)
      const s = r.json()
      expect(s).toMatchObject({
        multiAssetsMargin: false,
        positionMode: "one-way",
        isolated: 1,
        isolatedSymbols: ["BTCUSDT"],
        openOrders: 1,
        openOrdersBySymbol: { SOLUSDT: 1 },
        positions: 1,
        positionSymbols: ["BTCUSDT"],
        creditsMode: false,
        switch: { to: "on", blocked: true },
        readWeight: expect.any(Number)
      })
      const codes = (s.switch.blockers as Array<{ code: number }>).map((b) => b.code)
      expect(codes).toContain(-4048)
      expect(codes).toContain(-4170)
      const human = await runSim(sim, ["status"])
      expect(human.stdout).toContain("Multi-Assets Mode:  off")
      expect(human.stdout).toContain("Isolated symbols:   1 of")
      expect(human.stdout).toContain("Turning Multi-Assets Mode on is blocked:")
      expect(human.stdout).toContain("close the position on BTCUSDT")
      expect(await sim.apiChanges()).toEqual([])
    }))
})

describe("time", () => {
  it("measures the offset and says which side is off; needs no key", () =>
    withSim({}, async (sim) => {
      await sim.fault({ kind: "clockSkew", offsetMs: 5000 })
      const r = await runSim(sim, ["time", "--json"], { env: { BINANCE_API_KEY: undefined, BINANCE_API_SECRET: undefined } })
      expect(r.code).toBe(0)
      const t = r.json()
      expect(t).toMatchObject({ side: "local-behind", serverTime: expect.any(Number), rttMs: expect.any(Number) })
      expect(Math.abs(t.offsetMs - 5000)).toBeLessThan(1000)
      expect(t.text).toMatch(/your clock is [\d,]+ ms behind the server/)
      await sim.admin("DELETE", "/faults")
      await sim.fault({ kind: "clockSkew", offsetMs: -3000 })
      const human = await runSim(sim, ["time"])
      expect(human.code).toBe(0)
      expect(human.stdout).toMatch(/Your clock is [\d,]+ ms ahead of the server/)
      expect(human.stdout).toContain("Server time: ")
    }))
})

describe("collateral", () => {
  it("values collateral after haircuts, compares the modes, previews an auto-exchange", () =>
    withSim({ multiAssetsMargin: true, balances: { USDT: 10000, BTC: 0.1, USDC: -12000 } }, async (sim) => {
      const r = await runSim(sim, ["collateral", "--json"])
      expect(r.code).toBe(0)
      const c = r.json()
      expect(c.multiAssetsMargin).toBe(true)
      const btc = (c.collateral.rows as Array<any>).find((row) => row.asset === "BTC")
      expect(btc).toMatchObject({ balance: 0.1, usdValue: 6000, haircut: 0.05, collateralValue: 5700, counted: true })
      expect(c.collateral.totalCollateralValue).toBeCloseTo(9999 + 5700 - 12000, 2)
      expect(c.marginBalance.multiAssets.totalUsd).toBeCloseTo(3699, 2)
      expect(c.autoExchange.fires).toBe(true)
      expect(c.autoExchange.sale.coveredUsd).toBeCloseTo(12000, 2)
      expect(c.autoExchange.sale.totalUsdSold).toBeGreaterThan(12000)
      const human = await runSim(sim, ["collateral"])
      expect(human.stdout).toContain("Auto-exchange: would run")
      expect(human.stdout).toMatch(/BTC\s+0\.1\s+6,000\.00\s+5 %\s+5,700\.00/)
    }))
})

describe("sim", () => {
  it("runs the simulator in the foreground, prints how to use it, stops on SIGTERM with 0", async () => {
    const child = spawn(process.execPath, [BIN, "sim", "--port", "0"], { env: envFor({}) })
    let out = ""
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString()
        if (out.includes("Stop with Ctrl-C.")) resolve()
      })
      child.on("exit", () => reject(new Error(`sim exited early:\n${out}`)))
    })
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    await ready
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!
    const key = /API key: (\S+)/.exec(out)![1]!
    const secret = /Secret: +(\S+) \(HMAC\)/.exec(out)![1]!
    expect(out).toContain(`export MARGINCTL_SIM_URL=${url} BINANCE_API_KEY=${key} BINANCE_API_SECRET=${secret}`)
    const r = await run(["multi-assets", "get", "--env", "sim", "--json"], {
      env: { MARGINCTL_SIM_URL: url, BINANCE_API_KEY: key, BINANCE_API_SECRET: secret }
    })
    expect(r.code).toBe(0)
    expect(r.json()).toEqual({ multiAssetsMargin: false })
    child.kill("SIGTERM")
    expect(await exited).toBe(0)
  })

  it("a bad seed file is invalid input (exit 2); a busy port exits 1", () =>
    withSim({}, async (sim) => {
      const bad = await run(["sim", "--port", "0", "--seed", "/nonexistent/seed.json"])
      expect(bad.code).toBe(2)
      const busy = await run(["sim", "--port", String(sim.server.port)])
      expect(busy.code).toBe(1)
      expect(busy.stderr).toContain("already in use")
    }))
})

afterAll(() => {
  expect(leaks()).toEqual([])
})
