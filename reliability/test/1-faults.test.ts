/**
 * Fault matrix: every write (Multi-Assets on, Multi-Assets off, a margin type) through every surface
 * (the core's MarginClient over a socket, the CLI process, the gateway process) under every fault the
 * simulator can inject. For each cell: the outcome reported is the documented one (core: SetResult or
 * tagged error; CLI: exit code and --json; gateway: HTTP status and body), the simulator's final state
 * matches it, and its change log holds the change at most once.
 */
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { MarginClient } from "../../packages/core/src/MarginClient.js"
import { credentialsEnv, runCli } from "./support/cli.js"
import { coreClient } from "./support/core.js"
import { flush, type KeyKind, record, sleep, tmpDir } from "./support/env.js"
import { auditRows, type Gateway, spawnGateway, writeConfig } from "./support/gateway.js"
import { ACCOUNT, ban, minuteEndsIn, seedFor, type Sim, type SimAccount, spendTo, startSim } from "./support/sim.js"

type Surface = "core" | "cli" | "gateway"

interface Write {
  readonly id: string
  readonly title: string
  readonly key: KeyKind
  readonly account: Record<string, unknown>
  /** The exchange endpoint the write sends. */
  readonly post: string
  readonly cli: ReadonlyArray<string>
  readonly gwWarm: (account: string) => string
  readonly gwPut: (account: string) => string
  readonly gwBody: unknown
  readonly coreWarm: (c: MarginClient) => Effect.Effect<unknown, unknown>
  readonly core: (c: MarginClient) => Effect.Effect<{ outcome: string; reconciled: boolean }, unknown>
  /** Is the change made in this state? */
  readonly done: (a: SimAccount) => boolean
}

const WRITES: ReadonlyArray<Write> = [
  {
    id: "multi-assets-on",
    title: "Multi-Assets on (HMAC key)",
    key: "HMAC",
    account: { multiAssetsMargin: false },
    post: "/fapi/v1/multiAssetsMargin",
    cli: ["multi-assets", "on"],
    gwWarm: (a) => `/v1/accounts/${a}/multi-assets`,
    gwPut: (a) => `/v1/accounts/${a}/multi-assets`,
    gwBody: { multiAssetsMargin: true },
    coreWarm: (c) => c.getMultiAssetsMode(),
    core: (c) => c.setMultiAssetsMode(true),
    done: (a) => a.multiAssetsMargin
  },
  {
    id: "multi-assets-off",
    title: "Multi-Assets off (Ed25519 key)",
    key: "ED25519",
    account: { multiAssetsMargin: true },
    post: "/fapi/v1/multiAssetsMargin",
    cli: ["multi-assets", "off"],
    gwWarm: (a) => `/v1/accounts/${a}/multi-assets`,
    gwPut: (a) => `/v1/accounts/${a}/multi-assets`,
    gwBody: { multiAssetsMargin: false },
    coreWarm: (c) => c.getMultiAssetsMode(),
    core: (c) => c.setMultiAssetsMode(false),
    done: (a) => !a.multiAssetsMargin
  },
  {
    id: "margin-type-set",
    title: "BTCUSDT → ISOLATED (RSA key)",
    key: "RSA",
    account: {},
    post: "/fapi/v1/marginType",
    cli: ["margin-type", "set", "ISOLATED", "BTCUSDT"],
    gwWarm: (a) => `/v1/accounts/${a}/margin-types`,
    gwPut: (a) => `/v1/accounts/${a}/margin-types/BTCUSDT`,
    gwBody: { marginType: "ISOLATED" },
    coreWarm: (c) => c.getMarginTypes(),
    core: (c) => c.setMarginType("BTCUSDT" as never, "ISOLATED"),
    done: (a) => a.symbols.BTCUSDT?.marginType === "ISOLATED"
  }
]

/** Client-side timeouts: core option and gateway config `requestTimeoutMs`; the CLI has no option (10 s). */
const TIMEOUT_MS = 2500
const CLI_TIMEOUT_MS = 10_000

interface Expected {
  readonly core: string
  readonly cli: string
  readonly gateway: string
  /** Is the change made in the end? */
  readonly changed: boolean
  /** Requests the exchange received for the write's endpoint, per surface (when it is certain). */
  readonly posts: Readonly<Record<Surface, number>>
  /** Outcomes of the gateway's audit rows for the account, newest first. */
  readonly audit: string
  /** The CLI's outcome where a write reports it differently (margin-type set: per-symbol results). */
  readonly cliByWrite?: Readonly<Record<string, string>>
}

interface Fault {
  readonly id: string
  readonly title: string
  /** Before the warm-up read (core, gateway) or before the CLI starts. */
  readonly before?: (sim: Sim, write: Write, surface: Surface) => Promise<void>
  /** After the warm-up read (core, gateway) or before the CLI starts, after `before`. */
  readonly after: (sim: Sim, write: Write, surface: Surface) => Promise<void>
  readonly expected: Expected
  /** recvWindow of the signed requests (core option, CLI --recv-window, gateway account); default 5000. */
  readonly recvWindow?: number
}

const on = (w: Write, extra: Record<string, unknown>) => ({ endpoint: w.post, method: "POST", ...extra })

/** Weight limit while a 429 is provoked: the IP's weight is spent up to it with raw requests. */
const LIMIT_429 = 200

const FAULTS: ReadonlyArray<Fault> = [
  {
    id: "unknown-executed",
    title: "503 unknown error, executed",
    after: (sim, w) => sim.fault(on(w, { kind: "unknown", executed: true, count: 1 })),
    expected: {
      core: "changed·reconciled", cli: "0 changed", gateway: "200 changed·reconciled", changed: true,
      posts: { core: 1, cli: 1, gateway: 1 }, audit: "changed"
    }
  },
  {
    id: "unknown-not-executed-once",
    title: "503 unknown error, not executed (once)",
    after: (sim, w) => sim.fault(on(w, { kind: "unknown", executed: false, count: 1 })),
    expected: {
      core: "changed·reconciled", cli: "0 changed", gateway: "200 changed·reconciled", changed: true,
      posts: { core: 2, cli: 2, gateway: 2 }, audit: "changed"
    }
  },
  {
    id: "unknown-not-executed-always",
    title: "503 unknown error, not executed (every time)",
    after: (sim, w) => sim.fault(on(w, { kind: "unknown", executed: false })),
    expected: {
      core: "ExecutionUnknown", cli: "6 ExecutionUnknown", gateway: "504 OutcomeUnknown", changed: false,
      posts: { core: 2, cli: 2, gateway: 2 }, audit: "unknown",
      cliByWrite: { "margin-type-set": "6 failed" }
    }
  },
  {
    id: "unavailable-once",
    title: "503 Service Unavailable (once)",
    after: (sim, w) => sim.fault(on(w, { kind: "unavailable", count: 1 })),
    expected: {
      core: "changed", cli: "0 changed", gateway: "200 changed", changed: true,
      posts: { core: 2, cli: 2, gateway: 2 }, audit: "changed"
    }
  },
  {
    id: "internal-once",
    title: "503 internal error -1001 (once)",
    after: (sim, w) => sim.fault(on(w, { kind: "internal", count: 1 })),
    expected: {
      core: "changed", cli: "0 changed", gateway: "200 changed", changed: true,
      posts: { core: 2, cli: 2, gateway: 2 }, audit: "changed"
    }
  },
  {
    id: "timeout",
    title: `answer later than the client's timeout (core/gateway ${TIMEOUT_MS} ms, CLI ${CLI_TIMEOUT_MS} ms)`,
    after: (sim, w, s) => sim.fault(on(w, { kind: "latency", ms: s === "cli" ? CLI_TIMEOUT_MS + 1500 : TIMEOUT_MS * 2, count: 1 })),
    expected: {
      core: "changed·reconciled", cli: "0 changed", gateway: "200 changed·reconciled", changed: true,
      posts: { core: 1, cli: 1, gateway: 1 }, audit: "changed"
    }
  },
  {
    id: "drop-once",
    title: "connection dropped (once)",
    after: (sim, w) => sim.fault(on(w, { kind: "drop", count: 1 })),
    expected: {
      core: "changed·reconciled", cli: "0 changed", gateway: "200 changed·reconciled", changed: true,
      posts: { core: 2, cli: 2, gateway: 2 }, audit: "changed"
    }
  },
  {
    id: "429",
    title: "429 with Retry-After on the write",
    // The server's weight minute ends in 9 s; the IP's weight is then spent up to the limit, so that
    // the write (weight 1) is the request that gets the 429, with Retry-After of a few seconds, longer
    // than the recvWindow (3 s): the write sent again after the wait must carry a fresh timestamp.
    // Core and gateway send the write again at once (the budget makes it wait), the CLI waits as it
    // documents.
    recvWindow: 3000,
    before: async (sim) => void (await minuteEndsIn(sim, 9)),
    after: async (sim, w, s) => {
      const reads = s === "cli" ? await cliReadWeight(w) : 0
      await spendTo(sim, LIMIT_429, LIMIT_429 - reads)
    },
    expected: {
      core: "RateLimited(exchange) → changed",
      cli: "0 changed",
      gateway: "429 RateLimited(exchange) → 200 changed",
      changed: true,
      posts: { core: 2, cli: 2, gateway: 2 },
      audit: "changed,failed"
    }
  },
  {
    id: "418",
    title: "418 IP banned",
    after: (sim) => ban(sim),
    expected: {
      core: "IpBanned", cli: "4 IpBanned", gateway: "429 RateLimited(banned)", changed: false,
      posts: { core: 1, cli: 0, gateway: 1 }, audit: "failed"
    }
  },
  {
    id: "clock-ahead",
    title: "server clock 30 s ahead (-1021)",
    after: (sim) => sim.fault({ kind: "clockSkew", offsetMs: 30_000 }),
    expected: {
      core: "changed", cli: "0 changed", gateway: "200 changed", changed: true,
      // The CLI measures the offset when it starts (after the skew), the others resync after a -1021.
      posts: { core: 2, cli: 1, gateway: 2 }, audit: "changed"
    }
  },
  {
    id: "clock-behind",
    title: "server clock 30 s behind (-1021)",
    after: (sim) => sim.fault({ kind: "clockSkew", offsetMs: -30_000 }),
    expected: {
      core: "changed", cli: "0 changed", gateway: "200 changed", changed: true,
      posts: { core: 2, cli: 1, gateway: 2 }, audit: "changed"
    }
  }
]

// ---------------------------------------------------------------------------------------------

/** The weight the CLI spends on reads before the write: measured once per write on a fresh simulator. */
const readWeights = new Map<string, Promise<number>>()
const cliReadWeight = (w: Write): Promise<number> => {
  let p = readWeights.get(w.id)
  if (p === undefined) {
    p = (async () => {
      const sim = await startSim(seedFor(w.key, w.account))
      try {
        const r = await runCli([...w.cli, "--json", "--base-url", sim.url], { env: credentialsEnv(w.key) })
        if (r.code !== 0) throw new Error(`calibration run failed: ${r.code} ${r.stdout} ${r.stderr}`)
        return (await sim.used()).used - 1
      } finally {
        await sim.close()
      }
    })()
    readWeights.set(w.id, p)
  }
  return p
}

const tagOf = (e: any) => `${e?._tag ?? "defect"}${e?._tag === "RateLimited" ? `(${e.source})` : ""}`

const coreText = (r: Either.Either<{ outcome: string; reconciled: boolean }, unknown>) =>
  Either.isRight(r) ? `${r.right.outcome}${r.right.reconciled ? "·reconciled" : ""}` : tagOf(r.left)

const gwText = (a: { status: number; json: any }) =>
  `${a.status} ${
    a.json?.outcome !== undefined
      ? `${a.json.outcome}${a.json.reconciled === true ? "·reconciled" : ""}`
      : `${a.json?._tag ?? "?"}${a.json?.source !== undefined ? `(${a.json.source})` : ""}`
  }`

const cliOutcome = (json: any): string => json?.error?.tag ?? json?.outcome ?? json?.results?.[0]?.outcome ?? "?"

type Runner = (w: Write, f: Fault, sim: Sim, notes: Array<string>) => Promise<string>

const runCore: Runner = async (w, f, sim, notes) => {
  const c = coreClient(sim.url, w.key, { requestTimeoutMs: TIMEOUT_MS, maxBudgetWaitMs: 15_000, recvWindow: f.recvWindow })
  try {
    await f.before?.(sim, w, "core")
    const warm = await c.run(w.coreWarm)
    if (Either.isLeft(warm)) throw new Error(`warm-up read failed: ${tagOf(warm.left)}`)
    await f.after(sim, w, "core")
    const first = await c.run(w.core)
    if (Either.isLeft(first)) notes.push(String((first.left as Error).message ?? "").slice(0, 160))
    if (f.id === "429" && Either.isLeft(first) && (first.left as any)._tag === "RateLimited") {
      notes.push(`retryAfter ${(first.left as any).retryAfterSeconds} s`)
      return `${coreText(first)} → ${coreText(await c.run(w.core))}`
    }
    return coreText(first)
  } finally {
    await c.close()
  }
}

const runCliCell: Runner = async (w, f, sim, notes) => {
  await f.before?.(sim, w, "cli")
  await f.after(sim, w, "cli")
  const recv = f.recvWindow === undefined ? [] : ["--recv-window", String(f.recvWindow)]
  const r = await runCli([...w.cli, "--json", "--base-url", sim.url, ...recv], { env: credentialsEnv(w.key), timeoutMs: 90_000 })
  notes.push(`${(r.ms / 1000).toFixed(1)} s`)
  const reason = r.json?.results?.[0]?.reason
  if (typeof reason === "string") notes.push(reason)
  const warning = r.stderr.split("\n").find((l) => l.startsWith("warning:"))
  if (warning !== undefined) notes.push(warning)
  if (f.id === "429" && !/429/.test(r.stderr)) notes.push("MISSING: no 429 wait announced on stderr")
  return `${r.code ?? r.signal} ${cliOutcome(r.json)}`
}

let gateway: Gateway | undefined
const gatewaySims = new Map<string, Sim>()
const gwAccount = (w: Write, f: Fault) => `${w.id}.${f.id}`

const runGateway: Runner = async (w, f, sim, notes) => {
  const gw = gateway!
  const a = gwAccount(w, f)
  await f.before?.(sim, w, "gateway")
  const warm = await gw.request("GET", w.gwWarm(a))
  if (warm.status !== 200) throw new Error(`warm-up read failed: ${warm.status} ${warm.text}`)
  await f.after(sim, w, "gateway")
  const first = await gw.request("PUT", w.gwPut(a), w.gwBody)
  if (first.status >= 400) notes.push(String(first.json?.message ?? "").slice(0, 160))
  if (first.status === 429) notes.push(`Retry-After ${first.headers.get("retry-after")}`)
  if (f.id === "429" && first.status === 429) {
    // At once: the gateway's budget is paused for Retry-After and makes this call wait.
    return `${gwText(first)} → ${gwText(await gw.request("PUT", w.gwPut(a), w.gwBody))}`
  }
  return gwText(first)
}

const RUNNERS: Record<Surface, Runner> = { core: runCore, cli: runCliCell, gateway: runGateway }

const cell = async (surface: Surface, w: Write, f: Fault) => {
  const t0 = Date.now()
  const sim = surface === "gateway" ? gatewaySims.get(gwAccount(w, f))! : await startSim(seedFor(w.key, w.account))
  const notes: Array<string> = []
  const expected = surface === "cli" ? f.expected.cliByWrite?.[w.id] ?? f.expected.cli : f.expected[surface]
  let observed = "(no outcome)"
  const problems: Array<string> = []
  try {
    try {
      observed = await RUNNERS[surface](w, f, sim, notes)
    } catch (e) {
      problems.push(`cell failed to run: ${(e as Error).message}`)
    }
    if (observed !== expected) problems.push(`outcome: expected "${expected}", observed "${observed}"`)
    const state = await sim.account(ACCOUNT)
    if (w.done(state) !== f.expected.changed) {
      problems.push(`simulator state: change ${w.done(state) ? "made" : "not made"}, reported ${f.expected.changed ? "made" : "not made"}`)
    }
    const changes = sim.apiLog().filter((e) => e.endpoint === `POST ${w.post}`)
    if (changes.length !== (f.expected.changed ? 1 : 0)) problems.push(`change log: ${changes.length} change(s) of ${w.post}`)
    const posts = sim.count("POST", w.post)
    if (posts !== f.expected.posts[surface]) problems.push(`exchange received ${posts} POST(s), expected ${f.expected.posts[surface]}`)
    if (notes.some((n) => n.startsWith("MISSING"))) problems.push(...notes.filter((n) => n.startsWith("MISSING")))
    let audit: string | undefined
    if (surface === "gateway") {
      const page = await gateway!.request("GET", `/v1/audit?account=${encodeURIComponent(gwAccount(w, f))}&limit=20`)
      audit = (page.json?.rows ?? []).map((r: any) => r.outcome).join(",")
      if (audit !== f.expected.audit) problems.push(`audit rows: "${audit}", expected "${f.expected.audit}"`)
    }
    record({
      section: "matrix",
      surface,
      write: w.id,
      writeIndex: WRITES.indexOf(w),
      faultIndex: FAULTS.indexOf(f),
      writeTitle: w.title,
      fault: f.id,
      faultTitle: f.title,
      expected,
      observed,
      postsExpected: f.expected.posts[surface],
      changeExpected: f.expected.changed,
      auditExpected: f.expected.audit,
      changed: w.done(state),
      changes: changes.length,
      posts,
      audit,
      notes,
      problems,
      pass: problems.length === 0,
      ms: Date.now() - t0
    })
  } finally {
    if (surface !== "gateway") await sim.close()
  }
  expect(problems).toEqual([])
}

describe("fault matrix", () => {
  beforeAll(async () => {
    for (const w of WRITES) {
      for (const f of FAULTS) gatewaySims.set(gwAccount(w, f), await startSim(seedFor(w.key, w.account)))
    }
    const dir = tmpDir("faults-gw")
    const accounts = WRITES.flatMap((w) =>
      FAULTS.map((f) => ({ name: gwAccount(w, f), baseUrl: gatewaySims.get(gwAccount(w, f))!.url, key: w.key, recvWindow: f.recvWindow }))
    )
    const config = writeConfig(dir, accounts, {
      requestTimeoutMs: TIMEOUT_MS,
      maxBudgetWaitMs: 15_000,
      cacheTtlMs: 60_000,
      shutdownGraceMs: 1000,
      logLevel: "debug"
    })
    // The CLI's read weight before its write is measured now, not inside a 429 cell's short minute.
    const [started] = await Promise.all([spawnGateway(config, `${dir}/data`), ...WRITES.map(cliReadWeight)])
    gateway = started
    // Each account measured its clock and read exchangeInfo at start-up.
    await sleep(500)
  })

  afterAll(async () => {
    await gateway?.kill("SIGTERM")
    if (gateway !== undefined) auditRows(gateway.dataDir)
    await Promise.all([...gatewaySims.values()].map((s) => s.close()))
    flush("1-faults")
  })

  // The slowest cells first (the CLI's 10 s timeout, the 429 waits), so that they overlap the rest.
  const order = (s: Surface, f: Fault) => (f.id === "timeout" && s === "cli" ? 0 : f.id === "429" ? 1 : f.id === "timeout" ? 2 : 3)
  const cells = (["cli", "core", "gateway"] as const).flatMap((s) => WRITES.flatMap((w) => FAULTS.map((f) => ({ s, w, f }))))
    .sort((a, b) => order(a.s, a.f) - order(b.s, b.f))
  for (const { f, s, w } of cells) {
    it(`${s} · ${w.id} · ${f.id}`, () => cell(s, w, f), 90_000)
  }
})
