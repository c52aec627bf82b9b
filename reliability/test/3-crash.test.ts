/**
 * A crash in the middle of a 200-symbol apply: the gateway process is killed with SIGKILL while a job
 * isolates 210 symbols (every margin-type answer delayed), then started again on the same data
 * directory. The audit log shows the interrupted job and every step that reached the exchange (the
 * simulator's change log); applying the same desired state again finishes the job, and every symbol
 * was changed exactly once.
 */
import { afterAll, describe, expect, it } from "vitest"
import { flush, record, sleep, tmpDir, until } from "./support/env.js"
import { auditRows, freePort, type Gateway, spawnGateway, writeConfig } from "./support/gateway.js"
import { seedFor, type Sim, startSim } from "./support/sim.js"

const SYMBOLS = Array.from({ length: 210 }, (_, i) => `S${String(i + 1).padStart(3, "0")}USDT`)
const LATENCY_MS = 150
const KILL_AFTER = 90

const allAudit = async (gw: Gateway) => {
  const rows: Array<any> = []
  let cursor: string | null = null
  do {
    const page = await gw.request("GET", `/v1/audit?account=main&limit=500${cursor === null ? "" : `&cursor=${cursor}`}`)
    if (page.status !== 200) throw new Error(`audit: ${page.status} ${page.text}`)
    rows.push(...page.json.rows)
    cursor = page.json.nextCursor
  } while (cursor !== null)
  return rows
}

const waitForJob = (gw: Gateway, id: string, ms: number) =>
  until(async () => {
    const j = await gw.request("GET", `/v1/jobs/${id}`)
    return j.json?.state === "done" || j.json?.state === "interrupted" ? j.json : undefined
  }, ms, 250)

describe("SIGKILL in the middle of a 200-symbol apply", () => {
  let sim: Sim | undefined
  const gateways: Array<Gateway> = []

  afterAll(async () => {
    for (const g of gateways) await g.kill("SIGKILL")
    if (gateways[0] !== undefined) auditRows(gateways[0].dataDir)
    await sim?.close()
    flush("3-crash")
  })

  it("the audit log shows the interrupted job and every step that reached the exchange; re-applying finishes it, each symbol changed once", async () => {
    sim = await startSim(seedFor("HMAC", {}, { symbols: SYMBOLS.map((symbol) => ({ symbol, markPrice: 1 })) }))
    const dir = tmpDir("crash")
    const config = writeConfig(dir, [{ name: "main", baseUrl: sim.url, key: "HMAC" }], { instance: "reliability-crash", logLevel: "debug" })
    const port = await freePort()
    const first = await spawnGateway(config, `${dir}/data`, { port })
    gateways.push(first)
    await sim.fault({ kind: "latency", ms: LATENCY_MS, method: "POST", endpoint: "/fapi/v1/marginType" })

    const desired = { marginTypes: { all: "ISOLATED" } }
    const created = await first.request("POST", "/v1/accounts/main/jobs", { desired, concurrency: 5 })
    expect(created.status).toBe(202)
    const jobId: string = created.json.jobId
    expect(created.json.plan.steps).toHaveLength(SYMBOLS.length)

    await until(() => (sim!.apiLog().length >= KILL_AFTER ? true : undefined), 60_000, 10)
    const t0 = Date.now()
    first.child.kill("SIGKILL")
    await first.exited
    // Requests already on their way are still answered (and applied) by the exchange.
    await sleep(LATENCY_MS * 3)
    const reached = new Set(sim.apiLog().map((e) => String(e.params.symbol)))
    const reachedCount = sim.apiLog().length

    const second = await spawnGateway(config, `${dir}/data`, { port })
    gateways.push(second)
    const rows = await allAudit(second)
    const jobRows = rows.filter((r) => r.jobId === jobId)
    const outcomes = new Map<string, number>()
    for (const r of jobRows) outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1)
    const bySymbol = new Map<string, any>(jobRows.map((r) => [r.request.symbol, r]))
    const interrupted = jobRows.filter((r) => r.outcome === "interrupted")
    const oldJob = await second.request("GET", `/v1/jobs/${jobId}`)

    const problems: Array<string> = []
    if (interrupted.length === 0) problems.push("no row marked interrupted")
    if (jobRows.some((r) => r.outcome === "started")) problems.push("rows still 'started' after the restart")
    if (jobRows.some((r) => !["changed", "interrupted"].includes(r.outcome))) problems.push(`unexpected outcomes ${[...outcomes.keys()]}`)
    const unaudited = [...reached].filter((s) => !bySymbol.has(s))
    if (unaudited.length > 0) problems.push(`changes the exchange made without an audit row: ${unaudited.join(",")}`)
    const changedNotReached = jobRows.filter((r) => r.outcome === "changed" && !reached.has(r.request.symbol))
    if (changedNotReached.length > 0) problems.push(`rows 'changed' for symbols the exchange never changed: ${changedNotReached.length}`)
    if (interrupted.some((r) => !/re-read the account/.test(r.message ?? ""))) problems.push("an interrupted row does not say to re-read the account")
    if (!second.output().includes("marked interrupted")) problems.push("the restart does not log the rows it marked interrupted")
    // The job itself is durable: read back from the store, interrupted, with the steps that finished.
    if (oldJob.status !== 200 || oldJob.json?.state !== "interrupted") {
      problems.push(`the killed job after the restart: ${oldJob.status} ${oldJob.json?.state ?? oldJob.json?._tag}`)
    } else {
      const planned = oldJob.json.plan?.steps ?? []
      const finished = (oldJob.json.steps ?? []).filter((st: any) => st.outcome === "changed").map((st: any) => planned[st.index]?.symbol)
      const notReached = finished.filter((sym: string) => !reached.has(sym))
      if (notReached.length > 0) problems.push(`the job shows steps changed that the exchange never changed: ${notReached.length}`)
    }

    // Apply the same desired state again.
    await sim.admin("DELETE", "/faults")
    const again = await second.request("POST", "/v1/accounts/main/jobs", { desired, concurrency: 5 })
    expect(again.status).toBe(202)
    const remaining = SYMBOLS.length - reached.size
    if (again.json.plan.steps.length !== remaining) problems.push(`the new plan has ${again.json.plan.steps.length} steps, ${remaining} symbols were left`)
    const done = await waitForJob(second, again.json.jobId, 60_000)
    if (!(done.state === "done" && done.summary?.complete === true && done.summary.failed === 0 && done.summary.changed === remaining)) {
      problems.push(`second job: ${done.state} ${JSON.stringify(done.summary)}`)
    }
    const account = await sim.account("main")
    const notIsolated = SYMBOLS.filter((s) => account.symbols[s]?.marginType !== "ISOLATED")
    if (notIsolated.length > 0) problems.push(`${notIsolated.length} symbols not ISOLATED`)
    const perSymbol = new Map<string, number>()
    for (const e of sim.apiLog()) perSymbol.set(String(e.params.symbol), (perSymbol.get(String(e.params.symbol)) ?? 0) + 1)
    const twice = [...perSymbol].filter(([, n]) => n > 1)
    if (twice.length > 0) problems.push(`changed more than once: ${twice.map(([s, n]) => `${s}×${n}`).join(",")}`)
    if (sim.apiLog().length !== SYMBOLS.length) problems.push(`${sim.apiLog().length} changes in the log, expected ${SYMBOLS.length}`)

    record({
      section: "crash",
      symbols: SYMBOLS.length,
      latencyMs: LATENCY_MS,
      killedAfterChanges: KILL_AFTER,
      reachedBeforeKill: reachedCount,
      auditRowsOfJob: jobRows.length,
      auditOutcomes: Object.fromEntries(outcomes),
      interruptedReached: interrupted.filter((r) => reached.has(r.request.symbol)).length,
      interruptedNotReached: interrupted.filter((r) => !reached.has(r.request.symbol)).length,
      oldJobAfterRestart: `${oldJob.status} ${oldJob.json?.state ?? oldJob.json?._tag ?? ""}`,
      oldJobSteps: Object.fromEntries(
        [...(oldJob.json?.steps ?? []).reduce((m: Map<string, number>, st: any) => m.set(st.outcome, (m.get(st.outcome) ?? 0) + 1), new Map())]
      ),
      secondJobSteps: again.json.plan.steps.length,
      secondJobSummary: done.summary,
      finalChanges: sim.apiLog().length,
      maxChangesPerSymbol: Math.max(...perSymbol.values()),
      restartMs: Date.now() - t0,
      problems,
      pass: problems.length === 0
    })
    expect(problems).toEqual([])
  }, 180_000)
})
