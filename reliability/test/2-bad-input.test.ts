/**
 * Bad input, property-based (effect/FastCheck): the CLI's arguments, the gateway's routes, path
 * parameters, queries and bodies, and the simulator's exchange and control endpoints. Nothing
 * crashes, nothing answers 5xx (or exits 1 with a stack trace), and every refusal names what is wrong.
 */
import * as fc from "effect/FastCheck"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { credentialsEnv, runCli } from "./support/cli.js"
import { API_KEYS, flush, HMAC_SECRET, record, tmpDir, TOKENS } from "./support/env.js"
import { type Answer, type Gateway, spawnGateway, writeConfig } from "./support/gateway.js"
import { seedFor, type Sim, startSim } from "./support/sim.js"

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m

interface Finding {
  readonly input: unknown
  readonly answer: string
  readonly problem: string
}

const summarize = (area: string, runs: number, findings: ReadonlyArray<Finding>, extra: Record<string, unknown> = {}) =>
  record({ section: "bad-input", area, runs, failures: findings.length, examples: findings.slice(0, 5), ...extra })

// ---------------------------------------------------------------------------------------------
// CLI

describe("CLI arguments", () => {
  let sim: Sim
  let files: { valid: string; invalidJson: string; unknownField: string; missing: string }
  const findings: Array<Finding> = []
  const exits = new Map<string, number>()
  let runs = 0

  beforeAll(async () => {
    sim = await startSim(seedFor("HMAC", { marginTypes: { ETHUSDT: "ISOLATED" }, orders: [{ symbol: "SOLUSDT" }] }))
    const dir = tmpDir("cli-fuzz")
    files = {
      valid: path.join(dir, "desired.json"),
      invalidJson: path.join(dir, "broken.json"),
      unknownField: path.join(dir, "typo.json"),
      missing: path.join(dir, "missing.json")
    }
    fs.writeFileSync(files.valid, JSON.stringify({ multiAssets: false, marginTypes: { symbols: [{ symbol: "BTCUSDT", marginType: "ISOLATED" }] } }))
    fs.writeFileSync(files.invalidJson, "{ multiAssets: tru")
    fs.writeFileSync(files.unknownField, JSON.stringify({ multiAsset: true }))
  })

  afterAll(async () => {
    summarize("CLI arguments", runs, findings, { exitCodes: Object.fromEntries(exits) })
    await sim?.close()
  })

  const COMMANDS = ["status", "multi-assets", "margin-type", "plan", "apply", "time", "collateral"]
  const SUBCOMMANDS = ["get", "on", "off", "set"]
  const OPTIONS = [
    "--json", "--env", "--base-url", "--profile", "--recv-window", "--concurrency", "--all", "--multi-assets",
    "--margin-type", "--file", "--yes", "-y", "--dry-run", "--continue-on-blocked", "--help", "-h", "--log-level",
    "--completions", "--version"
  ]
  /** Never a real exchange: no prod/testnet/demo, no URL but the simulator's. */
  const safe = (t: string) => !/prod|testnet|demo|:\/\/|\0/i.test(t) && t !== "sim"
  const values = () => [
    "sim", "on", "off", "maybe", "ISOLATED", "CROSSED", "isolated", "cross", "FOO", "BTCUSDT", "btcusdt", "ETHUSDT",
    "NOPEUSDT", "b@d", "币安人生USDT", "0", "-1", "5", "21", "3000", "60001", "1e3", "abc", "", " ", "--", "-", "=",
    "--env=sim", "nope", "bash", "fish", "debug", "all", "true", sim.url, `${sim.url}/x?y=1`, "not a url", "ftp:x",
    files.valid, files.invalidJson, files.unknownField, files.missing
  ]

  const token = () =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...COMMANDS) },
      { weight: 2, arbitrary: fc.constantFrom(...SUBCOMMANDS) },
      { weight: 4, arbitrary: fc.constantFrom(...OPTIONS) },
      { weight: 4, arbitrary: fc.constantFrom(...values()) },
      { weight: 1, arbitrary: fc.string({ maxLength: 10 }).filter(safe) },
      { weight: 1, arbitrary: fc.constantFrom(...OPTIONS).chain((o) => fc.constantFrom(...values()).map((v) => `${o}=${v}`)) }
    )

  /** A command first most of the time, then tokens; `sim` (a server that runs until stopped) only as --env's value. */
  const argv = () =>
    fc.tuple(fc.option(fc.constantFrom(...COMMANDS), { nil: undefined, freq: 5 }), fc.array(token(), { maxLength: 7 }))
      .map(([cmd, rest]) => (cmd === undefined ? rest : [cmd, ...rest]))
      .filter((a) => a.every((t, i) => t !== "sim" || a[i - 1] === "--env") && !a.includes("--wizard"))

  /** Does the refusal name what is wrong: an option given, a quoted token or value, or the field's name? */
  const namesField = (text: string, args: ReadonlyArray<string>) => {
    const quoted = (t: string) =>
      text.includes(`'${t}'`) || text.includes(JSON.stringify(t)) || (t.trim() !== "" && text.includes(`"${t.trim().toUpperCase()}"`))
    return args.some((t) => {
      const eq = t.startsWith("--") ? t.indexOf("=") : -1
      const option = eq === -1 ? t : t.slice(0, eq)
      return (option.startsWith("-") && option.length > 1 && new RegExp(`(^|[^\\w-])${option}(?![\\w-])`).test(text)) ||
        quoted(t) || (eq !== -1 && quoted(t.slice(eq + 1)))
    }) ||
      /(^|[^\w-])(--env|--base-url|--profile|--margin-type|--multi-assets|--file)(?![\w-])/.test(text) ||
      /\b(symbols?|SYMBOL|TYPE|margin type|subcommand|command|API key|API secret)\b/.test(text)
  }

  const check = async (args: Array<string>) => {
    runs++
    const r = await runCli(args, { env: { ...credentialsEnv("HMAC"), MARGINCTL_SIM_URL: sim.url }, timeoutMs: 30_000 })
    const key = String(r.code ?? r.signal)
    exits.set(key, (exits.get(key) ?? 0) + 1)
    const text = `${r.stdout}\n${r.stderr}`
    const problems: Array<string> = []
    if (r.code === null) problems.push(`killed (${r.signal}) after 30 s`)
    else if (![0, 2, 3].includes(r.code)) problems.push(`exit ${r.code}`)
    if (STACK.test(text)) problems.push("stack trace")
    if (r.code === 2) {
      const message = r.json?.error ? `${r.json.error.message} ${r.json.error.hint ?? ""}` : text
      if (!namesField(message, args)) problems.push("the refusal does not name the option, value or field")
    }
    if (problems.length > 0) {
      findings.push({ input: args, answer: `exit ${r.code}: ${text.trim().slice(0, 300)}`, problem: problems.join("; ") })
    }
    return problems
  }

  /** Every sample runs (no shrinking: each is a process); the failures are listed at the end. */
  const property = (name: string, arb: fc.Arbitrary<Array<string>>, numRuns: number) =>
    it(name, async () => {
      const mine: Array<unknown> = []
      await fc.assert(
        fc.asyncProperty(arb, async (args) => {
          const problems = await check(args)
          if (problems.length > 0) mine.push({ args, problems })
        }),
        { numRuns }
      )
      expect(mine).toEqual([])
    }, 300_000)

  property("random tokens", fc.constant(null).chain(() => argv()), 40)
  property("each command with random options", fc.constant(null).chain(() =>
    fc.tuple(fc.constantFrom(...COMMANDS), fc.array(token(), { maxLength: 5 })).map(([c, r]) => [c, ...r, "--env", "sim"])
      .filter((a) => a.every((t, i) => t !== "sim" || a[i - 1] === "--env"))), 30)
  property("--json with random options", fc.constant(null).chain(() =>
    argv().map((a) => [...a, "--json"])), 30)
})

// ---------------------------------------------------------------------------------------------
// Gateway

interface Route {
  readonly name: string
  readonly method: string
  readonly path: (p: { account: string; symbol: string; job: string }) => string
  /** Names that may appear in a refusal of this route. */
  readonly fields: ReadonlyArray<string>
  readonly query?: fc.Arbitrary<string>
  readonly body?: fc.Arbitrary<unknown>
}

describe("gateway routes and bodies", () => {
  let sim: Sim
  let gw: Gateway
  const findings: Array<Finding> = []
  const statuses = new Map<number, number>()
  let runs = 0

  beforeAll(async () => {
    sim = await startSim(seedFor("HMAC", { marginTypes: { ETHUSDT: "ISOLATED" } }))
    const dir = tmpDir("gw-fuzz")
    gw = await spawnGateway(writeConfig(dir, [{ name: "main", baseUrl: sim.url, key: "HMAC" }], { cacheTtlMs: 500 }), `${dir}/data`)
  })

  afterAll(async () => {
    summarize("gateway routes, parameters and bodies", runs, findings, { statuses: Object.fromEntries(statuses) })
    await gw?.kill()
    await sim?.close()
  })

  const anything = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(true, false, "true", "on", "ISOLATED", "isolated", "cross", "CROSSED", "x", "", 0, 1, -1, 20, 21, 1.5, null, [], {})
  )
  const symbolArb = fc.oneof(
    fc.constantFrom("BTCUSDT", "btcusdt", " ethusdt ", "NOPEUSDT", "b@d", "币安人生USDT", "", "A".repeat(41)),
    fc.string({ maxLength: 12 })
  )
  const desired = fc.oneof(
    anything,
    fc.record({
      multiAssets: anything,
      marginTypes: fc.oneof(anything, fc.record({
        all: anything,
        symbols: fc.oneof(anything, fc.array(fc.record({ symbol: fc.oneof(symbolArb, anything), marginType: anything }, { requiredKeys: [] }), { maxLength: 3 }))
      }, { requiredKeys: [] }))
    }, { requiredKeys: [] })
  )
  const ROUTES: ReadonlyArray<Route> = [
    { name: "list accounts", method: "GET", path: () => "/v1/accounts", fields: [] },
    { name: "status", method: "GET", path: (p) => `/v1/accounts/${p.account}/status`, fields: ["account"] },
    { name: "get multi-assets", method: "GET", path: (p) => `/v1/accounts/${p.account}/multi-assets`, fields: ["account"] },
    {
      name: "set multi-assets", method: "PUT", path: (p) => `/v1/accounts/${p.account}/multi-assets`, fields: ["account", "multiAssetsMargin"],
      body: fc.oneof(anything, fc.record({ multiAssetsMargin: anything }, { requiredKeys: [] }))
    },
    {
      name: "get margin types", method: "GET", path: (p) => `/v1/accounts/${p.account}/margin-types`, fields: ["account", "symbols"],
      query: fc.oneof(
        fc.constant(""),
        fc.array(fc.oneof(symbolArb, fc.constant("")), { maxLength: 4 }).map((s) => `?symbols=${encodeURIComponent(s.join(","))}`),
        fc.string({ maxLength: 12 }).map((s) => `?symbols=${s}`),
        fc.constant("?symbols=BTCUSDT&symbols=ETHUSDT")
      )
    },
    {
      name: "set margin type", method: "PUT", path: (p) => `/v1/accounts/${p.account}/margin-types/${p.symbol}`,
      fields: ["account", "symbol", "marginType"],
      body: fc.oneof(anything, fc.record({ marginType: anything }, { requiredKeys: [] }))
    },
    {
      name: "plan", method: "POST", path: (p) => `/v1/accounts/${p.account}/plan`, fields: ["account", "desired", "symbol"],
      body: fc.oneof(anything, fc.record({ desired }, { requiredKeys: [] }))
    },
    {
      name: "apply job", method: "POST", path: (p) => `/v1/accounts/${p.account}/jobs`,
      fields: ["account", "desired", "symbol", "concurrency", "continueOnBlocked"],
      body: fc.oneof(anything, fc.record({ desired, continueOnBlocked: anything, concurrency: anything }, { requiredKeys: [] }))
    },
    { name: "job", method: "GET", path: (p) => `/v1/jobs/${p.job}`, fields: ["id", "job"] },
    {
      name: "audit", method: "GET", path: () => "/v1/audit", fields: ["account", "token", "outcome", "from", "to", "limit", "cursor"],
      query: fc.array(
        fc.tuple(fc.constantFrom("account", "token", "outcome", "from", "to", "limit", "cursor", "x"), fc.oneof(
          fc.constantFrom("main", "changed", "nope", "2024-01-01", "2024-13-45", "0", "1", "500", "501", "-1", "abc", "9".repeat(20), ""),
          fc.string({ maxLength: 8 })
        )),
        { maxLength: 4 }
      ).map((kv) => (kv.length === 0 ? "" : `?${kv.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}`))
    }
  ]

  const segment = (values: ReadonlyArray<string>) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...values) },
      { weight: 1, arbitrary: fc.string({ maxLength: 12 }).filter((s) => s.length > 0).map(encodeURIComponent) },
      { weight: 1, arbitrary: fc.constantFrom("%ZZ", "%E5%B8", "a%2Fb", "%2e%2e", "..", "x".repeat(65), "%20main") }
    )

  const request = fc.record({
    route: fc.constantFrom(...ROUTES),
    account: segment(["main", "main", "main", "MAIN", "nope", "b@d"]),
    symbol: segment(["BTCUSDT", "btcusdt", "NOPEUSDT"]),
    job: segment(["job_abc123", "job_", "nope", `job_${"a".repeat(41)}`]),
    method: fc.option(fc.constantFrom("GET", "PUT", "POST", "DELETE", "PATCH"), { nil: undefined, freq: 6 }),
    token: fc.option(fc.constantFrom<string | null>(TOKENS.reader, null, "not-a-token"), { nil: undefined, freq: 6 }),
    contentType: fc.option(fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-8", "application/xml"), {
      nil: undefined,
      freq: 4
    }),
    rawBody: fc.option(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("{", "[1,", "{\"multiAssetsMargin\":tru}", "null", "\"x\"")), {
      nil: undefined,
      freq: 4
    })
  }).chain((r) =>
    fc.record({
      query: r.route.query ?? fc.constant(""),
      body: r.route.body ?? fc.constant(undefined)
    }).map((x) => ({ ...r, ...x }))
  )


  it("random routes, path parameters, queries and bodies → 2xx or an explained 4xx, never 5xx", async () => {
    const patterns = new Map<string, RegExp>([
      ["list accounts", /^\/v1\/accounts$/],
      ["status", /^\/v1\/accounts\/[^/]+\/status$/],
      ["get multi-assets", /^\/v1\/accounts\/[^/]+\/multi-assets$/],
      ["set multi-assets", /^\/v1\/accounts\/[^/]+\/multi-assets$/],
      ["get margin types", /^\/v1\/accounts\/[^/]+\/margin-types$/],
      ["set margin type", /^\/v1\/accounts\/[^/]+\/margin-types\/[^/]+$/],
      ["plan", /^\/v1\/accounts\/[^/]+\/plan$/],
      ["apply job", /^\/v1\/accounts\/[^/]+\/jobs$/],
      ["job", /^\/v1\/jobs\/[^/]+$/],
      ["audit", /^\/v1\/audit$/]
    ])
    const isKnownRoute = (method: string, p: string) =>
      ROUTES.some((r) => r.method === method && patterns.get(r.name)!.test(p))
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        runs++
        const method = r.method ?? r.route.method
        const p = r.route.path(r)
        const withBody = method !== "GET" && (r.rawBody !== undefined || r.body !== undefined)
        const input = { method, path: p + r.query, body: withBody ? (r.rawBody ?? r.body) : undefined, contentType: r.contentType }
        let a: Answer
        try {
          a = await gw.request(method, p + r.query, withBody ? (r.rawBody ?? JSON.stringify(r.body)) : undefined, {
            raw: true,
            timeoutMs: 10_000,
            ...(r.token === undefined ? {} : { token: r.token }),
            ...(withBody ? { headers: { "content-type": r.contentType ?? "application/json" } } : {})
          })
        } catch (e) {
          findings.push({ input, answer: String(e), problem: "no answer within 10 s" })
          return
        }
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1)
        const problems: Array<string> = []
        if (a.status >= 500) problems.push(`status ${a.status}`)
        else if (a.status >= 400) {
          const j = a.json
          if (j === undefined || typeof j !== "object" || j === null || typeof j._tag !== "string") {
            problems.push("the refusal is not a JSON object with _tag")
          } else if (a.status === 400) {
            if (j._tag === "InvalidRequest" ? !(typeof j.field === "string" && j.field.length > 0) : j._tag !== "HttpApiDecodeError") {
              problems.push(`400 ${j._tag} without a field`)
            } else if (j._tag === "HttpApiDecodeError") {
              const issues: Array<{ path: Array<unknown>; message: string }> = j.issues ?? []
              // A path names the field; an empty path means the whole body has the wrong shape.
              if (issues.length === 0 || !issues.every((i) => Array.isArray(i.path) && typeof i.message === "string" && i.message !== "")) {
                problems.push("HttpApiDecodeError without issues naming the field")
              }
            }
          } else if (a.status === 404 && j._tag === "RouteNotFound" && isKnownRoute(method, new URL(p, gw.url).pathname)) {
            problems.push("404 RouteNotFound on a known route: the bad path parameter is not named")
          } else if (a.status === 404 && j._tag === "NotFound" && !(typeof j.resource === "string" && typeof j.name === "string")) {
            problems.push("NotFound without resource and name")
          } else if (![401, 403, 404, 405, 409, 413, 415].includes(a.status)) {
            problems.push(`unexpected status ${a.status}`)
          }
        }
        if (problems.length > 0) {
          findings.push({ input, answer: `${a.status} ${a.text.slice(0, 300)}`, problem: problems.join("; ") })
        }
      }),
      { numRuns: 400 }
    )
    expect(findings).toEqual([])
  }, 300_000)

  it("a body over the limit is 413 and a body that is not JSON names the body", async () => {
    const big = await gw.request("PUT", "/v1/accounts/main/multi-assets", "x".repeat(70_000), { raw: true })
    expect(big.status).toBe(413)
    expect(big.json).toMatchObject({ _tag: "PayloadTooLarge" })
    const broken = await gw.request("PUT", "/v1/accounts/main/multi-assets", "{\"multiAssetsMargin\":", { raw: true })
    expect(broken.status).toBe(400)
    expect(broken.json).toMatchObject({ _tag: "InvalidRequest", field: "body" })
  })
})

// ---------------------------------------------------------------------------------------------
// Simulator (the approach of packages/simulator/test/Fuzz.test.ts, over its HTTP server)

describe("simulator endpoints", () => {
  let exchange: Sim
  let control: Sim
  const findings: Array<Finding> = []
  let runs = 0

  beforeAll(async () => {
    exchange = await startSim(seedFor("HMAC", { orders: [{ symbol: "ETHUSDT" }], positions: [{ symbol: "BTCUSDT", positionAmt: 1 }] }))
    control = await startSim(seedFor("HMAC"))
  })

  afterAll(async () => {
    summarize("simulator exchange and control endpoints", runs, findings)
    await exchange?.close()
    await control?.close()
  })

  const KNOWN_PATHS = [
    "/fapi/v1/time", "/fapi/v1/ping", "/fapi/v1/exchangeInfo", "/fapi/v1/multiAssetsMargin", "/fapi/v1/marginType",
    "/fapi/v1/accountConfig", "/fapi/v1/symbolConfig", "/fapi/v1/openOrders", "/fapi/v1/openAlgoOrders", "/fapi/v3/positionRisk",
    "/fapi/v3/account", "/fapi/v1/assetIndex", "/fapi/v1/positionSide/dual"
  ]
  const NAMES = ["symbol", "marginType", "multiAssetsMargin", "timestamp", "recvWindow", "signature", "x", ""]
  const text = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom("BTCUSDT", "币安人生USDT", "ISOLATED", "CROSSED", "true", "false", "0", "-1", "99999999999999999999999", "%", "%E5%B8", "+", "&", "=")
  )
  const rawParams = fc.oneof(
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 6 })), text), { maxLength: 6 })
      .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")),
    fc.array(fc.tuple(fc.constantFrom(...NAMES), text), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join("&")),
    fc.string({ maxLength: 40 }).filter((s) => !/[#\s]/.test(s)),
    fc.constant("")
  )

  it("exchange API over HTTP: random methods, paths, parameters, bodies and keys → 200 or a Binance {code,msg} 4xx naming the parameter", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
        fc.oneof(fc.constantFrom(...KNOWN_PATHS), fc.constantFrom("/", "/fapi", "/fapi/v1/", "/FAPI/V1/TIME", "/fapi/v1/order")),
        rawParams,
        rawParams,
        fc.option(fc.oneof(fc.constant(API_KEYS.HMAC), fc.string({ maxLength: 20 }).filter((s) => /^[\x21-\x7e]*$/.test(s))), { nil: undefined }),
        async (method, p, query, body, apiKey) => {
          runs++
          const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" }
          if (apiKey !== undefined) headers["x-mbx-apikey"] = apiKey
          const res = await fetch(`${exchange.url}${p}${query ? `?${query}` : ""}`, {
            method,
            headers,
            ...(method === "GET" || body === "" ? {} : { body })
          })
          const answer = await res.text()
          const problems: Array<string> = []
          if (res.status !== 200) {
            if (res.status < 400 || res.status >= 500) problems.push(`status ${res.status}`)
            let json: any
            try {
              json = JSON.parse(answer)
            } catch {
              json = undefined
            }
            if (!(typeof json?.code === "number" && typeof json?.msg === "string")) problems.push("not a Binance {code,msg} body")
            // Mandatory, empty or invalid parameters: the message names the parameter.
            else if ([-1102, -1105, -1130].includes(json.code) && !/'[^']+'|parameter \w+|\w+ is/.test(json.msg)) {
              problems.push(`${json.code} does not name the parameter`)
            }
          }
          if (res.headers.get("x-mbx-used-weight-1m") === null && res.status !== 200) problems.push("no X-MBX-USED-WEIGHT-1M header")
          if (problems.length > 0) findings.push({ input: { method, path: p, query, body }, answer: `${res.status} ${answer.slice(0, 200)}`, problem: problems.join("; ") })
        }
      ),
      { numRuns: 300 }
    )
    expect(findings).toEqual([])
    // Keep the IP far from a ban for the other tests of this file.
    await exchange.admin("POST", "/reset")
  }, 300_000)

  it("control API: random bodies for every writing route → 2xx, or 400 naming the field, or 404", async () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(-1, 0, 1, 2400, 1e9, "x", "", "BTCUSDT", "ISOLATED", true, null))
    const routes = [
      { method: "PUT", path: "/config", body: fc.oneof(value, fc.record({ weightLimit: value, banAfter: value, banBaseMs: value, recvWindowCap: value, quirk4067: value, nope: value }, { requiredKeys: [] })) },
      { method: "POST", path: "/faults", body: fc.oneof(value, fc.record({ kind: fc.oneof(value, fc.constantFrom("latency", "unknown", "drop", "status", "clockSkew")), endpoint: value, method: value, count: value, ms: value, executed: value, status: value, offsetMs: value }, { requiredKeys: [] })) },
      { method: "POST", path: "/accounts", body: fc.oneof(value, fc.record({ name: fc.oneof(value, fc.constantFrom("fuzz", "b@d")), apiKey: value, secret: value, publicKeyPem: value, permissions: value, marginTypes: value, balances: value, positions: value, orders: value }, { requiredKeys: [] })) },
      { method: "PUT", path: "/accounts/main/settings", body: fc.oneof(value, fc.record({ multiAssetsMargin: value, marginTypes: value, leverage: value, canTrade: value, feeTier: value }, { requiredKeys: [] })) },
      { method: "PUT", path: "/accounts/main/balances", body: fc.oneof(value, fc.dictionary(fc.constantFrom("USDT", "BTC", "NOPE", ""), value)) },
      { method: "POST", path: "/accounts/main/orders", body: fc.oneof(value, fc.record({ kind: value, symbol: value, side: value, price: value, quantity: value, orderType: value, triggerPrice: value }, { requiredKeys: [] })) },
      { method: "POST", path: "/accounts/main/positions", body: fc.oneof(value, fc.record({ symbol: value, positionAmt: value, entryPrice: value, amount: value }, { requiredKeys: [] })) },
      { method: "DELETE", path: "/accounts/main/orders/x", body: fc.constant(undefined) },
      { method: "PUT", path: "/accounts", body: fc.oneof(value, fc.array(value, { maxLength: 2 })) }
    ]
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes).chain((r) => r.body.map((b) => ({ ...r, b }))), async (r) => {
        runs++
        const a = await control.control(r.method, r.path, r.b === undefined ? undefined : JSON.stringify(r.b))
        const problems: Array<string> = []
        if (a.status >= 500) problems.push(`status ${a.status}`)
        else if (a.status === 400 && !(typeof a.json?.field === "string" && typeof a.json?.message === "string")) problems.push("400 without field and message")
        else if (a.status >= 300 && ![400, 404, 409].includes(a.status)) problems.push(`status ${a.status}`)
        if (problems.length > 0) findings.push({ input: { method: r.method, path: r.path, body: r.b }, answer: `${a.status} ${a.text.slice(0, 200)}`, problem: problems.join("; ") })
        // Back to a known state now and then (a random config may lower the limits).
        if (runs % 25 === 0) await control.admin("POST", "/reset")
      }),
      { numRuns: 300 }
    )
    expect(findings.filter((f) => (f.input as { path?: string }).path?.startsWith("/fapi") !== true)).toEqual([])
  }, 300_000)
})

afterAll(() => flush("2-bad-input"))

void HMAC_SECRET
