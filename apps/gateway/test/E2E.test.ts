/**
 * The real processes: the bundled gateway (dist/main.js) with a config file, keys in environment
 * variables, a simulator server; every error status over the wire, graceful shutdown, a crash
 * mid-apply, jobs read back after a restart, JSON logs without secrets, one Redis budget shared by
 * two instances, and `--demo`.
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
import {
  ADMIN_TOKEN,
  API_KEY,
  API_SECRET,
  configFile,
  DEMO_ONLY_TOKEN,
  env,
  OTHER_KEY,
  OTHER_SECRET,
  READER_TOKEN,
  seed,
  tmpDir,
  until as waitFor
} from "./support/harness.js"
import { ensureBuilt, spawnGateway } from "./support/process.js"
import { hasRedis, startRedis } from "./support/servers.js"

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
const json = { ...auth, "content-type": "application/json" }
const getJson = async (url: string) => (await fetch(url, { headers: auth })).json() as Promise<any>
const post = async (url: string, body: unknown) => (await fetch(url, { method: "POST", headers: json, body: JSON.stringify(body) })).json() as Promise<any>
/** The gateway processes of these tests start slower than the in-process harness. */
const until = <A>(f: () => Promise<A | undefined>) => waitFor(f, 15_000)
const writeConfig = (dir: string, sim: RunningServer, extra: Record<string, unknown> = {}) => {
  const file = path.join(dir, "gateway.json")
  fs.writeFileSync(file, JSON.stringify(configFile(path.join(dir, "data"), sim.url, extra), null, 2))
  return file
}
const childEnv = { ...env, MARGINCTL_GATEWAY_LOG_FORMAT: "json", MARGINCTL_GATEWAY_LOG_LEVEL: "debug" }
const secrets = [API_KEY, API_SECRET, OTHER_KEY, OTHER_SECRET, ADMIN_TOKEN]
const control = (sim: RunningServer, method: string, p: string, body?: unknown) =>
  fetch(sim.url + p, { method, headers: { authorization: `Bearer ${sim.adminToken}`, "content-type": "application/json" }, body: body === undefined ? null : JSON.stringify(body) })
/** Status, headers and parsed JSON body of one request (`token: null` sends no Authorization). */
const call = async (url: string, init: { method?: string; token?: string | null; body?: unknown } = {}) => {
  const headers: Record<string, string> = {}
  const token = init.token === undefined ? ADMIN_TOKEN : init.token
  if (token !== null) headers.authorization = `Bearer ${token}`
  if (init.body !== undefined) headers["content-type"] = "application/json"
  const res = await fetch(url, { method: init.method ?? "GET", headers, body: init.body === undefined ? null : JSON.stringify(init.body) })
  const text = await res.text()
  return { status: res.status, headers: res.headers, json: JSON.parse(text) as any }
}

describe.sequential("gateway process", () => {
  beforeAll(() => ensureBuilt(), 60_000)

  it("serves through a derived client, logs JSON without secrets, finishes a running job on SIGTERM; the next process reads it back", async () => {
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

      // The next process on the same data directory reads the finished job from the store.
      await control(sim, "DELETE", "/_sim/faults")
      const next = await spawnGateway(["--config", path.join(dir, "gateway.json")], childEnv, { port: gw.port })
      try {
        const read = await call(`${next.url}/v1/jobs/${job.jobId}`)
        expect(read.status).toBe(200)
        expect(read.json).toMatchObject({
          id: job.jobId,
          state: "done",
          desired: { multiAssets: true },
          summary: { changed: 3, unchanged: 0, failed: 0, complete: true }
        })
        expect(read.json.steps.map((s: any) => s.outcome)).toEqual(["changed", "changed", "changed"])
        expect(read.json.events.at(-1).event._tag).toBe("Done")
        expect(next.output()).not.toContain("left unfinished")
      } finally {
        next.signal("SIGKILL")
      }
    } finally {
      gw.signal("SIGKILL")
      await sim.close()
    }
  })

  it("answers every error status over the wire: 400, 401, 403, 404, 409, 504", async () => {
    const sim = await startServer({ seed: seed() })
    const dir = tmpDir()
    const gw = await spawnGateway(["--config", writeConfig(dir, sim)], childEnv)
    const demo = `${gw.url}/v1/accounts/demo`
    try {
      // 400: a bad body names the field; a bad symbol in the path names the parameter.
      const body = await call(`${demo}/multi-assets`, { method: "PUT", body: { multiAssetsMargin: "yes" } })
      expect(body.status).toBe(400)
      expect(body.json).toMatchObject({ _tag: "HttpApiDecodeError", issues: [{ path: ["multiAssetsMargin"] }] })
      expect(body.json.message).toContain("multiAssetsMargin must be true or false")
      const symbol = await call(`${demo}/margin-types/BTC-USDT`, { method: "PUT", body: { marginType: "ISOLATED" } })
      expect(symbol.status).toBe(400)
      expect(symbol.json.issues[0].path).toEqual(["symbol"])
      const symbols = await call(`${demo}/margin-types?symbols=BTC-USDT`)
      expect(symbols.status).toBe(400)
      expect(symbols.json.issues[0].path[0]).toBe("symbols")

      // 401: no token, an unknown token.
      for (const token of [null, "not-a-known-token-0000"]) {
        const r = await call(`${demo}/multi-assets`, { token })
        expect(r.status).toBe(401)
        expect(r.json._tag).toBe("Unauthenticated")
        expect(r.headers.get("www-authenticate")).toContain("Bearer")
      }

      // 403: a read-only token writing; a token without the account.
      const scope = await call(`${demo}/multi-assets`, { method: "PUT", token: READER_TOKEN, body: { multiAssetsMargin: true } })
      expect(scope).toMatchObject({ status: 403, json: { _tag: "Forbidden", reason: "scope" } })
      const account = await call(`${gw.url}/v1/accounts/other/multi-assets`, { token: DEMO_ONLY_TOKEN })
      expect(account).toMatchObject({ status: 403, json: { _tag: "Forbidden", reason: "account" } })

      // 404: an unknown account, an unknown symbol.
      const ghost = await call(`${gw.url}/v1/accounts/ghost/multi-assets`)
      expect(ghost).toMatchObject({ status: 404, json: { _tag: "NotFound", resource: "account", name: "ghost" } })
      const foo = await call(`${demo}/margin-types/FOOUSDT`, { method: "PUT", body: { marginType: "ISOLATED" } })
      expect(foo).toMatchObject({ status: 404, json: { _tag: "NotFound", resource: "symbol", name: "FOOUSDT" } })

      // Nothing above reached the exchange as a change.
      expect(sim.sim.log().filter((e) => e.source === "api")).toEqual([])

      // 409: with Multi-Assets Mode on, Binance refuses ISOLATED (-4168); the answer says why and what to do.
      const on = await call(`${demo}/multi-assets`, { method: "PUT", body: { multiAssetsMargin: true } })
      expect(on).toMatchObject({ status: 200, json: { outcome: "changed" } })
      const blocked = await call(`${demo}/margin-types/BTCUSDT`, { method: "PUT", body: { marginType: "ISOLATED" } })
      expect(blocked).toMatchObject({ status: 409, json: { _tag: "BlockedByRule", code: -4168, reason: "multi-assets" } })
      expect(blocked.json.fix).toContain("turn Multi-Assets Mode off first")
      expect(blocked.json.message.length).toBeGreaterThan(0)

      // 504: every call answers 503 "unknown, not executed"; the re-reads find no change, so the
      // outcome stays unknown (sent twice: once, then once more after the first re-read).
      await control(sim, "POST", "/_sim/faults", { kind: "unknown", executed: false, method: "POST", endpoint: "/fapi/v1/multiAssetsMargin" })
      const sent = sim.sim.requestCount("/fapi/v1/multiAssetsMargin", "POST")
      const unknown = await call(`${demo}/multi-assets`, { method: "PUT", body: { multiAssetsMargin: false } })
      expect(unknown).toMatchObject({ status: 504, json: { _tag: "OutcomeUnknown" } })
      expect(sim.sim.requestCount("/fapi/v1/multiAssetsMargin", "POST") - sent).toBe(2)
      expect(sim.sim.account("demo")!.multiAssetsMargin).toBe(true)
      const audit = await call(`${gw.url}/v1/audit?account=demo`)
      expect(audit.json.rows.map((r: any) => [r.action, r.outcome, r.code])).toEqual([
        ["set-multi-assets", "unknown", expect.anything()],
        ["set-margin-type", "blocked", -4168],
        ["set-multi-assets", "changed", null]
      ])
      expect(secrets.filter((s) => gw.output().includes(s))).toEqual([])
    } finally {
      gw.signal("SIGKILL")
      await sim.close()
    }
  })

  it("a crash mid-apply leaves rows and a job that the next start marks interrupted; the job is read back with what was recorded", async () => {
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

      // The job survived the crash: read back from the store, interrupted, with what was recorded.
      expect(second.output()).toContain("jobs: 1 job(s) left unfinished by a previous run marked interrupted")
      const read = await call(`${second.url}/v1/jobs/${job.jobId}`)
      expect(read.status).toBe(200)
      expect(read.json).toMatchObject({ id: job.jobId, account: "demo", token: "admin", state: "interrupted", desired: { multiAssets: true }, summary: null })
      expect(read.json.finishedAt).toBeGreaterThanOrEqual(read.json.startedAt)
      expect(read.json.plan.steps.map((s: any) => s._tag)).toEqual(["SetMarginType", "SetMultiAssets"])
      expect(read.json.steps.map((s: any) => s.outcome)).toEqual(["interrupted", "pending"])
      expect(read.json.steps[0].error).toMatchObject({ tag: "Interrupted" })
      expect(read.json.events.map((e: any) => e.event)).toEqual([{ _tag: "StepStarted", index: 1 }])
      const sse = await (await fetch(`${second.url}/v1/jobs/${job.jobId}/events`, { headers: auth })).text()
      expect(sse).toContain("event: StepStarted")
      expect(sse).toContain("event: Interrupted")
    } finally {
      first.signal("SIGKILL")
      second?.signal("SIGKILL")
      await sim.close()
    }
  })

  it("SIGTERM with a short grace interrupts the job and records it and its call as interrupted", async () => {
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

      // The shutdown itself recorded the job as interrupted …
      const db2 = new Database(path.join(dir, "data", "audit.sqlite"), { readonly: true })
      const stored = db2.prepare("SELECT state, finished_ms FROM jobs WHERE id = ?").get(job.jobId)
      db2.close()
      expect(stored).toEqual({ state: "interrupted", finished_ms: expect.any(Number) })
      // … so the next process has nothing to mark, and shows it.
      await control(sim, "DELETE", "/_sim/faults")
      const next = await spawnGateway(["--config", path.join(dir, "gateway.json")], childEnv, { port: gw.port })
      try {
        expect(next.output()).not.toContain("left unfinished")
        const read = await call(`${next.url}/v1/jobs/${job.jobId}`)
        expect(read.status).toBe(200)
        expect(read.json).toMatchObject({ state: "interrupted", summary: null })
        expect(read.json.steps.map((s: any) => s.outcome)).toEqual(["interrupted", "pending"])
      } finally {
        next.signal("SIGKILL")
      }
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
