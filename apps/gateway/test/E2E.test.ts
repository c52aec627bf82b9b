/**
 * The real processes: the bundled gateway (dist/main.js) with a config file, keys in environment
 * variables, a simulator server; graceful shutdown, a crash mid-apply, JSON logs without secrets,
 * one Redis budget shared by two instances, and `--demo`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import { type RunningServer, startServer } from "@marginctl/simulator/Server"
import { ADMIN_TOKEN, API_KEY, API_SECRET, configFile, env, OTHER_KEY, OTHER_SECRET, seed, tmpDir } from "./support/harness.js"
import { ensureBuilt, spawnGateway } from "./support/process.js"
import { hasRedis, startRedis } from "./support/servers.js"

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
const json = { ...auth, "content-type": "application/json" }
const getJson = async (url: string) => (await fetch(url, { headers: auth })).json() as Promise<any>
const post = async (url: string, body: unknown) => (await fetch(url, { method: "POST", headers: json, body: JSON.stringify(body) })).json() as Promise<any>
const until = async <A>(f: () => Promise<A | undefined>, ms = 15_000): Promise<A> => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const a = await f()
    if (a !== undefined) return a
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error("condition not reached")
}
const writeConfig = (dir: string, sim: RunningServer, extra: Record<string, unknown> = {}) => {
  const file = path.join(dir, "gateway.json")
  fs.writeFileSync(file, JSON.stringify(configFile(path.join(dir, "data"), sim.url, extra), null, 2))
  return file
}
const childEnv = { ...env, MARGINCTL_GATEWAY_LOG_FORMAT: "json", MARGINCTL_GATEWAY_LOG_LEVEL: "debug" }
const secrets = [API_KEY, API_SECRET, OTHER_KEY, OTHER_SECRET, ADMIN_TOKEN]
const control = (sim: RunningServer, method: string, p: string, body?: unknown) =>
  fetch(sim.url + p, { method, headers: { authorization: `Bearer ${sim.adminToken}`, "content-type": "application/json" }, body: body === undefined ? null : JSON.stringify(body) })

describe.sequential("gateway process", () => {
  beforeAll(() => ensureBuilt(), 60_000)

  it("serves through a derived client, logs JSON without secrets, finishes a running job on SIGTERM", async () => {
    const sim = await startServer({ seed: seed({ marginTypes: { ETHUSDT: "ISOLATED", SOLUSDT: "ISOLATED" } }) })
    const dir = tmpDir()
    const gw = await spawnGateway(["--config", writeConfig(dir, sim)], childEnv)
    try {
      const client = HttpApiClient.make(GatewayApi, {
        baseUrl: gw.url,
        transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(ADMIN_TOKEN))
      })
      const state = await Effect.runPromise(Effect.flatMap(client, (c) => c.multiAssets.get({ path: { account: "demo" } })).pipe(Effect.provide(FetchHttpClient.layer)))
      expect(state).toMatchObject({ account: "demo", multiAssetsMargin: false })
      expect((await fetch(`${gw.url}/readyz`)).status).toBe(200)

      await control(sim, "POST", "/_sim/faults", { kind: "latency", ms: 700, method: "POST", endpoint: "/fapi/v1/marginType" })
      const job = await post(`${gw.url}/v1/accounts/demo/jobs`, { desired: { multiAssets: true }, concurrency: 1 })
      expect(job.plan.steps.length).toBe(3)
      gw.signal("SIGTERM")
      expect(await gw.exited).toBe(0)
      const db = new Database(path.join(dir, "data", "audit.sqlite"), { readonly: true })
      const rows = db.prepare("SELECT outcome FROM audit WHERE job_id = ?").all(job.jobId) as Array<{ outcome: string }>
      db.close()
      expect(rows.map((r) => r.outcome)).toEqual(["changed", "changed", "changed"])
      const lines = gw.output().trim().split("\n")
      expect(lines.length).toBeGreaterThan(5)
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow()
      expect(gw.output()).toContain("shutdown: waiting up to")
      expect(secrets.filter((s) => gw.output().includes(s))).toEqual([])
    } finally {
      gw.signal("SIGKILL")
      await sim.close()
    }
  })

  it("a crash mid-apply leaves rows that the next start marks interrupted", async () => {
    const sim = await startServer({ seed: seed({ marginTypes: { ETHUSDT: "ISOLATED" } }) })
    const dir = tmpDir()
    const config = writeConfig(dir, sim)
    const first = await spawnGateway(["--config", config], childEnv)
    let second: Awaited<ReturnType<typeof spawnGateway>> | undefined
    try {
      await control(sim, "POST", "/_sim/faults", { kind: "latency", ms: 8000, method: "POST", endpoint: "/fapi/v1/marginType" })
      const job = await post(`${first.url}/v1/accounts/demo/jobs`, { desired: { multiAssets: true } })
      const started = await until(async () => {
        const page = await getJson(`${first.url}/v1/audit?outcome=started`)
        return page.rows.length > 0 ? page.rows[0] : undefined
      })
      expect(started).toMatchObject({ jobId: job.jobId, before: { symbol: "ETHUSDT", marginType: "ISOLATED" } })
      first.signal("SIGKILL")
      await first.exited
      second = await spawnGateway(["--config", config], childEnv, { port: first.port })
      const page = await getJson(`${second.url}/v1/audit?outcome=interrupted`)
      expect(page.rows.length).toBe(1)
      expect(page.rows[0]).toMatchObject({
        id: started.id,
        time: started.time,
        jobId: job.jobId,
        request: { symbol: "ETHUSDT", marginType: "CROSSED" },
        before: { symbol: "ETHUSDT", marginType: "ISOLATED" }
      })
      expect(page.rows[0].message).toContain("re-read the account")
      expect(second.output()).toContain("marked interrupted")
    } finally {
      first.signal("SIGKILL")
      second?.signal("SIGKILL")
      await sim.close()
    }
  })

  it("SIGTERM with a short grace interrupts the job and records the call as interrupted", async () => {
    const sim = await startServer({ seed: seed({ marginTypes: { ETHUSDT: "ISOLATED" } }) })
    const dir = tmpDir()
    const gw = await spawnGateway(["--config", writeConfig(dir, sim, { shutdownGraceMs: 300 })], childEnv)
    try {
      await control(sim, "POST", "/_sim/faults", { kind: "latency", ms: 5000, method: "POST", endpoint: "/fapi/v1/marginType" })
      const job = await post(`${gw.url}/v1/accounts/demo/jobs`, { desired: { multiAssets: true } })
      await until(async () => ((await getJson(`${gw.url}/v1/audit?outcome=started`)).rows.length > 0 ? true : undefined))
      const t0 = Date.now()
      gw.signal("SIGTERM")
      await gw.exited
      expect(Date.now() - t0).toBeLessThan(4000)
      const db = new Database(path.join(dir, "data", "audit.sqlite"), { readonly: true })
      const rows = db.prepare("SELECT outcome, finished_ms FROM audit WHERE job_id = ?").all(job.jobId) as Array<{ outcome: string; finished_ms: number }>
      db.close()
      expect(rows).toEqual([{ outcome: "interrupted", finished_ms: expect.any(Number) }])
      expect(gw.output()).toContain("interrupting 1 job(s)")
    } finally {
      gw.signal("SIGKILL")
      await sim.close()
    }
  })

  it("--demo starts the simulator and prints the URLs, a token and example commands", async () => {
    const dir = tmpDir()
    const { freePort } = await import("./support/servers.js")
    const gw = await spawnGateway(["--demo"], { MARGINCTL_GATEWAY_DEMO_SIM_PORT: String(await freePort()) }, { cwd: dir })
    try {
      const out = await until(async () => (gw.output().includes("node apps/cli/dist/marginctl.js") ? gw.output() : undefined))
      const token = /^token: (\S+)$/m.exec(out)![1]!
      expect(out).toContain(`docs: ${gw.url}/docs`)
      expect(out).toMatch(/curl -s -H 'Authorization: Bearer /)
      expect(out).toMatch(/export BINANCE_API_KEY=\S+ BINANCE_API_SECRET=\S+/)
      const r = await fetch(`${gw.url}/v1/accounts/demo/margin-types?symbols=ETHUSDT`, { headers: { authorization: `Bearer ${token}` } })
      expect(await r.json()).toMatchObject({ marginTypes: [{ symbol: "ETHUSDT", marginType: "ISOLATED" }] })
      expect(fs.existsSync(path.join(dir, ".marginctl/gateway-demo/audit.sqlite"))).toBe(true)
    } finally {
      gw.signal("SIGTERM")
      await gw.exited
    }
  })
})

describe.skipIf(!hasRedis() && !process.env.CI)("two gateway processes share one Redis budget", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  beforeAll(async () => {
    ensureBuilt()
    redis = await startRedis()
  }, 60_000)
  afterAll(() => redis?.stop())

  it("never cause a 429 upstream together; callers get 429 with Retry-After instead", async () => {
    const sim = await startServer({ seed: { ...seed(), config: { weightLimit: 100 } } })
    const dirs = [tmpDir(), tmpDir()]
    const extra = { redisUrl: redis!.url, cacheTtlMs: 0, maxBudgetWaitMs: 0 }
    const [a, b] = await Promise.all(dirs.map((d, i) =>
      spawnGateway(["--config", writeConfig(d, sim, { ...extra, instance: `replica-${i}` })], childEnv)))
    try {
      for (const g of [a!, b!]) {
        await until(async () => ((await (await fetch(`${g.url}/metrics`)).text()).includes('marginctl_gateway_upstream_weight_limit{upstream="127.0.0.1') &&
            (await (await fetch(`${g.url}/metrics`)).text()).match(/weight_limit\{[^}]*\} 100/) ? true : undefined))
      }
      // Requests alternate between the two instances, two at a time (concurrent reads of one
      // instance would coalesce into one upstream call).
      const statuses: Array<number> = []
      const retryAfter: Array<string | null> = []
      for (let i = 0; i < 30; i++) {
        const answers = await Promise.all([a!, b!].map((g) => fetch(`${g.url}/v1/accounts/demo/multi-assets`, { headers: auth })))
        for (const r of answers) {
          statuses.push(r.status)
          if (r.status === 429) retryAfter.push(r.headers.get("retry-after"))
          await r.text()
        }
      }
      const ok = statuses.filter((s) => s === 200).length
      // 100 weight per minute: 2 × (exchangeInfo 1 + time 1) at start-up, then reads of weight 5.
      expect(ok).toBeGreaterThan(10)
      expect(ok).toBeLessThanOrEqual(19)
      expect(statuses.filter((s) => s === 429).length).toBe(60 - ok)
      expect(retryAfter.every((v) => Number(v) > 0)).toBe(true)
      const weight = await (await control(sim, "GET", "/_sim/weight")).json() as { ips: Record<string, { used: number }> }
      expect(Math.max(...Object.values(weight.ips).map((x) => x.used))).toBeLessThanOrEqual(100)
      for (const g of [a!, b!]) {
        const metrics = await (await fetch(`${g.url}/metrics`)).text()
        expect(metrics).toContain("marginctl_gateway_upstream_429_total 0")
      }
      expect(sim.sim.requestCount("/fapi/v1/accountConfig")).toBe(ok)
    } finally {
      a!.signal("SIGTERM")
      b!.signal("SIGTERM")
      await Promise.all([a!.exited, b!.exited])
      await sim.close()
    }
  })
})
