/**
 * The gateway process under a bounded load: 64 connections for 20 s (60 s with RELIABILITY_FULL=1),
 * 60 of them reading (cached Multi-Assets, all margin types, a selection of margin types) as fast as
 * the gateway answers, 4 of them writing margin types at 4 requests per second in all. No error, no
 * answer but 2xx (a 409 or the gateway's own 429 would be documented, and are counted), no 429 from
 * the exchange (the gateway's metric and the simulator's weight state), and the gateway's memory flat
 * after a 5 s warm-up.
 */
import { createRequire } from "node:module"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { capture, flush, FULL, record, ROOT, tmpDir, TOKENS } from "./support/env.js"
import { type Gateway, metric, rssMiB, spawnGateway, writeConfig } from "./support/gateway.js"
import { seedFor, type Sim, startSim } from "./support/sim.js"

const autocannon = createRequire(path.join(ROOT, "bench/package.json"))("autocannon") as (
  options: Record<string, unknown>,
  cb: (err: unknown, result: any) => void
) => { stop: () => void }

const SECONDS = FULL ? 60 : 20
const WARMUP_S = 5
const READ_CONNECTIONS = 60
const WRITE_CONNECTIONS = 4
const WRITES_PER_SECOND = 4
/**
 * After the warm-up, the samples are split in two halves: the highest RSS of the second half may exceed
 * the highest of the first by at most this much. (Peaks, not single samples: V8's heap grows in a saw
 * tooth until a full collection, so two single samples can differ by a tooth.)
 */
const MAX_GROWTH = 0.2

const run = (options: Record<string, unknown>) =>
  new Promise<any>((resolve, reject) => autocannon(options, (err, result) => (err ? reject(err) : resolve(result))))

describe(`the gateway under ${SECONDS} s of load at 64 connections`, () => {
  let sim: Sim | undefined
  let gw: Gateway | undefined

  afterAll(async () => {
    await gw?.kill("SIGTERM")
    await sim?.close()
    flush("4-load")
  })

  it("no error, no upstream 429, memory flat after warm-up", async () => {
    sim = await startSim(seedFor("HMAC", { marginTypes: { ETHUSDT: "ISOLATED" } }))
    const dir = tmpDir("load")
    gw = await spawnGateway(writeConfig(dir, [{ name: "main", baseUrl: sim.url, key: "HMAC" }], { logLevel: "info" }), `${dir}/data`)
    const headers = { authorization: `Bearer ${TOKENS.admin}`, "content-type": "application/json" }
    const samples: Array<{ t: number; rss: number }> = []
    const t0 = Date.now()
    const sampler = setInterval(() => samples.push({ t: (Date.now() - t0) / 1000, rss: rssMiB(gw!.pid) }), 1000)
    const odd: Array<string> = []
    const keep = (status: number, body: string) => {
      if (status >= 300 && odd.length < 20) odd.push(`${status} ${body.slice(0, 200)}`)
      if (Math.random() < 0.001) capture("gateway HTTP answers (load)", body)
    }
    const reads = [
      { method: "GET", path: "/v1/accounts/main/multi-assets" },
      { method: "GET", path: "/v1/accounts/main/margin-types" },
      { method: "GET", path: "/v1/accounts/main/margin-types?symbols=BTCUSDT,ETHUSDT" },
      { method: "GET", path: "/v1/accounts/main/multi-assets" }
    ].map((r) => ({ ...r, onResponse: keep }))
    const writes = [
      ["BTCUSDT", "ISOLATED"],
      ["ETHUSDT", "CROSSED"],
      ["BTCUSDT", "CROSSED"],
      ["ETHUSDT", "ISOLATED"]
    ].map(([symbol, marginType]) => ({
      method: "PUT",
      path: `/v1/accounts/main/margin-types/${symbol}`,
      body: JSON.stringify({ marginType }),
      onResponse: keep
    }))
    let results: [any, any]
    try {
      results = await Promise.all([
        run({ url: gw.url, connections: READ_CONNECTIONS, duration: SECONDS, headers, requests: reads, timeout: 30 }),
        run({ url: gw.url, connections: WRITE_CONNECTIONS, duration: SECONDS, headers, requests: writes, overallRate: WRITES_PER_SECOND, timeout: 30 })
      ])
    } finally {
      clearInterval(sampler)
    }
    const [r, w] = results
    const after = samples.filter((s) => s.t >= WARMUP_S).map((s) => s.rss)
    const half = Math.floor(after.length / 2)
    const early = Math.max(...after.slice(0, half))
    const late = Math.max(...after.slice(half))
    const growth = (late - early) / early
    const troughs = { early: Math.min(...after.slice(0, half)), late: Math.min(...after.slice(half)) }
    const upstream429 = await metric(gw.url, "marginctl_gateway_upstream_429_total")
    const upstream418 = await metric(gw.url, "marginctl_gateway_upstream_418_total")
    const weight = await sim.used()
    const codes = (x: any) => Object.fromEntries(Object.entries(x.statusCodeStats ?? {}).map(([k, v]: [string, any]) => [k, v.count]))
    const readCodes = codes(r)
    const writeCodes = codes(w)
    const undocumented = [readCodes, writeCodes].flatMap((c) => Object.keys(c).filter((k) => !/^2\d\d$/.test(k) && k !== "409" && k !== "429"))
    const problems: Array<string> = []
    if (r.errors + w.errors > 0) problems.push(`${r.errors + w.errors} connection errors`)
    if (r.timeouts + w.timeouts > 0) problems.push(`${r.timeouts + w.timeouts} timeouts`)
    if (r.non2xx + w.non2xx > 0) problems.push(`${r.non2xx + w.non2xx} answers not 2xx: ${JSON.stringify({ reads: readCodes, writes: writeCodes })}`)
    if (undocumented.length > 0) problems.push(`undocumented statuses ${undocumented.join(",")}`)
    if (upstream429 + upstream418 > 0) problems.push(`upstream answered 429 ${upstream429} times, 418 ${upstream418} times`)
    if (weight.limited || weight.bannedUntil > 0) problems.push(`the simulator limited the IP: ${JSON.stringify(weight)}`)
    if (!(growth < MAX_GROWTH)) problems.push(`RSS grew ${(growth * 100).toFixed(1)} % after warm-up (${early.toFixed(1)} → ${late.toFixed(1)} MiB)`)
    if (w.requests.total < SECONDS * WRITES_PER_SECOND * 0.8) problems.push(`only ${w.requests.total} writes were made`)
    record({
      section: "load",
      seconds: SECONDS,
      full: FULL,
      connections: READ_CONNECTIONS + WRITE_CONNECTIONS,
      reads: { total: r.requests.total, perSecond: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, codes: readCodes },
      writes: { total: w.requests.total, perSecond: w.requests.average, p50: w.latency.p50, p99: w.latency.p99, max: w.latency.max, codes: writeCodes },
      errors: r.errors + w.errors,
      timeouts: r.timeouts + w.timeouts,
      upstream429,
      upstream418,
      simulatorWeight: weight,
      exchangeRequests: await sim.admin("GET", "/requests/count").then((c: any) => c.total),
      changes: sim.apiLog().length,
      rss: { warmupS: WARMUP_S, early, late, troughs, max: Math.max(...samples.map((s) => s.rss)), growth, samples: samples.map((s) => Math.round(s.rss)) },
      odd,
      problems,
      pass: problems.length === 0
    })
    expect(problems).toEqual([])
  }, (SECONDS + 60) * 1000)
})
