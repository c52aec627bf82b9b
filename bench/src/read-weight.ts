/**
 * Read cost in exchange weight: 1,000 Multi-Assets reads through each peer's documented method and
 * through marginctl's core (one caller, sequential), and through the gateway with 50 concurrent
 * callers × 20 reads. The weight is counted at the simulator: `GET /_sim/requests/count` (`byEndpoint`),
 * each request priced by core's catalog; counts are cleared after each client is set up, so the
 * figure is what the reads cost (including, e.g., marginctl's one GET /fapi/v1/time clock sync).
 *
 *   node bench/.out/read-weight.mjs [--quick] [--reads 1000] [--callers 50] [--out FILE]
 */
import { createHash } from "node:crypto"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { type ClientName, LABELS, makeAdapter, PEERS } from "./support/clients.js"
import { best, type BenchResult, fmt, type SummaryRow, table } from "./support/report.js"
import { ACCOUNT, API_KEY, ROOT, SECRET, seed, type Sim, spawnService, startSimulator } from "./support/sim.js"
import { args, log, msSince, writeResult } from "./support/stats.js"
import { weightOf } from "./support/weight.js"

const a = args()
const reads = a.num("reads", 1000)
const callers = a.num("callers", 50)
const GATEWAY_MAIN = path.join(ROOT, "apps/gateway/dist/main.js")
const TOKEN = "mgw_bench_read_weight_token_0000000000000"

interface Row {
  readonly name: string
  readonly callers: number
  readonly reads: number
  readonly requests: Record<string, number>
  readonly weight: number
  readonly wallMs: number
  readonly errors: number
  readonly note?: string
}

const describeRequests = (byEndpoint: Record<string, number>) =>
  Object.entries(byEndpoint).map(([k, n]) => `${n} × ${k.replace(/^GET \/fapi\/v\d\//, "")}`).join(", ") || "none"

const throughClient = async (sim: Sim, client: ClientName): Promise<Row> => {
  await sim.reset()
  const adapter = await makeAdapter(client, { url: sim.url, apiKey: API_KEY, secret: SECRET })
  await sim.clearCounts()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < reads; i++) await adapter.readMultiAssets()
  const wallMs = msSince(t0)
  const { byEndpoint } = await sim.counts()
  await adapter.close()
  return { name: LABELS[client], callers: 1, reads, requests: byEndpoint, weight: weightOf(byEndpoint), wallMs, errors: 0 }
}

/** The gateway against this simulator: a config file with one account and one read token. */
const throughGateway = async (sim: Sim): Promise<Row | string> => {
  if (!existsSync(GATEWAY_MAIN)) return "apps/gateway/dist/main.js is missing (build the gateway)"
  await sim.reset()
  const dir = mkdtempSync(path.join(tmpdir(), "marginctl-bench-gw-"))
  const configFile = path.join(dir, "gateway.json")
  writeFileSync(configFile, JSON.stringify({
    host: "127.0.0.1",
    port: 0,
    dataDir: path.join(dir, "data"),
    logLevel: "info",
    logFormat: "logfmt",
    cacheTtlMs: 2000,
    tokens: [{ name: "bench", sha256: createHash("sha256").update(TOKEN).digest("hex"), scopes: ["read"], accounts: ["*"] }],
    accounts: [{ name: ACCOUNT, baseUrl: sim.url, apiKeyEnv: "BENCH_API_KEY", apiSecretEnv: "BENCH_API_SECRET" }]
  }))
  let gateway
  try {
    gateway = await spawnService([GATEWAY_MAIN, "--config", configFile], /listening on (http:\/\/[\d.:]+)/, {
      env: { BENCH_API_KEY: API_KEY, BENCH_API_SECRET: SECRET, MARGINCTL_GATEWAY_PORT: "0" },
      name: "gateway"
    })
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    return `the gateway did not start: ${(e as Error).message.split("\n")[0]}`
  }
  try {
    await sim.clearCounts()
    const url = `${gateway.url}/v1/accounts/${ACCOUNT}/multi-assets`
    const headers = { authorization: `Bearer ${TOKEN}` }
    const perCaller = Math.ceil(reads / callers)
    let errors = 0
    let firstError = ""
    const t0 = process.hrtime.bigint()
    await Promise.all(Array.from({ length: callers }, async () => {
      for (let i = 0; i < perCaller; i++) {
        const res = await fetch(url, { headers })
        const body = await res.text()
        if (!res.ok) {
          errors++
          firstError ||= `${res.status} ${body.slice(0, 200)}`
        }
      }
    }))
    const wallMs = msSince(t0)
    const { byEndpoint } = await sim.counts()
    return {
      name: "marginctl gateway (cache TTL 2 s, coalesced)",
      callers,
      reads: perCaller * callers,
      requests: byEndpoint,
      weight: weightOf(byEndpoint),
      wallMs,
      errors,
      ...(firstError ? { note: `first error: ${firstError}` } : {})
    }
  } finally {
    await gateway.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const main = async () => {
  const sim = await startSimulator(seed({ weightLimit: 10_000_000 }))
  const rows: Array<Row> = []
  let gatewayPending: string | undefined
  try {
    for (const client of ["marginctl-undici", ...PEERS] as const) {
      log(`read-weight: ${client}`)
      rows.push(await throughClient(sim, client))
    }
    log("read-weight: gateway")
    const gw = await throughGateway(sim)
    if (typeof gw === "string") gatewayPending = gw
    else rows.push(gw)
  } finally {
    await sim.stop()
  }

  const per1000 = (r: Row) => (r.weight / r.reads) * 1000
  const core = rows[0]!
  const peers = rows.filter((r) => !r.name.startsWith("marginctl"))
  const gateway = rows.find((r) => r.name.includes("gateway"))
  const bestPeer = best(peers.map((r) => ({ name: r.name, value: per1000(r) })), true)

  const summary: Array<SummaryRow> = [{
    row: "weight per 1,000 Multi-Assets reads (core, 1 caller)",
    marginctl: per1000(core),
    bestPeer: bestPeer?.value ?? null,
    bestPeerName: bestPeer?.name ?? null,
    lowerIsBetter: true,
    digits: 0
  }, gateway === undefined
    ? {
      row: "weight per 1,000 Multi-Assets reads (gateway, 50 callers)",
      marginctl: null,
      bestPeer: bestPeer?.value ?? null,
      bestPeerName: bestPeer?.name ?? null,
      lowerIsBetter: true,
      pending: `pending (gateway): ${gatewayPending}`
    }
    : {
      row: `weight per 1,000 Multi-Assets reads (gateway, ${callers} callers)`,
      marginctl: per1000(gateway),
      bestPeer: bestPeer?.value ?? null,
      bestPeerName: bestPeer?.name ?? null,
      lowerIsBetter: true,
      digits: 0,
      ...(gateway.errors > 0 ? { note: `${gateway.errors} gateway errors` } : {})
    }]

  const markdown = [
    `Reads of the Multi-Assets flag against one simulator; weight counted at the simulator (\`GET /_sim/requests/count\`, ` +
    `each request priced by core's catalog: GET multiAssetsMargin 30, accountConfig 5, time 1). Counts are cleared after ` +
    `each client is constructed (marginctl's \`exchangeInfo\` at setup is not counted; its first-call clock sync is). ` +
    `Peers use their documented get-Multi-Assets method; each of them could also call accountConfig (5) if its user knew to.`,
    table(
      ["client", "callers", "reads", "requests at the exchange", "weight", "weight per 1,000 reads", "wall s", "errors"],
      rows.map((r) => [
        r.name,
        String(r.callers),
        fmt(r.reads, 0),
        describeRequests(r.requests),
        fmt(r.weight, 0),
        fmt(per1000(r), 0),
        fmt(r.wallMs / 1000, 2),
        String(r.errors) + (r.note ? ` (${r.note})` : "")
      ])
    ),
    gatewayPending ? `Gateway row: **pending** — ${gatewayPending}.` : ""
  ].filter(Boolean).join("\n\n")

  const result: BenchResult = { name: "read-weight", title: "Read cost in exchange weight", markdown, summary, raw: { reads, callers, rows, gatewayPending } }
  writeResult(a.get("out"), result)
}

main().catch((e) => {
  log(e instanceof Error ? e.stack : String(e))
  process.exit(1)
})
