/**
 * Client cost: per-call CPU time, calls/s and latency for reading and setting Multi-Assets Mode and a
 * margin type, through marginctl's core (three HTTP layers) and each peer, against one simulator
 * process; heap and RSS after M mixed calls. Every client runs in its own `node --expose-gc` child
 * (client-cost-worker), one after the other; with `--rounds R` the clients run R times in alternating
 * order and each figure is the median.
 *
 *   node bench/.out/client-cost.mjs [--quick] [--n 2000] [--warmup 200] [--mixed 10000] [--rounds 1] [--out FILE]
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { type ClientName, isMarginctl, LABELS, MARGINCTL_VARIANTS, PEERS } from "./support/clients.js"
import { best, type BenchResult, fmt, type SummaryRow, table } from "./support/report.js"
import { seed, startSimulator } from "./support/sim.js"
import { args, log, median, writeResult } from "./support/stats.js"

const a = args()
const quick = a.has("quick")
const n = a.num("n", quick ? 300 : 2000)
const warmup = a.num("warmup", quick ? 50 : 200)
const mixed = a.num("mixed", quick ? 2000 : 10_000)
const rounds = a.num("rounds", 1)
const only = a.get("clients")?.split(",") as Array<ClientName> | undefined
const clients: ReadonlyArray<ClientName> = only ?? [...MARGINCTL_VARIANTS, ...PEERS]
type Diag = "budget" | "tracer"
/**
 * Diagnostic runs (never in the summary): two floors (the same signed requests with node:http, and
 * with @effect/platform's HttpClient alone) and marginctl (undici) with parts swapped for trivial
 * ones: where its CPU time goes.
 */
const DIAGS: ReadonlyArray<{ readonly client: ClientName; readonly diag: ReadonlyArray<Diag> }> = a.has("no-diag")
  ? []
  : [
    { client: "baseline-nodehttp", diag: [] },
    { client: "baseline-effect-undici", diag: [] },
    { client: "marginctl-undici", diag: ["budget"] },
    { client: "marginctl-undici", diag: ["tracer"] },
    { client: "marginctl-undici", diag: ["budget", "tracer"] }
  ]
const DIAG_TEXT: Record<Diag, string> = {
  budget: "a WeightBudget that admits everything",
  tracer: "spans off (`Layer.setTracerEnabled(false)`)"
}
const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), "client-cost-worker.mjs")

const OPS = [
  ["readMultiAssets", "read Multi-Assets"],
  ["setMultiAssets", "set Multi-Assets"],
  ["readMarginType", "read margin type (1 symbol)"],
  ["setMarginType", "set margin type"]
] as const

interface OpResult {
  op: string
  calls: number
  callsPerSecond: number
  cpuMicrosPerCall: number
  p50Ms: number
  p99Ms: number
}
interface WorkerResult {
  client: ClientName
  diag: Array<Diag>
  setupMs: number
  operations: Array<OpResult>
  memory: { calls: number; heapUsedMiB: number; rssMiB: number; heapGrowthMiB: number }
}

const runWorker = (client: ClientName, url: string, diag: ReadonlyArray<Diag> = []): Promise<WorkerResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      "--expose-gc",
      worker,
      "--client", client,
      "--url", url,
      "--n", String(n),
      "--warmup", String(warmup),
      "--mixed", String(mixed),
      ...(diag.length > 0 ? ["--diag", diag.join(",")] : [])
    ], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stdout.on("data", (d) => (out += d))
    child.stderr.on("data", (d) => (err += d))
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`${client} worker exited with ${code}:\n${err}`))
      try {
        resolve(JSON.parse(out.trim().split("\n").at(-1)!))
      } catch (e) {
        reject(new Error(`${client}: unreadable output ${out}\n${err}`))
      }
    })
  })

const mergeRounds = (runs: ReadonlyArray<WorkerResult>): WorkerResult => ({
  client: runs[0]!.client,
  diag: runs[0]!.diag,
  setupMs: median(runs.map((r) => r.setupMs)),
  operations: runs[0]!.operations.map((o, i) => ({
    op: o.op,
    calls: o.calls,
    callsPerSecond: median(runs.map((r) => r.operations[i]!.callsPerSecond)),
    cpuMicrosPerCall: median(runs.map((r) => r.operations[i]!.cpuMicrosPerCall)),
    p50Ms: median(runs.map((r) => r.operations[i]!.p50Ms)),
    p99Ms: median(runs.map((r) => r.operations[i]!.p99Ms))
  })),
  memory: {
    calls: runs[0]!.memory.calls,
    heapUsedMiB: median(runs.map((r) => r.memory.heapUsedMiB)),
    rssMiB: median(runs.map((r) => r.memory.rssMiB)),
    heapGrowthMiB: median(runs.map((r) => r.memory.heapGrowthMiB))
  }
})

const main = async () => {
  const sim = await startSimulator(seed({ weightLimit: 10_000_000 }))
  const runs = new Map<ClientName, Array<WorkerResult>>()
  const diagRuns = DIAGS.map(() => [] as Array<WorkerResult>)
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? clients : [...clients].reverse()
      for (const client of order) {
        await sim.reset()
        log(`client-cost: round ${round + 1}/${rounds} ${client} (n ${n}, mixed ${mixed})`)
        const r = await runWorker(client, sim.url)
        runs.set(client, [...(runs.get(client) ?? []), r])
      }
      for (const [i, job] of DIAGS.entries()) {
        await sim.reset()
        log(`client-cost: round ${round + 1}/${rounds} diagnostic ${job.client}${job.diag.length ? ` + ${job.diag.join("+")}` : ""}`)
        diagRuns[i]!.push(await runWorker(job.client, sim.url, job.diag))
      }
    }
  } finally {
    await sim.stop()
  }
  const results = clients.map((c) => mergeRounds(runs.get(c)!))
  const diagnostics = diagRuns.map(mergeRounds)

  // marginctl = the HTTP layer with the lowest mean CPU per call over the four operations.
  const meanCpu = (r: WorkerResult) => r.operations.reduce((s, o) => s + o.cpuMicrosPerCall, 0) / r.operations.length
  const variants = results.filter((r) => isMarginctl(r.client))
  const chosen = variants.length > 0 ? variants.reduce((x, y) => (meanCpu(y) < meanCpu(x) ? y : x)) : undefined
  const peers = results.filter((r) => !isMarginctl(r.client))

  const opTable = (key: string, label: string) => {
    const rows = results.map((r) => {
      const o = r.operations.find((x) => x.op === key)!
      return [
        LABELS[r.client] + (r === chosen ? " ★" : ""),
        fmt(o.callsPerSecond, 0),
        fmt(o.cpuMicrosPerCall, 0),
        fmt(o.p50Ms, 2),
        fmt(o.p99Ms, 2)
      ]
    })
    return `**${label}** (${fmt(results[0]!.operations[0]!.calls, 0)} sequential calls after ${warmup} warm-up calls)\n\n` +
      table(["client", "calls/s", "CPU µs/call", "p50 ms", "p99 ms"], rows)
  }
  const memTable = table(
    ["client", "heap used MiB", "RSS MiB", "heap growth over the mixed calls MiB", "setup ms"],
    results.map((r) => [
      LABELS[r.client] + (r === chosen ? " ★" : ""),
      fmt(r.memory.heapUsedMiB, 1),
      fmt(r.memory.rssMiB, 1),
      fmt(r.memory.heapGrowthMiB, 2),
      fmt(r.setupMs, 0)
    ])
  )

  const baseline = results.find((r) => r.client === "marginctl-undici")
  const diagTable = baseline === undefined || diagnostics.length === 0 ? "" : table(
    ["client", ...OPS.map(([, l]) => `${l} CPU µs`), "mean CPU µs/call", "vs marginctl as shipped"],
    [...diagnostics.filter((r) => !isMarginctl(r.client)), baseline, ...diagnostics.filter((r) => isMarginctl(r.client))].map((r) => {
      const mean = meanCpu(r)
      return [
        !isMarginctl(r.client)
          ? LABELS[r.client]
          : r.diag.length === 0
          ? "**marginctl core (undici), as shipped**"
          : `marginctl (undici) with ${r.diag.map((d) => DIAG_TEXT[d]).join(" + ")}`,
        ...OPS.map(([key]) => fmt(r.operations.find((o) => o.op === key)!.cpuMicrosPerCall, 0)),
        fmt(mean, 0),
        r === baseline ? "" : `${fmt(mean - meanCpu(baseline), 0)} µs`
      ]
    })
  )

  const summary: Array<SummaryRow> = []
  if (chosen !== undefined) {
    for (const [key, label] of OPS) {
      const mine = chosen.operations.find((o) => o.op === key)!
      const others = peers.map((p) => ({ name: LABELS[p.client], o: p.operations.find((x) => x.op === key)! }))
      const cps = best(others.map((p) => ({ name: p.name, value: p.o.callsPerSecond })), false)
      const cpu = best(others.map((p) => ({ name: p.name, value: p.o.cpuMicrosPerCall })), true)
      summary.push({
        row: `${label}: calls/s`,
        marginctl: mine.callsPerSecond,
        bestPeer: cps?.value ?? null,
        bestPeerName: cps?.name ?? null,
        lowerIsBetter: false,
        digits: 0
      })
      summary.push({
        row: `${label}: client CPU µs/call`,
        marginctl: mine.cpuMicrosPerCall,
        bestPeer: cpu?.value ?? null,
        bestPeerName: cpu?.name ?? null,
        lowerIsBetter: true,
        digits: 0
      })
    }
    for (const [key, label] of [["heapUsedMiB", "heap"], ["rssMiB", "RSS"]] as const) {
      const b = best(peers.map((p) => ({ name: LABELS[p.client], value: p.memory[key] })), true)
      summary.push({
        row: `memory after ${fmt(chosen.memory.calls, 0)} calls: ${label} MiB`,
        marginctl: chosen.memory[key],
        bestPeer: b?.value ?? null,
        bestPeerName: b?.name ?? null,
        lowerIsBetter: true,
        digits: 1
      })
    }
  }

  const markdown = [
    `One simulator process (weight limit 10,000,000/min so that limits never interfere), each client in its own ` +
    `\`node --expose-gc\` process, one after the other${rounds > 1 ? `, ${rounds} rounds in alternating order, medians` : ""}. ` +
    `CPU = user + system time of the client process (\`process.cpuUsage()\`) ÷ calls; calls/s and latency are sequential (one call in flight). ` +
    `marginctl reads Multi-Assets from \`accountConfig\` (weight 5), the peers from their documented \`multiAssetsMargin\` GET (weight 30); ` +
    `setters alternate values so that every call is a real change. ★ = the marginctl HTTP layer used in the summary ` +
    `(lowest mean CPU per call${chosen ? `: ${LABELS[chosen.client]}` : ""}).`,
    ...OPS.map(([key, label]) => opTable(key, label)),
    `**Memory after ${fmt(results[0]!.memory.calls, 0)} mixed calls** (reads and real changes of both settings, then \`global.gc()\`; setup = constructing the client, ` +
    `for marginctl including \`exchangeInfo\`)\n\n${memTable}`,
    diagTable === ""
      ? ""
      : `**Where marginctl's CPU time goes** (diagnostic runs, not in the summary: two floors that send the same signed requests with ` +
        `the least code, then marginctl with one part of the core swapped for a trivial one; same loop, same simulator; ` +
        `one run each, so differences of a few hundred µs are within the noise of a shared machine)\n\n${diagTable}`
  ].filter(Boolean).join("\n\n")

  const result: BenchResult = {
    name: "client-cost",
    title: "Client cost",
    markdown,
    summary,
    raw: { n, warmup, mixed, rounds, chosen: chosen?.client, results, diagnostics }
  }
  writeResult(a.get("out"), result)
}

main().catch((e) => {
  log(e instanceof Error ? e.stack : String(e))
  process.exit(1)
})
