/**
 * One client in its own process (`node --expose-gc`): for each operation, a warm-up and then N
 * sequential calls against the simulator, measuring wall time per call and the process's CPU time
 * (user + system, `process.cpuUsage()`; the simulator runs in another process); then M mixed calls
 * and the heap and RSS after a full GC. Prints one JSON object.
 *
 *   node --expose-gc bench/.out/client-cost-worker.mjs --client ccxt --url http://127.0.0.1:PORT
 *        [--n 2000] [--warmup 200] [--mixed 10000] [--symbol BTCUSDT] [--diag budget,tracer]
 */
import { type Adapter, type ClientName, makeAdapter, type MarginType } from "./support/clients.js"
import { API_KEY, SECRET } from "./support/sim.js"
import { args, percentile } from "./support/stats.js"

const a = args()
const client = a.str("client", "marginctl-undici") as ClientName
const url = a.str("url", "")
const n = a.num("n", 2000)
const warmup = a.num("warmup", 200)
const mixed = a.num("mixed", 10_000)
const symbol = a.str("symbol", "BTCUSDT")
const diag = (a.get("diag")?.split(",").filter(Boolean) ?? []) as Array<"budget" | "tracer">

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with node --expose-gc")

const OPERATIONS = ["readMultiAssets", "setMultiAssets", "readMarginType", "setMarginType"] as const
type Operation = (typeof OPERATIONS)[number]

/** The i-th call of an operation; setters alternate so that every call is a real change (starting from off / CROSSED). */
const call = (adapter: Adapter, op: Operation, i: number): Promise<unknown> => {
  switch (op) {
    case "readMultiAssets":
      return adapter.readMultiAssets()
    case "setMultiAssets":
      return adapter.setMultiAssets(i % 2 === 0)
    case "readMarginType":
      return adapter.readMarginType(symbol)
    case "setMarginType":
      return adapter.setMarginType(symbol, (i % 2 === 0 ? "ISOLATED" : "CROSSED") satisfies MarginType)
  }
}

/** Checks that the loop really talks to the exchange: e.g. a setter that answered `unchanged` would be a bug here. */
const check = (op: Operation, result: unknown): void => {
  if (op === "setMultiAssets" || op === "setMarginType") {
    const r = result as { outcome?: string; code?: number } | undefined
    if (r !== undefined && r !== null && typeof r === "object") {
      if ("outcome" in r && r.outcome !== "changed") throw new Error(`${op}: expected a change, got ${JSON.stringify(r)}`)
      if ("code" in r && r.code !== 200) throw new Error(`${op}: expected code 200, got ${JSON.stringify(r)}`)
    }
  }
}

const measure = async (adapter: Adapter, op: Operation) => {
  // Even counts: every setter ends where it started (Multi-Assets off, margin type CROSSED).
  const w = warmup + (warmup % 2)
  const count = n + (n % 2)
  for (let i = 0; i < w; i++) check(op, await call(adapter, op, i))
  gc()
  const latencies = new Float64Array(count)
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < count; i++) {
    const s = process.hrtime.bigint()
    await call(adapter, op, i)
    latencies[i] = Number(process.hrtime.bigint() - s) / 1e6
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6
  const cpu = process.cpuUsage(cpu0)
  const sorted = Array.from(latencies).sort((x, y) => x - y)
  return {
    op,
    calls: count,
    callsPerSecond: count / (wallMs / 1000),
    cpuMicrosPerCall: (cpu.user + cpu.system) / count,
    userMicrosPerCall: cpu.user / count,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99)
  }
}

const main = async () => {
  const t0 = process.hrtime.bigint()
  const adapter = await makeAdapter(client, { url, apiKey: API_KEY, secret: SECRET }, { diag })
  const setupMs = Number(process.hrtime.bigint() - t0) / 1e6
  const operations = []
  for (const op of OPERATIONS) operations.push(await measure(adapter, op))

  // Memory after M mixed calls: a cycle that keeps every setter call a real change.
  const cycle: ReadonlyArray<readonly [Operation, number]> = [
    ["readMultiAssets", 0],
    ["setMultiAssets", 0], // on
    ["setMultiAssets", 1], // off
    ["readMarginType", 0],
    ["setMarginType", 0], // ISOLATED
    ["setMarginType", 1] // CROSSED
  ]
  // Whole cycles, so the account ends as it started.
  const mixedCalls = Math.ceil(mixed / cycle.length) * cycle.length
  gc()
  const before = process.memoryUsage()
  for (let i = 0; i < mixedCalls; i++) {
    const [op, k] = cycle[i % cycle.length]!
    await call(adapter, op, k)
  }
  gc()
  gc()
  const after = process.memoryUsage()
  await adapter.close()
  process.stdout.write(`${JSON.stringify({
    client,
    diag,
    setupMs,
    operations,
    memory: {
      calls: mixedCalls,
      heapUsedMiB: after.heapUsed / 2 ** 20,
      rssMiB: after.rss / 2 ** 20,
      heapGrowthMiB: (after.heapUsed - before.heapUsed) / 2 ** 20
    }
  })}\n`)
  process.exit(0)
}

main().catch((e) => {
  process.stderr.write(`${client}: ${e instanceof Error ? e.stack ?? e.message : JSON.stringify(e)}\n`)
  process.exit(1)
})
