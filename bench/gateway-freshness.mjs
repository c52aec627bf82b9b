// Freshness of the gateway's reads: how long after a change made straight at the exchange (a signed
// REST call with the account's key, not through the gateway) the gateway serves the new value, with
// the user-data stream (`stream.enabled: true`, the default) and without it (TTL reads,
// `cacheTtlMs` 2000), side by side in the same run.
//
//   pnpm exec turbo run build --filter=@marginctl/simulator --filter=@marginctl/gateway
//   node bench/gateway-freshness.mjs [--changes 40] [--poll-ms 5] [--timeout-ms 10000]
//
// Starts packages/simulator/dist/main.js (one account, HMAC key) and apps/gateway/dist/main.js with
// a config file pointing at it, on free ports of 127.0.0.1, each in its own process; then, `changes`
// times, after a random pause of 0.1-2.1 s (so that a change lands anywhere in a TTL window): one
// signed change (a cycle of POST /fapi/v1/multiAssetsMargin on, off, POST /fapi/v1/marginType
// BTCUSDT ISOLATED, CROSSED), and the time from sending it until the gateway's GET answers the new
// value — a steady reader asks both GETs (multi-assets, margin-types) every `poll-ms` all along —
// and, with the stream, until the first `change` frame of the account's events stream (SSE) that
// carries it. Upstream settings reads are the simulator's request counts of GET accountConfig,
// symbolConfig and multiAssetsMargin over the measured changes. Prints a BenchResult as JSON (markdown section and summary rows, as
// scripts/bench.mjs reads it); exits 1 when a target is missed: every change served within 1 s,
// median under 300 ms, no upstream settings read while the stream is live.
/* global fetch, URLSearchParams, AbortController, TextDecoder */
import { spawn } from "node:child_process"
import { createHash, createHmac } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? fallback : args[i + 1]
}
const changes = Number(option("changes", "40"))
const pollMs = Number(option("poll-ms", "5"))
const timeoutMs = Number(option("timeout-ms", "10000"))
const TTL_MS = 2000
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const SIM_MAIN = path.join(root, "packages/simulator/dist/main.js")
const GATEWAY_MAIN = path.join(root, "apps/gateway/dist/main.js")
const ACCOUNT = "bench"
const API_KEY = "freshnessKey00000000000000000000000000000000000000000000000000"
const SECRET = "freshnessSecret000000000000000000000000000000000000000000000000"
const SIM_ADMIN = "freshness-sim-admin-0000000000"
const TOKEN = "mgw_freshness_token_0000000000000000000"
/** The simulator's request counts of the reads that answer settings (its `byEndpoint` labels). */
const SETTINGS_READS = ["GET /fapi/v1/accountConfig", "GET /fapi/v1/symbolConfig", "GET /fapi/v1/multiAssetsMargin"]
const log = (s) => process.stderr.write(`[gateway-freshness] ${s}\n`)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
    s.on("error", reject)
  })

const spawnNode = (argv, env = {}) => {
  const child = spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  child.stdout.on("data", (d) => (out += d))
  child.stderr.on("data", (d) => (out += d))
  return { child, output: () => out }
}

/** Polls `f` (a failed fetch counts as not yet) until it returns something other than undefined. */
const until = async (f, ms, what) => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const v = await f().catch((e) => (e instanceof TypeError ? undefined : Promise.reject(e)))
    if (v !== undefined) return v
    await sleep(50)
  }
  throw new Error(`${what} not reached within ${ms} ms`)
}

// ---------------------------------------------------------------------------------------------
// The exchange: the simulator's server, its control API, and signed changes with the account's key

const dir = mkdtempSync(path.join(tmpdir(), "gateway-freshness-"))
const seedFile = path.join(dir, "seed.json")
writeFileSync(seedFile, JSON.stringify({ accounts: [{ name: ACCOUNT, apiKey: API_KEY, secret: SECRET, balances: { USDT: 10000, USDC: 5000 } }] }))
const sim = spawnNode([SIM_MAIN, "--port", "0", "--seed", seedFile, "--admin-token", SIM_ADMIN])
const simUrl = await until(async () => /simulator listening on (http:\/\/\S+)/.exec(sim.output())?.[1], 20_000, "the simulator's first line")

const control = async (method, p) => {
  const res = await fetch(`${simUrl}/_sim${p}`, { method, headers: { authorization: `Bearer ${SIM_ADMIN}` } })
  if (!res.ok) throw new Error(`${method} /_sim${p}: ${res.status} ${await res.text()}`)
  return res.json()
}
const settingsReads = async () => {
  const { byEndpoint } = await control("GET", "/requests/count")
  return Object.fromEntries(SETTINGS_READS.map((p) => [p, byEndpoint[p] ?? 0]))
}

/** A signed POST straight to the simulator, as any other client of the account's key would make it. */
const signedPost = async (endpoint, params) => {
  const body = new URLSearchParams({ ...params, recvWindow: "5000", timestamp: String(Date.now()) }).toString()
  const signed = `${body}&signature=${createHmac("sha256", SECRET).update(body).digest("hex")}`
  const res = await fetch(`${simUrl}${endpoint}`, {
    method: "POST",
    headers: { "X-MBX-APIKEY": API_KEY, "content-type": "application/x-www-form-urlencoded" },
    body: signed
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`POST ${endpoint}: ${res.status} ${text}`)
}

/** The cycle of changes: each one, how to make it, and how to tell the gateway serves it. */
const CYCLE = [
  { what: "multi-assets on", make: () => signedPost("/fapi/v1/multiAssetsMargin", { multiAssetsMargin: "true" }), get: "multi-assets", served: (b) => b.multiAssetsMargin === true, frame: (c) => c._tag === "MultiAssets" && c.multiAssetsMargin === true },
  { what: "multi-assets off", make: () => signedPost("/fapi/v1/multiAssetsMargin", { multiAssetsMargin: "false" }), get: "multi-assets", served: (b) => b.multiAssetsMargin === false, frame: (c) => c._tag === "MultiAssets" && c.multiAssetsMargin === false },
  { what: "BTCUSDT isolated", make: () => signedPost("/fapi/v1/marginType", { symbol: "BTCUSDT", marginType: "ISOLATED" }), get: "margin-types", served: (b) => b.marginTypes?.find((m) => m.symbol === "BTCUSDT")?.marginType === "ISOLATED", frame: (c) => c._tag === "MarginType" && c.symbol === "BTCUSDT" && c.marginType === "ISOLATED" },
  { what: "BTCUSDT crossed", make: () => signedPost("/fapi/v1/marginType", { symbol: "BTCUSDT", marginType: "CROSSED" }), get: "margin-types", served: (b) => b.marginTypes?.find((m) => m.symbol === "BTCUSDT")?.marginType === "CROSSED", frame: (c) => c._tag === "MarginType" && c.symbol === "BTCUSDT" && c.marginType === "CROSSED" }
]

// ---------------------------------------------------------------------------------------------
// The gateway

const startGateway = async (stream) => {
  const port = await freePort()
  const dataDir = mkdtempSync(path.join(dir, "gateway-"))
  const config = path.join(dataDir, "gateway.json")
  writeFileSync(config, JSON.stringify({
    host: "127.0.0.1",
    dataDir,
    logLevel: "warning",
    cacheTtlMs: TTL_MS,
    stream: { enabled: stream },
    tokens: [{ name: "bench", sha256: createHash("sha256").update(TOKEN).digest("hex"), scopes: ["read"], accounts: ["*"] }],
    accounts: [{ name: ACCOUNT, baseUrl: simUrl, apiKeyEnv: "BENCH_KEY", apiSecretEnv: "BENCH_SECRET" }]
  }))
  const gw = spawnNode([GATEWAY_MAIN, "--config", config], { MARGINCTL_GATEWAY_PORT: String(port), BENCH_KEY: API_KEY, BENCH_SECRET: SECRET, NODE_ENV: "production" })
  const url = `http://127.0.0.1:${port}`
  await until(async () => {
    if (gw.child.exitCode !== null) throw new Error(`the gateway exited (${gw.child.exitCode}):\n${gw.output()}`)
    return (await fetch(`${url}/healthz`)).ok || undefined
  }, 30_000, "gateway /healthz")
  if (stream) {
    await until(async () => {
      const ready = await (await fetch(`${url}/readyz`)).json()
      return ready.streams?.find((s) => s.account === ACCOUNT)?.mode === "live" || undefined
    }, 30_000, "the account's stream live")
  }
  return { ...gw, url }
}

const get = async (gw, what) => {
  const res = await fetch(`${gw.url}/v1/accounts/${ACCOUNT}/${what}`, { headers: { authorization: `Bearer ${TOKEN}` } })
  return res.json()
}

/** The account's events stream: each `change` frame with the time it arrived. */
const events = (gw) => {
  const frames = []
  const controller = new AbortController()
  const done = fetch(`${gw.url}/v1/accounts/${ACCOUNT}/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: controller.signal })
    .then(async (res) => {
      const decoder = new TextDecoder()
      let buffer = ""
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true })
        let end
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (event !== undefined && data !== undefined) frames.push({ at: performance.now(), event, data: JSON.parse(data) })
        }
      }
    })
    .catch(() => undefined)
  return { frames, close: () => (controller.abort(), done) }
}

/**
 * A steady reader: both GETs (multi-assets, margin-types) every `pollMs`, as a client that keeps
 * reading would (so that neither cache entry sits unread and expired when its change comes); each
 * answer is offered to the waiters, which resolve with its arrival time.
 */
const reader = (gw) => {
  const waiters = new Set()
  let running = true
  const loop = (async () => {
    while (running) {
      const [multiAssets, marginTypes] = await Promise.all([get(gw, "multi-assets"), get(gw, "margin-types")])
      const at = performance.now()
      for (const w of waiters) {
        if (w.served({ "multi-assets": multiAssets, "margin-types": marginTypes }[w.get])) {
          waiters.delete(w)
          w.resolve(at)
        }
      }
      await sleep(pollMs)
    }
  })()
  return {
    /** When an answer of `get` satisfies `served`, or null after `timeoutMs`. */
    next: (what, served) =>
      new Promise((resolve) => {
        const w = { get: what, served, resolve }
        waiters.add(w)
        setTimeout(() => waiters.delete(w) && resolve(null), timeoutMs)
      }),
    close: () => ((running = false), loop)
  }
}

/** Makes `changes` changes and measures each; the gateway's settings are the exchange's at the start. */
const measure = async (gw, stream) => {
  const sse = stream ? events(gw) : undefined
  if (sse) await until(async () => (sse.frames.length > 0 || undefined), 5000, "the events stream's first frame")
  const reads = reader(gw)
  await sleep(TTL_MS + 500)
  const readsBefore = await settingsReads()
  const rows = []
  for (let i = 0; i < changes; i++) {
    const step = CYCLE[i % CYCLE.length]
    // Anywhere in a TTL window: a fixed pause would lock each change to the same phase of the refreshes.
    await sleep(100 + Math.random() * TTL_MS)
    const frameFrom = sse?.frames.length ?? 0
    const t0 = performance.now()
    const servedAt = reads.next(step.get, step.served)
    await step.make()
    const at = await servedAt
    const frame = sse?.frames.slice(frameFrom).find((f) => f.event === "change" && step.frame(f.data))
    rows.push({ what: step.what, servedMs: at === null ? null : at - t0, eventMs: frame === undefined ? null : frame.at - t0 })
  }
  const readsAfter = await settingsReads()
  await reads.close()
  await sse?.close()
  return { rows, reads: Object.fromEntries(SETTINGS_READS.map((p) => [p, readsAfter[p] - readsBefore[p]])) }
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? null : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]
}
const stats = (xs) => ({ n: xs.length, median: quantile(xs, 0.5), p95: quantile(xs, 0.95), max: xs.length === 0 ? null : Math.max(...xs), min: xs.length === 0 ? null : Math.min(...xs) })

const runs = []
try {
  for (const stream of [true, false]) {
    log(`stream.enabled: ${stream}: ${changes} changes`)
    const gw = await startGateway(stream)
    try {
      const r = await measure(gw, stream)
      runs.push({ stream, ...r })
    } finally {
      gw.child.kill("SIGTERM")
    }
  }
} finally {
  sim.child.kill("SIGTERM")
  rmSync(dir, { recursive: true, force: true })
}

// ---------------------------------------------------------------------------------------------
// Result

const fmt = (n) => (n === null ? "–" : n.toFixed(0))
const table = runs.map((r) => {
  const served = r.rows.filter((x) => x.servedMs !== null).map((x) => x.servedMs)
  const ev = r.rows.filter((x) => x.eventMs !== null).map((x) => x.eventMs)
  const reads = Object.values(r.reads).reduce((a, b) => a + b, 0)
  return { ...r, served: stats(served), event: stats(ev), missed: r.rows.length - served.length, readsTotal: reads, over1s: served.filter((x) => x > 1000).length }
})
const [live, ttl] = table
const label = (r) => (r.stream ? "user-data stream (`stream.enabled: true`)" : `TTL reads (\`stream.enabled: false\`, \`cacheTtlMs\` ${TTL_MS})`)
const readsCell = (r) => `${r.readsTotal} (${SETTINGS_READS.map((p) => `${path.basename(p)} ${r.reads[p]}`).join(", ")})`
const markdown = [
  `${changes} changes made straight at the simulator with the account's HMAC key (a cycle of multiAssetsMargin on/off and`,
  "BTCUSDT marginType ISOLATED/CROSSED, a random 0.1-2.1 s apart, so that each lands anywhere in a TTL window); for each,",
  "the time from sending it until the gateway's GET answers the new value (a steady reader asks both GETs, multi-assets",
  `and margin-types, every ${pollMs} ms) and, with the stream, until the events stream (SSE) carries it. Gateway and`,
  "simulator in their own processes on 127.0.0.1; upstream settings reads (GET accountConfig, symbolConfig,",
  "multiAssetsMargin) counted by the simulator over the measured changes.",
  "",
  "| gateway | served by GET: median ms | p95 ms | max ms | > 1 s | not served in 10 s | events stream: median ms | p95 ms | max ms | upstream settings reads |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ...table.map((r) =>
    `| ${label(r)} | ${fmt(r.served.median)} | ${fmt(r.served.p95)} | ${fmt(r.served.max)} | ${r.over1s} | ${r.missed} | ${r.stream ? fmt(r.event.median) : "–"} | ${r.stream ? fmt(r.event.p95) : "–"} | ${r.stream ? fmt(r.event.max) : "–"} | ${readsCell(r)} |`
  ),
  "",
  `Targets with the stream: every change served within 1 s, median under 300 ms, no upstream settings read. Each change (ms served by GET${live.stream ? " / events stream" : ""}):`,
  "",
  ...table.map((r) => `- ${r.stream ? "stream" : "TTL"}: ${r.rows.map((x) => (r.stream ? `${fmt(x.servedMs)}/${fmt(x.eventMs)}` : fmt(x.servedMs))).join(", ")}`)
].join("\n")
const pass = live.missed === 0 && live.over1s === 0 && live.served.median < 300 && live.readsTotal === 0
const summary = [
  { row: "gateway freshness: median ms from a change made at the exchange to the gateway serving it", marginctl: live.served.median, bestPeer: ttl.served.median, bestPeerName: `the gateway without the stream (TTL ${TTL_MS} ms)`, lowerIsBetter: true, digits: 0, goal: 300 },
  { row: "gateway freshness: slowest change served, ms", marginctl: live.missed > 0 ? Infinity : live.served.max, bestPeer: ttl.missed > 0 ? Infinity : ttl.served.max, bestPeerName: `the gateway without the stream (TTL ${TTL_MS} ms)`, lowerIsBetter: true, digits: 0, goal: 1000 },
  { row: "gateway freshness: upstream settings reads while the stream is live", marginctl: live.readsTotal, bestPeer: ttl.readsTotal, bestPeerName: `the gateway without the stream (TTL ${TTL_MS} ms)`, lowerIsBetter: true, digits: 0, goal: 0 }
]
console.log(JSON.stringify({ markdown, summary, raw: table.map(({ rows, ...r }) => ({ ...r, rows })) }))
log(`${pass ? "PASS" : "FAIL"}: stream median ${fmt(live.served.median)} ms, max ${fmt(live.served.max)} ms, reads ${live.readsTotal}; TTL median ${fmt(ttl.served.median)} ms, max ${fmt(ttl.served.max)} ms, reads ${ttl.readsTotal}`)
process.exitCode = pass ? 0 : 1
