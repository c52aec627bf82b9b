/**
 * `marginctl watch` against the simulator's server (REST and the user-data stream's WebSocket):
 * changes made with another key of the account and through the control API are printed as they
 * happen, human and JSON; a dropped connection is reconnected and a change made meanwhile is found
 * by the re-read; Ctrl-C exits 0 and closes the listen key; a bad key, bad options and a target that
 * goes away end with their exit codes; no secret is ever printed.
 */
import { afterAll, describe, expect, it } from "vitest"
import { leaks, run, runSim, type Running, type Sim, start, startSim } from "./support/Harness.js"

/** A second key of the same account: the changes the watch sees are made with it. */
const OTHER_KEY = "cliWatchOtherKey-Pq8rT2vX5zB9nM3kL7"
const OTHER_SECRET = "cliWatchOtherSecret-Hy6uJ1wE4sD8fG2aZ5"
const other = { env: { BINANCE_API_KEY: OTHER_KEY, BINANCE_API_SECRET: OTHER_SECRET } }

const TIME = "\\d\\d:\\d\\d:\\d\\d\\.\\d{3}"

const streamKeys = (sim: Sim) => sim.admin<{ keys: Array<{ listenKey: string }> }>("GET", "/stream").then((s) => s.keys)

/** The listen keys the watches used: they let anyone read the account's stream, so they are never printed either. */
const listenKeys: Array<string> = []

const requests = (sim: Sim, endpoint: string) =>
  sim.admin<{ byEndpoint: Record<string, number> }>("GET", "/requests/count").then((c) => c.byEndpoint[endpoint] ?? 0)

/** A simulator whose account has a second key, and a watch on it that is stopped (Ctrl-C) at the end. */
const withWatch = async (args: ReadonlyArray<string>, f: (sim: Sim, watch: Running) => Promise<void>) => {
  const sim = await startSim({ marginTypes: { XRPUSDT: "ISOLATED" }, keys: [{ apiKey: OTHER_KEY, secret: OTHER_SECRET }] })
  const watch = start(["watch", "--env", "sim", ...args], { sim })
  try {
    await watch.waitFor("stderr", /Watching sim/)
    await f(sim, watch)
  } finally {
    await watch.interrupt()
    await sim.close()
  }
}

describe("watch", () => {
  it("prints the settings, then one line per change by another key and by the control API; Ctrl-C exits 0 and closes the listen key", () =>
    withWatch([], async (sim, watch) => {
      expect(watch.stdout()).toMatch(new RegExp(`^${TIME} Multi-Assets Mode off, one-way mode; \\d+ symbols, 1 ISOLATED \\(XRPUSDT 20x\\)\\n$`))
      const keys = await streamKeys(sim)
      expect(keys).toHaveLength(1)
      listenKeys.push(keys[0]!.listenKey)

      expect((await runSim(sim, ["margin-type", "set", "ISOLATED", "ETHUSDT"], other)).code).toBe(0)
      await watch.waitFor("stdout", new RegExp(`\\n${TIME} ETHUSDT margin type ISOLATED\\n$`))
      expect((await runSim(sim, ["margin-type", "set", "CROSSED", "ETHUSDT", "XRPUSDT"], other)).code).toBe(0)
      await watch.waitFor("stdout", /ETHUSDT margin type CROSSED\n.*XRPUSDT margin type CROSSED\n$|XRPUSDT margin type CROSSED\n.*ETHUSDT margin type CROSSED\n$/s)
      expect((await runSim(sim, ["multi-assets", "on"], other)).code).toBe(0)
      await watch.waitFor("stdout", new RegExp(`\\n${TIME} Multi-Assets Mode on\\n$`))
      await sim.admin("PUT", "/accounts/main/settings", { leverage: { BTCUSDT: 25 } })
      await watch.waitFor("stdout", new RegExp(`\\n${TIME} BTCUSDT leverage 25x\\n$`))
      expect(watch.stdout().trim().split("\n")).toHaveLength(6)

      const stopped = await watch.interrupt()
      expect(stopped.code).toBe(0)
      expect(await streamKeys(sim)).toEqual([])
      expect(await requests(sim, "DELETE /fapi/v1/listenKey")).toBe(1)
    }))

  it("--json: one object per line {type, symbol, value, time, via}; --symbols keeps the others' changes out and names a symbol the account does not have", () =>
    withWatch(["--json", "--symbols", "btcusdt,ETHUSDT,NOPEUSDT"], async (sim, watch) => {
      expect(watch.stderr()).toContain("warning: --symbols: NOPEUSDT is not among the account's symbols")
      await sim.admin("PUT", "/accounts/main/settings", { marginTypes: { SOLUSDT: "ISOLATED", ETHUSDT: "ISOLATED" } })
      await watch.waitFor("stdout", /"type":"margin-type".*\n/)
      await sim.admin("PUT", "/accounts/main/settings", { leverage: { BTCUSDT: 7 } })
      await watch.waitFor("stdout", /"type":"leverage".*\n/)
      const lines = watch.stdout().trim().split("\n").map((l) => JSON.parse(l))
      expect(lines[0]).toMatchObject({
        type: "settings",
        symbol: null,
        value: {
          multiAssets: false,
          positionMode: "one-way",
          symbols: [
            { symbol: "BTCUSDT", marginType: "CROSSED", leverage: 20 },
            { symbol: "ETHUSDT", marginType: "CROSSED", leverage: 20 }
          ]
        },
        via: "read"
      })
      expect(lines.slice(1).map(({ time, ...rest }) => (expect(new Date(time).toISOString()).toBe(time), rest))).toEqual([
        { type: "margin-type", symbol: "ETHUSDT", value: "ISOLATED", via: "stream" },
        { type: "leverage", symbol: "BTCUSDT", value: 7, via: "stream" }
      ])
    }))

  it("a dropped connection is reconnected, and a change made meanwhile is printed after the re-read", () =>
    withWatch([], async (sim, watch) => {
      expect(await sim.admin("POST", "/stream/drop", {})).toEqual({ dropped: 1 })
      // Made before the watch reconnects (its first retry waits about half a second): no event reaches it.
      await sim.admin("PUT", "/accounts/main/settings", { marginTypes: { ETHUSDT: "ISOLATED" }, leverage: { BTCUSDT: 30 } })
      await watch.waitFor("stderr", new RegExp(`${TIME} connection lost \\(closed: .*\\); reconnecting\\n${TIME} connected again`))
      await watch.waitFor("stdout", /BTCUSDT leverage 30x \(found by the re-read after reconnecting\)/)
      await watch.waitFor("stdout", new RegExp(`\\n${TIME} ETHUSDT margin type ISOLATED \\(found by the re-read after reconnecting\\)\\n`))
      // The stream works again.
      await sim.admin("PUT", "/accounts/main/settings", { leverage: { BTCUSDT: 31 } })
      await watch.waitFor("stdout", new RegExp(`\\n${TIME} BTCUSDT leverage 31x\\n$`))
    }))

  it("gives up with exit 6 when the reconnections keep failing", async () => {
    const sim = await startSim()
    const watch = start(["watch", "--env", "sim", "--reconnect-attempts", "2"], { sim })
    try {
      await watch.waitFor("stderr", /Watching sim/)
      await sim.close()
      const r = await watch.exited
      expect(r.code).toBe(6)
      expect(r.stderr).toContain("connection lost")
      expect(r.stderr).toMatch(/Could not reach|user-data stream/)
      expect(r.stderr).toContain(sim.url)
    } finally {
      await watch.interrupt()
    }
  })

  it("a rejected key exits 5 (JSON error on stdout with --json); bad options exit 2", async () => {
    const sim = await startSim()
    try {
      const human = await runSim(sim, ["watch"], { env: { BINANCE_API_KEY: "notAKeyOfThisExchange" } })
      expect(human.code).toBe(5)
      expect(human.stderr).toContain("Binance -2015")
      const json = await runSim(sim, ["watch", "--json"], { env: { BINANCE_API_KEY: "notAKeyOfThisExchange" } })
      expect(json.code).toBe(5)
      expect(json.json().error).toMatchObject({ tag: "InvalidApiKey", code: -2015 })
      const attempts = await runSim(sim, ["watch", "--reconnect-attempts", "0"])
      expect(attempts.code).toBe(2)
      expect(attempts.stderr).toContain("invalid reconnect-attempts: expected a whole number from 1 to 1000; got 0")
      const notANumber = await runSim(sim, ["watch", "--reconnect-attempts", "abc"])
      expect(notANumber.code).toBe(2)
      expect(notANumber.stderr).toContain("invalid --reconnect-attempts: expected a whole number; got \"abc\"")
      const symbols = await runSim(sim, ["watch", "--symbols", "BTCUSDT,"])
      expect(symbols.code).toBe(2)
      expect(symbols.stderr).toContain("invalid symbol")
      expect((await run(["watch"])).code).toBe(2)
      expect(await streamKeys(sim)).toEqual([])
    } finally {
      await sim.close()
    }
  })
})

afterAll(() => {
  expect(listenKeys).toHaveLength(1)
  expect(leaks([OTHER_SECRET, ...listenKeys])).toEqual([])
})
