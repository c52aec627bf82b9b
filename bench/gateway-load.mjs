// Load of the gateway's cached Multi-Assets read, next to a bare node:http server returning the same
// JSON, in the same run, with autocannon.
//
//   pnpm --filter @marginctl/gateway build
//   node bench/gateway-load.mjs [--seconds 5] [--rounds 3] [--connections 64] [--warmup 3] [--full-path]
//
// Starts apps/gateway/dist/main.js --demo on free ports of 127.0.0.1 (the embedded simulator, a fixed
// token, cache TTL 60 s so every measured read is a cache hit) and a bare node:http server returning
// the same JSON (each in its own process), warms both, then measures them alternately for `rounds`
// rounds (so that load from other processes on the machine hits both alike) and prints a markdown
// table: requests/s (all rounds), latency p50 / p99 / max (worst round), errors, RSS of the server
// process. Passes when the gateway reaches >= 60 % of the bare server's requests/s with p99 < 10 ms.
// `--full-path` adds a cached read that the hot path does not serve (margin-types?symbols=…), i.e.
// the whole Effect HttpApi pipeline (router, auth middleware, schema decoding and encoding).
/* global fetch */
import autocannon from "autocannon"
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? fallback : args[i + 1]
}
const seconds = Number(option("seconds", "5"))
const rounds = Number(option("rounds", "3"))
const connections = Number(option("connections", "64"))
const warmup = Number(option("warmup", "3"))
const fullPath = args.includes("--full-path")
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const main = path.join(root, "apps/gateway/dist/main.js")
const TOKEN = "mgw_benchmark_token_000000000000000000"

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
    s.on("error", reject)
  })

const waitFor = async (url, headers = {}) => {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url, { headers })
      if (r.ok) return await r.text()
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${url} did not answer`)
}

const rssOf = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0)
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 }
}

const run = (url, headers) =>
  new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, headers, pipelining: 1 }, (err, result) => (err ? reject(err) : resolve(result)))
  })

const spawnNode = (argv, env) => {
  const child = spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] })
  child.stdout.resume()
  return child
}

// The same JSON with the same response headers as the gateway's (so the client parses the same bytes).
const BARE = `
import * as http from "node:http"
const body = process.env.BODY
http.createServer({ keepAliveTimeout: 65000 }, (req, res) => {
  res.writeHead(200, {
    "content-type": "application/json",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "content-length": Buffer.byteLength(body)
  })
  res.end(body)
}).listen(Number(process.env.PORT), "127.0.0.1")
`

const gwPort = await freePort()
const simPort = await freePort()
const gateway = spawnNode([main, "--demo"], {
  MARGINCTL_GATEWAY_PORT: String(gwPort),
  MARGINCTL_GATEWAY_DEMO_SIM_PORT: String(simPort),
  MARGINCTL_GATEWAY_DEMO_TOKEN: TOKEN,
  MARGINCTL_GATEWAY_CACHE_TTL_MS: "60000",
  MARGINCTL_GATEWAY_LOG_LEVEL: "warning",
  NODE_ENV: "production"
})
const results = []
let bare
try {
  const url = `http://127.0.0.1:${gwPort}/v1/accounts/demo/multi-assets`
  const headers = { authorization: `Bearer ${TOKEN}` }
  const body = await waitFor(url, headers)
  const barePort = await freePort()
  bare = spawnNode(["--input-type=module", "-e", BARE], { PORT: String(barePort), BODY: body })
  const bareUrl = `http://127.0.0.1:${barePort}/`
  await waitFor(bareUrl)

  const targets = [
    { name: "gateway (cached GET multi-assets)", url, headers, pid: gateway.pid, runs: [] },
    { name: "bare node:http (same JSON and headers)", url: bareUrl, headers: {}, pid: bare.pid, runs: [] }
  ]
  if (fullPath) {
    const full = `http://127.0.0.1:${gwPort}/v1/accounts/demo/margin-types?symbols=BTCUSDT,ETHUSDT`
    await waitFor(full, headers)
    targets.push({ name: "gateway, full Effect path (cached GET margin-types?symbols=…)", url: full, headers, pid: gateway.pid, runs: [] })
  }
  for (const t of targets) {
    if (warmup > 0) {
      await new Promise((resolve, reject) =>
        autocannon({ url: t.url, connections, duration: warmup, headers: t.headers }, (e) => (e ? reject(e) : resolve()))
      )
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const t of round % 2 === 0 ? targets : [...targets].reverse()) t.runs.push(await run(t.url, t.headers))
  }
  for (const t of targets) {
    const total = t.runs.reduce((n, r) => n + r.requests.total, 0)
    const time = t.runs.reduce((n, r) => n + r.duration, 0)
    results.push({
      name: t.name,
      rps: total / time,
      p50: Math.max(...t.runs.map((r) => r.latency.p50)),
      p99: Math.max(...t.runs.map((r) => r.latency.p99)),
      max: Math.max(...t.runs.map((r) => r.latency.max)),
      errors: t.runs.reduce((n, r) => n + r.non2xx + r.errors, 0),
      perRound: t.runs.map((r) => Math.round(r.requests.average)),
      p99PerRound: t.runs.map((r) => r.latency.p99),
      mem: rssOf(t.pid)
    })
  }
} finally {
  gateway.kill("SIGTERM")
  bare?.kill("SIGTERM")
}

const [gw, base, ...more] = results
const ratio = gw.rps / base.rps
const fmt = (n) => Math.round(n).toLocaleString("en-US")
const row = (r) =>
  `| ${r.name} | ${fmt(r.rps)} (${r.perRound.map(fmt).join(" / ")}) | ${r.p50} | ${r.p99} (${r.p99PerRound.join(" / ")}) | ${r.max} | ${r.errors} | ${r.mem.rss.toFixed(0)} (peak ${r.mem.peak.toFixed(0)}) |`
console.log(`\n${connections} connections, ${rounds} rounds of ${seconds} s per target, alternating (after ${warmup} s warm-up), node ${process.version}\n`)
console.log("| target | requests/s (per round) | p50 ms | p99 ms, worst (per round) | max ms | errors | RSS MiB |")
console.log("|---|---:|---:|---:|---:|---:|---:|")
console.log(row(gw))
console.log(row(base))
for (const r of more) console.log(row(r))
const pass = ratio >= 0.6 && gw.p99 < 10 && gw.errors === 0
console.log(`\ngateway / bare = ${(ratio * 100).toFixed(1)} % (bar: >= 60 %), gateway p99 ${gw.p99} ms (bar: < 10 ms): ${pass ? "PASS" : "FAIL"}`)
process.exitCode = pass ? 0 : 1
