// A fleet apply: 10 accounts × 100 symbols, every margin type and every leverage changed, through the
// CLI's fleet file (`marginctl apply --file fleet.yaml --yes --json`), against the simulator with a
// 50 ms latency on every request and a weight limit of 1,200 per minute: the wall time against the
// lower bound that the weight limit and the latency set, and the 429s the exchange answered.
//
//   pnpm exec turbo run build --filter=@marginctl/simulator --filter=marginctl
//   node bench/fleet-apply.mjs [--accounts 10] [--symbols 100] [--limit 1200] [--latency-ms 50]
//
// Lower bound = max(latency bound, weight bound). The weight bound: the exchange counts fixed minutes,
// so W weight under a limit L cannot be spent before the (⌈W / L⌉ − 1)-th minute boundary after the
// start (W is the weight the simulator counted for the run). The latency bound: each account's reads
// (one round) then its steps in ⌈steps ÷ C⌉ rounds (C = the planner's default concurrency), each
// round one latency. Prints a BenchResult as JSON (markdown section and summary rows, as
// scripts/bench.mjs reads it); exits 1 when a target is missed (wall ≤ 1.2 × bound, no 429).
import { spawn } from "node:child_process"
import * as http from "node:http"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? fallback : args[i + 1]
}
const ACCOUNTS = Number(option("accounts", "10"))
const SYMBOLS = Number(option("symbols", "100"))
const LIMIT = Number(option("limit", "1200"))
const LATENCY_MS = Number(option("latency-ms", "50"))
/** The planner's default step concurrency (core `Planner.DEFAULT_CONCURRENCY`). */
const CONCURRENCY = 5
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const SIM_MAIN = path.join(root, "packages/simulator/dist/main.js")
const CLI_MAIN = path.join(root, "apps/cli/dist/marginctl.js")
const ADMIN = "fleet-bench-admin-000000000000"
const log = (s) => process.stderr.write(`[fleet-apply] ${s}\n`)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const pad = (n, w) => String(n).padStart(w, "0")

const dir = mkdtempSync(path.join(tmpdir(), "fleet-apply-"))
const symbols = Array.from({ length: SYMBOLS }, (_, i) => `F${pad(i + 1, 3)}USDT`)
const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({
  name: `bot-${pad(i + 1, 2)}`,
  apiKey: `fleetBenchKey${pad(i + 1, 2)}`.padEnd(64, "0"),
  secret: `fleetBenchSecret${pad(i + 1, 2)}`.padEnd(64, "0")
}))
const seedFile = path.join(dir, "seed.json")
writeFileSync(seedFile, JSON.stringify({
  config: { weightLimit: LIMIT, banAfter: 100000, defaultLeverage: 20 },
  symbols: symbols.map((symbol) => ({ symbol, maxLeverage: 50 })),
  accounts: accounts.map((a) => ({ name: a.name, apiKey: a.apiKey, secret: a.secret, balances: { USDT: 10000 } }))
}))

const sim = spawn(process.execPath, [SIM_MAIN, "--port", "0", "--seed", seedFile, "--admin-token", ADMIN], { stdio: ["ignore", "pipe", "pipe"] })
let simOut = ""
sim.stdout.on("data", (d) => (simOut += d))
sim.stderr.on("data", (d) => (simOut += d))
let simUrl
for (let i = 0; i < 400 && simUrl === undefined; i++) {
  simUrl = /simulator listening on (http:\/\/\S+)/.exec(simOut)?.[1]
  if (simUrl === undefined) await sleep(50)
}
if (simUrl === undefined) throw new Error(`the simulator did not start: ${simOut}`)
const control = async (method, p, body) => {
  const res = await fetch(`${simUrl}/_sim${p}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  if (!res.ok) throw new Error(`${method} /_sim${p}: ${res.status} ${await res.text()}`)
  return res.json()
}

// A counting proxy between the CLI and the simulator: the answers by status (the 429s).
const statuses = new Map()
const upstream = new URL(simUrl)
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
const proxy = http.createServer((req, res) => {
  const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
    statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1)
    res.writeHead(answer.statusCode, answer.headers)
    answer.pipe(res)
  })
  out.on("error", () => res.destroy())
  req.pipe(out)
})
await new Promise((r) => proxy.listen(0, "127.0.0.1", r))
const proxyUrl = `http://127.0.0.1:${proxy.address().port}`

const profiles = path.join(dir, "profiles.json")
writeFileSync(profiles, JSON.stringify({ profiles: Object.fromEntries(accounts.map((a) => [a.name, { baseUrl: proxyUrl, apiKey: a.apiKey, apiSecret: a.secret }])) }), { mode: 0o600 })
const fleet = path.join(dir, "fleet.yaml")
writeFileSync(fleet, ["accounts:", "  bot-*:", '    marginTypes: { "*": ISOLATED }', '    leverage: { "*": 10 }', ""].join("\n"))

try {
  await control("POST", "/faults", { kind: "latency", ms: LATENCY_MS })
  // Start right after a minute boundary plus a second, so that the run's minutes are whole ones.
  const msIntoMinute = Date.now() % 60_000
  if (msIntoMinute > 1000) await sleep(61_000 - msIntoMinute)
  await control("DELETE", "/requests/count")
  const started = Date.now()
  const t0 = performance.now()
  const run = await new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_MAIN, "apply", "--file", fleet, "--yes", "--json"], {
      env: { ...process.env, MARGINCTL_CONFIG: profiles, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("exit", (status) => resolve({ status, stdout, stderr }))
  })
  const wallMs = performance.now() - t0
  if (run.status !== 0) throw new Error(`marginctl apply exited ${run.status}: ${run.stderr.slice(-2000)}`)
  const doc = JSON.parse(run.stdout)
  const counts = await control("GET", "/requests/count")
  const state = await control("GET", "/accounts")
  const list = Array.isArray(state) ? state : state.accounts
  const done = list.filter((a) => Object.values(a.symbols ?? {}).filter((s) => s.marginType === "ISOLATED" && s.leverage === 10).length === SYMBOLS).length
  const limited = statuses.get(429) ?? 0
  // The weight the exchange counted: every request's weight (by endpoint) from its counts.
  const weight = Number(doc.accounts.reduce((n, a) => n + (a.plan?.readWeight ?? 0) + (a.plan?.applyWeight ?? 0), 0))
  const minutes = Math.ceil(weight / LIMIT) - 1
  const weightBoundMs = minutes <= 0 ? 0 : minutes * 60_000 - (started % 60_000)
  const steps = Math.max(...doc.accounts.map((a) => a.plan?.steps.length ?? 0))
  const latencyBoundMs = (1 + Math.ceil(steps / CONCURRENCY)) * LATENCY_MS
  const boundMs = Math.max(weightBoundMs, latencyBoundMs)
  const ratio = wallMs / boundMs
  const markdown = [
    `${ACCOUNTS} accounts × ${SYMBOLS} symbols, every symbol from CROSSED 20x to ISOLATED 10x (${ACCOUNTS * SYMBOLS * 2} steps), through one fleet file:`,
    "`marginctl apply --file fleet.yaml --yes --json` (the accounts' profiles all point at one simulator, so they share one",
    `weight budget, as accounts behind one IP share Binance's), a ${LATENCY_MS} ms \`latency\` fault on every request, weight limit`,
    `${LIMIT} per minute (fixed minutes, as the exchange counts them); the run starts just after a minute boundary.`,
    "",
    "**Lower bound** = max(latency bound, weight bound): the weight bound is the time from the start to the (⌈W ÷ L⌉ − 1)-th",
    "minute boundary (W = the plans' read and apply weight, L = the limit); the latency bound is one latency for the reads",
    `and ⌈steps ÷ ${CONCURRENCY}⌉ for an account's steps (accounts in parallel).`,
    "",
    "| accounts | symbols | steps | weight W | wall s | weight bound s | latency bound s | wall ÷ bound | 429s | accounts at the desired state | requests |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${ACCOUNTS} | ${SYMBOLS} | ${ACCOUNTS * SYMBOLS * 2} | ${weight} | ${(wallMs / 1000).toFixed(2)} | ${(weightBoundMs / 1000).toFixed(2)} | ${(latencyBoundMs / 1000).toFixed(2)} | ${ratio.toFixed(2)}× | ${limited} | ${done}/${ACCOUNTS} | ${counts.total} |`,
    "",
    `Answers by status (a counting proxy between the CLI and the simulator): ${[...statuses].map(([s, n]) => `${s} × ${n}`).join(", ")}.`
  ].join("\n")
  const summary = [
    { row: `fleet apply (${ACCOUNTS} accounts × ${SYMBOLS} symbols, limit ${LIMIT}/min, ${LATENCY_MS} ms): wall ÷ lower bound`, marginctl: ratio, bestPeer: null, bestPeerName: "no peer applies a fleet", lowerIsBetter: true, digits: 2, goal: 1.2, reference: true },
    { row: "fleet apply: 429 answers", marginctl: limited, bestPeer: null, bestPeerName: "no peer applies a fleet", lowerIsBetter: true, digits: 0, goal: 0, reference: true }
  ]
  console.log(JSON.stringify({ markdown, summary, raw: { wallMs, weight, weightBoundMs, latencyBoundMs, limited, done } }))
  const pass = ratio <= 1.2 && limited === 0 && done === ACCOUNTS
  log(`${pass ? "PASS" : "FAIL"}: wall ${(wallMs / 1000).toFixed(2)} s, bound ${(boundMs / 1000).toFixed(2)} s (${ratio.toFixed(2)}×), 429s ${limited}, done ${done}/${ACCOUNTS}`)
  process.exitCode = pass ? 0 : 1
} finally {
  proxy.close()
  agent.destroy()
  sim.kill()
  rmSync(dir, { recursive: true, force: true })
}
