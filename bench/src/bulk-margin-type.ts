/**
 * Bulk margin type: 200 symbols from CROSSED to ISOLATED with a 50 ms `latency` fault on
 * POST /fapi/v1/marginType, weight limit 2400/min.
 *
 *   marginctl  what `marginctl margin-type set ISOLATED …` does: snapshot → plan → apply, concurrency C = 5, 10, 20
 *   peers      a sequential loop (what their docs show; each error is caught and the loop goes on) and an
 *              unbounded `Promise.all` burst. ccxt keeps its default throttle (enableRateLimit: true).
 *
 * Each run starts from a reset simulator; a counting proxy (own process) between client and simulator
 * counts answers by status (429, 418); the simulator's account state says whether every symbol ended
 * ISOLATED. Lower bound = max(latency bound, weight bound):
 *   latency bound = ⌈200 / C⌉ × 50 ms (sequential C = 1, burst C = 200)
 *   weight bound  = 0 when the 200 POSTs (weight 1 each) fit the limit L; otherwise the time from the
 *                   start to the (⌈200/L⌉ − 1)-th next minute boundary (Binance counts fixed minutes).
 * `--full` adds a second round with the limit lowered to 150/min (PUT /_sim/config), each run starting
 * 1 s after a minute boundary and capped at 130 s, to show who gets 429s/418s and who waits (about 8 min).
 *
 *   node bench/.out/bulk-margin-type.mjs [--quick] [--full] [--symbols 200] [--latency 50] [--out FILE]
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { type Adapter, LABELS, makeAdapter, type Peer, PEERS } from "./support/clients.js"
import { best, type BenchResult, fmt, type SummaryRow, table } from "./support/report.js"
import { ACCOUNT, API_KEY, generatedSymbols, SECRET, seed, type Service, type Sim, spawnService, startSimulator } from "./support/sim.js"
import { args, log, msSince, writeResult } from "./support/stats.js"

const a = args()
const quick = a.has("quick")
const full = a.has("full")
const symbolCount = a.num("symbols", 200)
const latencyMs = a.num("latency", 50)
const concurrencies = (a.get("concurrency") ?? "5,10,20").split(",").map(Number)
const lowLimit = a.num("low-limit", 150)
const capMs = a.num("cap-seconds", 130) * 1000
const repeat = a.num("repeat", quick ? 1 : 3)
const symbols = generatedSymbols(symbolCount)
const here = path.dirname(fileURLToPath(import.meta.url))

interface Run {
  readonly client: string
  readonly style: string
  readonly concurrency: number
  readonly limit: number
  readonly wallMs: number
  readonly latencyBoundMs: number
  readonly weightBoundMs: number
  readonly byStatus: Record<string, number>
  readonly isolated: number
  /** POST /fapi/v1/marginType requests the simulator received (200 when nothing was sent twice). */
  readonly posts: number
  readonly clientErrors: number
  readonly timedOut: boolean
  readonly note?: string
}

const latencyBound = (c: number) => Math.ceil(symbolCount / c) * latencyMs

/** Fixed one-minute windows from `start` (epoch ms): when the last of `weight` units can be admitted. */
const weightBound = (weight: number, limit: number, start: number) => {
  if (weight <= limit) return 0
  const windows = Math.ceil(weight / limit)
  return (60_000 - (start % 60_000)) + (windows - 2) * 60_000
}

/**
 * With a lowered limit every run starts 1 s after a minute boundary (the simulator's clock is this
 * machine's), so that no run gets twice the limit by straddling two of the exchange's fixed minutes by luck.
 */
const alignToMinute = async () => {
  const wait = (61_000 - (Date.now() % 60_000)) % 60_000
  if (wait > 0 && wait < 59_000) {
    log(`bulk-margin-type: waiting ${Math.round(wait / 1000)} s for the next minute`)
    await new Promise((resolve) => setTimeout(resolve, wait))
  }
}

const prepare = async (sim: Sim, proxy: Service, limit: number) => {
  await sim.reset()
  await sim.control("POST", "faults", { kind: "latency", ms: latencyMs, endpoint: "/fapi/v1/marginType", method: "POST" })
  if (limit !== 2400) {
    await sim.control("PUT", "config", { weightLimit: limit })
    await alignToMinute()
  }
  await fetch(`${proxy.url}/_proxy/counts`, { method: "DELETE" })
}

const finish = async (sim: Sim, proxy: Service) => {
  const counts = await (await fetch(`${proxy.url}/_proxy/counts`)).json() as { byStatus: Record<string, number> }
  const account = await sim.control("GET", `accounts/${ACCOUNT}`) as { symbols: Record<string, { marginType: string }> }
  const isolated = symbols.filter((s) => account.symbols[s]?.marginType === "ISOLATED").length
  const posts = (await sim.counts()).byEndpoint["POST /fapi/v1/marginType"] ?? 0
  return { byStatus: counts.byStatus, isolated, posts }
}

const runMarginctl = async (sim: Sim, proxy: Service, concurrency: number, limit: number): Promise<Run> => {
  await prepare(sim, proxy, limit)
  const m = await import("./support/marginctl.js")
  const handle = await m.make("marginctl-undici", { url: proxy.url, apiKey: API_KEY, secret: SECRET }, { learnLimit: false })
  const start = Date.now()
  const t0 = process.hrtime.bigint()
  const outcome = await m.bulkSet(handle, symbols, "ISOLATED", concurrency, capMs)
  const wallMs = msSince(t0)
  await handle.runtime.dispose()
  const { byStatus, isolated, posts } = await finish(sim, proxy)
  const s = outcome.summary
  return {
    client: "marginctl",
    style: `plan + apply, C = ${concurrency}`,
    concurrency,
    limit,
    wallMs,
    latencyBoundMs: latencyBound(concurrency),
    weightBoundMs: weightBound(symbolCount, limit, start),
    byStatus,
    isolated,
    posts,
    clientErrors: s.failed + s.blocked,
    timedOut: outcome.timedOut,
    note: `${s.changed} changed, ${s.failed} failed; snapshot weight ${outcome.readWeight}`
  }
}

const runPeer = async (sim: Sim, proxy: Service, peer: Peer, style: "sequential" | "burst", limit: number): Promise<Run> => {
  await prepare(sim, proxy, limit)
  const adapter: Adapter = await makeAdapter(peer, { url: proxy.url, apiKey: API_KEY, secret: SECRET }, { ccxtRateLimit: true })
  let errors = 0
  let firstError = ""
  const onError = (e: unknown) => {
    errors++
    firstError ||= e instanceof Error ? e.message.slice(0, 120) : JSON.stringify(e).slice(0, 120)
  }
  const start = Date.now()
  const deadline = start + capMs
  let timedOut = false
  const t0 = process.hrtime.bigint()
  if (style === "sequential") {
    for (const s of symbols) {
      if (Date.now() > deadline) {
        timedOut = true
        break
      }
      await adapter.setMarginType(s, "ISOLATED").catch(onError)
    }
  } else {
    const all = Promise.allSettled(symbols.map((s) => adapter.setMarginType(s, "ISOLATED").catch(onError)))
    const cap = new Promise<"cap">((resolve) => setTimeout(() => resolve("cap"), capMs).unref())
    timedOut = (await Promise.race([all, cap])) === "cap"
  }
  const wallMs = msSince(t0)
  await adapter.close()
  const { byStatus, isolated, posts } = await finish(sim, proxy)
  return {
    client: LABELS[peer],
    style: style === "sequential" ? "sequential loop" : "Promise.all burst",
    concurrency: style === "sequential" ? 1 : symbolCount,
    limit,
    wallMs,
    latencyBoundMs: latencyBound(style === "sequential" ? 1 : symbolCount),
    weightBoundMs: weightBound(symbolCount, limit, start),
    byStatus,
    isolated,
    posts,
    clientErrors: errors,
    timedOut,
    ...(firstError ? { note: `first error: ${firstError.replace(/\|/g, "\\|")}` } : {})
  }
}

/** Untimed: every client sets 20 symbols once, so that no measured run pays for loading or JIT-compiling its library. */
const warmUp = async (sim: Sim, proxy: Service) => {
  const few = symbols.slice(0, 20)
  await prepare(sim, proxy, 2400)
  const m = await import("./support/marginctl.js")
  const handle = await m.make("marginctl-undici", { url: proxy.url, apiKey: API_KEY, secret: SECRET }, { learnLimit: false })
  await m.bulkSet(handle, few, "ISOLATED", 10, capMs)
  await handle.runtime.dispose()
  for (const peer of PEERS) {
    await prepare(sim, proxy, 2400)
    const adapter = await makeAdapter(peer, { url: proxy.url, apiKey: API_KEY, secret: SECRET }, { ccxtRateLimit: false })
    await Promise.all(few.map((s) => adapter.setMarginType(s, "ISOLATED")))
    await adapter.close()
  }
}

/** The run with the median wall time of `repeat` runs (other work on the machine adds noise). */
const repeated = async (label: string, times: number, once: () => Promise<Run>): Promise<Run> => {
  const runs: Array<Run> = []
  for (let i = 0; i < times; i++) {
    log(`bulk-margin-type: ${label}${times > 1 ? ` (${i + 1}/${times})` : ""}`)
    runs.push(await once())
  }
  return [...runs].sort((x, y) => x.wallMs - y.wallMs)[Math.floor((runs.length - 1) / 2)]!
}

/** One round at `limit`; sequential loops (10 s or more, little affected by noise) run once, the others `times` times. */
const round = async (sim: Sim, proxy: Service, limit: number, marginctlConcurrency: ReadonlyArray<number>, times: number) => {
  const runs: Array<Run> = []
  for (const c of marginctlConcurrency) {
    runs.push(await repeated(`limit ${limit}, marginctl C=${c}`, times, () => runMarginctl(sim, proxy, c, limit)))
  }
  for (const peer of PEERS) {
    for (const style of ["sequential", "burst"] as const) {
      const n = style === "sequential" ? 1 : times
      runs.push(await repeated(`limit ${limit}, ${peer} ${style}`, n, () => runPeer(sim, proxy, peer, style, limit)))
    }
  }
  return runs
}

const status = (r: Run, code: string) => r.byStatus[code] ?? 0

const runTable = (runs: ReadonlyArray<Run>) =>
  table(
    ["client", "style", "wall s", "lower bound s", "wall ÷ bound", "429s", "418s", "ISOLATED at the end", "POSTs sent", "client errors", "note"],
    runs.map((r) => {
      const bound = Math.max(r.latencyBoundMs, r.weightBoundMs)
      return [
        r.client,
        r.style,
        fmt(r.wallMs / 1000, 2) + (r.timedOut ? " (cap)" : ""),
        fmt(bound / 1000, 2) + (r.weightBoundMs > r.latencyBoundMs ? " (weight)" : ""),
        `${fmt(r.wallMs / bound, 2)}×`,
        String(status(r, "429")),
        String(status(r, "418")),
        `${r.isolated}/${symbolCount}${r.isolated === symbolCount ? " ✓" : " ✗"}`,
        String(r.posts),
        String(r.clientErrors),
        r.note ?? ""
      ]
    }),
    "---|---|---:|---:|---:|---:|---:|---:|---:|---:|---"
  )

const main = async () => {
  const sim = await startSimulator(seed({ symbols }))
  const proxy = await spawnService([path.join(here, "count-proxy.mjs"), "--target", sim.url], /count proxy listening on (http:\/\/\S+)/, {
    name: "count proxy"
  })
  let first: Array<Run> = []
  let second: Array<Run> = []
  try {
    log("bulk-margin-type: warm-up")
    await warmUp(sim, proxy)
    first = await round(sim, proxy, 2400, concurrencies, repeat)
    if (full) second = await round(sim, proxy, lowLimit, [10], 1)
  } finally {
    await proxy.stop()
    await sim.stop()
  }

  // Summary: marginctl's best C against the best peer run that ended complete with no 429 (else the best peer run).
  const mine = first.filter((r) => r.client === "marginctl")
  const peers = first.filter((r) => r.client !== "marginctl")
  const bestMine = mine.reduce((x, y) => (y.wallMs < x.wallMs ? y : x))
  const complete = (r: Run) => r.isolated === symbolCount && status(r, "429") === 0 && status(r, "418") === 0
  const bestWall = best(peers.filter(complete).map((r) => ({ name: `${r.client}, ${r.style}`, value: r.wallMs / 1000 })), true)
  const bestRatio = best(peers.filter(complete).map((r) => ({ name: `${r.client}, ${r.style}`, value: r.wallMs / Math.max(r.latencyBoundMs, r.weightBoundMs) })), true)
  const peer429 = Math.min(...peers.map((r) => status(r, "429") + status(r, "418")))
  const summary: Array<SummaryRow> = [
    {
      row: `bulk ${symbolCount} symbols, ${latencyMs} ms latency: wall s (marginctl C = ${bestMine.concurrency})`,
      marginctl: bestMine.wallMs / 1000,
      bestPeer: bestWall?.value ?? null,
      bestPeerName: bestWall?.name ?? null,
      lowerIsBetter: true,
      digits: 2,
      note: "marginctl bounds its concurrency (C ≤ 20) by design; an unbounded burst reaches the latency floor in one round trip but has no limit on what it sends"
    },
    {
      row: "bulk: wall ÷ own lower bound",
      marginctl: bestMine.wallMs / Math.max(bestMine.latencyBoundMs, bestMine.weightBoundMs),
      bestPeer: bestRatio?.value ?? null,
      bestPeerName: bestRatio?.name ?? null,
      lowerIsBetter: true,
      digits: 2
    },
    {
      row: "bulk: 429/418 answers (must be 0)",
      marginctl: Math.max(...mine.map((r) => status(r, "429") + status(r, "418"))),
      bestPeer: peer429,
      bestPeerName: "fewest of any peer run",
      lowerIsBetter: true,
      digits: 0,
      goal: 0,
      note: "at 2400/min none of the 200 weight-1 POSTs can reach the limit; the low-limit round (--full) is where 429s appear"
    }
  ]
  if (second.length > 0) {
    const m = second.find((r) => r.client === "marginctl")!
    const p = second.filter((r) => r.client !== "marginctl")
    const fewest = best(p.map((r) => ({ name: `${r.client}, ${r.style}`, value: status(r, "429") + status(r, "418") })), true)
    summary.push({
      row: `bulk at ${lowLimit}/min: 429/418 answers`,
      marginctl: status(m, "429") + status(m, "418"),
      bestPeer: fewest?.value ?? null,
      bestPeerName: fewest?.name ?? null,
      lowerIsBetter: true,
      digits: 0,
      goal: 0
    })
    const peerIsolated = best(p.map((r) => ({ name: `${r.client}, ${r.style}`, value: r.isolated })), false)
    summary.push({
      row: `bulk at ${lowLimit}/min: symbols ISOLATED at the end (of ${symbolCount})`,
      marginctl: m.isolated,
      bestPeer: peerIsolated?.value ?? null,
      bestPeerName: peerIsolated?.name ?? null,
      lowerIsBetter: false,
      digits: 0,
      goal: symbolCount,
      ...(m.timedOut ? { note: `marginctl was cut by the ${capMs / 1000} s cap` } : {})
    })
  }

  const markdown = [
    `${symbolCount} symbols (\`S001USDT\`…) from CROSSED to ISOLATED, a ${latencyMs} ms \`latency\` fault on POST /fapi/v1/marginType, ` +
    `a fresh simulator state per run, a counting proxy (own process) between client and simulator for the 429/418 count, ` +
    `after an untimed warm-up of every client (20 symbols each)${repeat > 1 ? `; each row except the sequential loops is the median of ${repeat} runs` : ""}. ` +
    `marginctl = MarginClient.getAccountSnapshot → Planner.plan → Planner.applyWith (undici; the snapshot's reads are inside the wall time). ` +
    `Peer loops catch each error and go on; ccxt keeps its default throttle (\`enableRateLimit: true\`, 50 ms per weight unit).`,
    `**Lower bound** = max(latency bound, weight bound): latency bound = ⌈${symbolCount} ÷ C⌉ × ${latencyMs} ms (sequential C = 1, burst C = ${symbolCount}); ` +
    `weight bound = 0 when the ${symbolCount} weight-1 POSTs fit the per-minute limit L, else the time from the start to the ` +
    `(⌈${symbolCount}/L⌉ − 1)-th next minute boundary (the exchange counts fixed minutes).`,
    `**Limit 2400/min** (weight bound 0)\n\n${runTable(first)}`,
    second.length > 0
      ? `**Limit ${lowLimit}/min** (\`PUT /_sim/config\`; each run starts 1 s after a minute boundary, so that none gets two minutes' ` +
        `worth of weight by luck, and is capped at ${capMs / 1000} s)\n\n${runTable(second)}\n\n` +
        `marginctl's snapshot costs ${second.find((r) => r.client === "marginctl")?.note?.match(/snapshot weight (\d+)/)?.[1] ?? "?"} weight ` +
        `(openOrders and openAlgoOrders without a symbol are 40 each), which leaves less of the first minute for the POSTs; ` +
        `its budget is a sliding 60 s window, so it waits a full minute after its first reservations even when the exchange's fixed minute ends sooner. ` +
        `"POSTs sent" above ${symbolCount} means requests the exchange rejected and the client sent again.`
      : `_The low-limit round (${lowLimit}/min) runs with \`--full\` (about 8 minutes more)._`
  ].join("\n\n")

  const result: BenchResult = {
    name: "bulk-margin-type",
    title: "Bulk margin type",
    markdown,
    summary,
    raw: { symbolCount, latencyMs, concurrencies, first, second }
  }
  writeResult(a.get("out"), result)
}

main().catch((e) => {
  log(e instanceof Error ? e.stack : String(e))
  process.exit(1)
})
