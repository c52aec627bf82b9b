/**
 * The contract by itself: the OpenAPI document it describes, the statuses of its errors, its input
 * schemas, and a client derived from it against a stub server built from the same contract (no
 * network, no Node server: HttpApiBuilder.toWebHandler).
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpServer from "@effect/platform/HttpServer"
import * as OpenApi from "@effect/platform/OpenApi"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Redacted from "effect/Redacted"
import { ApplyRequest, Job } from "../src/Jobs.js"
import { AuditQuery } from "../src/Audit.js"
import { AccountName } from "../src/Accounts.js"
import { Authentication } from "../src/Auth.js"
import { NotFound, RateLimited, Unauthenticated } from "../src/Errors.js"
import { GatewayApi } from "../src/GatewayApi.js"
import { SymbolList } from "../src/MarginTypes.js"

const spec = OpenApi.fromApi(GatewayApi) as any

describe("OpenAPI document", () => {
  it("lists every route with its method", () => {
    const routes = Object.entries(spec.paths).flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`))
    expect(routes.sort()).toEqual([
      "GET /healthz",
      "GET /metrics",
      "GET /readyz",
      "GET /v1/accounts",
      "GET /v1/accounts/{account}/desired",
      "GET /v1/accounts/{account}/drift",
      "GET /v1/accounts/{account}/events",
      "GET /v1/accounts/{account}/margin-types",
      "GET /v1/accounts/{account}/multi-assets",
      "GET /v1/accounts/{account}/status",
      "GET /v1/audit",
      "GET /v1/drift",
      "GET /v1/jobs/{id}",
      "GET /v1/jobs/{id}/events",
      "POST /v1/accounts/{account}/jobs",
      "POST /v1/accounts/{account}/plan",
      "PUT /v1/accounts/{account}/desired",
      "PUT /v1/accounts/{account}/margin-types/{symbol}",
      "PUT /v1/accounts/{account}/multi-assets"
    ])
  })

  it("maps errors to their statuses", () => {
    const statuses = (p: string, m: string) => Object.keys(spec.paths[p][m].responses).sort()
    expect(statuses("/v1/accounts/{account}/margin-types/{symbol}", "put")).toEqual(
      ["200", "400", "401", "403", "404", "409", "413", "429", "502", "503", "504"]
    )
    expect(statuses("/v1/accounts/{account}/jobs", "post")).toEqual(["202", "400", "401", "403", "404", "409", "413", "429", "502", "503"])
    expect(statuses("/readyz", "get")).toEqual(["200", "400", "413", "503"])
    expect(spec.paths["/v1/jobs/{id}/events"].get.responses["200"].content).toHaveProperty("text/event-stream")
    expect(spec.paths["/metrics"].get.responses["200"].content).toHaveProperty(["text/plain; version=0.0.4; charset=utf-8"])
  })

  it("requires a bearer token everywhere but the probes", () => {
    expect(spec.components.securitySchemes.bearer).toEqual({ type: "http", scheme: "bearer" })
    expect(spec.paths["/v1/audit"].get.security).toEqual([{ bearer: [] }])
    expect(spec.paths["/healthz"].get.security).toEqual([])
  })
})

describe("input schemas", () => {
  it("symbols: comma-separated, any case, 1 to 200", () => {
    expect(Schema.decodeUnknownSync(SymbolList)("btcusdt, ETHUSDT")).toEqual(["BTCUSDT", "ETHUSDT"])
    const bad = Schema.decodeUnknownEither(SymbolList)("BTC-USDT")
    expect(Either.isLeft(bad) && bad.left.message).toContain("symbol must be")
    expect(Either.isLeft(Schema.decodeUnknownEither(SymbolList)(Array(201).fill("BTCUSDT").join(",")))).toBe(true)
  })

  it("account names, apply options and audit paging are bounded", () => {
    expect(Either.isLeft(Schema.decodeUnknownEither(AccountName)("a b"))).toBe(true)
    expect(Either.isRight(Schema.decodeUnknownEither(ApplyRequest)({ desired: { multiAssets: true }, concurrency: 20 }))).toBe(true)
    expect(Either.isLeft(Schema.decodeUnknownEither(ApplyRequest)({ desired: {}, concurrency: 21 }))).toBe(true)
    expect(Either.isLeft(Schema.decodeUnknownEither(ApplyRequest)({ desired: { marginTypes: { all: "BOTH" } } }))).toBe(true)
    expect(Schema.decodeUnknownSync(AuditQuery)({ limit: "500", from: "2026-01-01" }).limit).toBe(500)
    expect(Either.isLeft(Schema.decodeUnknownEither(AuditQuery)({ limit: "501" }))).toBe(true)
    expect(Either.isLeft(Schema.decodeUnknownEither(AuditQuery)({ from: "yesterday" }))).toBe(true)
  })
})

describe("job schema", () => {
  it("an interrupted job: its desired state, the step in flight interrupted, the others pending", () => {
    const job = {
      id: "job_abc",
      account: "main",
      token: "desk-bot",
      state: "interrupted",
      desired: { multiAssets: true },
      createdAt: 1,
      startedAt: 2,
      finishedAt: 3,
      continueOnBlocked: false,
      concurrency: 5,
      plan: { steps: [], readWeight: 0, applyWeight: 0, blocked: false, unchanged: [], multiAssetsUnchanged: false, multiAssets: { before: false, after: true } },
      steps: [
        { index: 1, title: "Cross ETHUSDT", outcome: "changed" },
        { index: 2, title: "Cross SOLUSDT", outcome: "interrupted", error: { tag: "Interrupted", code: null, message: "re-read the account" } },
        { index: 3, title: "Turn Multi-Assets Mode on", outcome: "pending" }
      ],
      events: [{ seq: 1, time: 2, event: { _tag: "StepStarted", index: 1 } }],
      summary: null
    }
    expect(Schema.decodeUnknownSync(Job)(job)).toEqual(job)
    expect(Either.isLeft(Schema.decodeUnknownEither(Job)({ ...job, state: "crashed" }))).toBe(true)
    const { desired: _, ...withoutDesired } = job
    expect(Either.isLeft(Schema.decodeUnknownEither(Job)(withoutDesired))).toBe(true)
  })
})

describe("derived client", () => {
  // A stub server made from the same contract: the client must decode its answers and errors.
  const Stub = HttpApiBuilder.api(GatewayApi).pipe(
    Layer.provide([
      HttpApiBuilder.group(GatewayApi, "accounts", (h) =>
        h.handle("list", () => Effect.succeed({ accounts: [{ name: "main", upstream: "fapi.binance.com", keyType: "ED25519" as const }] }))
          .handle("status", ({ path }) => Effect.fail(new NotFound({ resource: "account", name: path.account, message: "no" })))),
      HttpApiBuilder.group(GatewayApi, "multiAssets", (h) =>
        h.handle("get", ({ path }) => Effect.succeed({ account: path.account, multiAssetsMargin: true, ageMs: 5 }))
          .handle("set", () => Effect.fail(new RateLimited({ source: "budget", retryAfterSeconds: 7, message: "full" })))),
      HttpApiBuilder.group(GatewayApi, "marginTypes", (h) =>
        h.handle("list", ({ path, urlParams }) =>
          Effect.succeed({
            account: path.account,
            marginTypes: (urlParams.symbols ?? []).map((symbol) => ({ symbol, marginType: "CROSSED" as const })),
            ageMs: 0
          })).handle("set", () => Effect.die("unused"))),
      HttpApiBuilder.group(GatewayApi, "jobs", (h) =>
        h.handle("plan", () => Effect.die("unused")).handle("apply", () => Effect.die("unused"))
          .handle("get", () => Effect.die("unused")).handle("events", () => Effect.succeed("event: Done\ndata: {}\n\n"))),
      HttpApiBuilder.group(GatewayApi, "audit", (h) => h.handle("list", () => Effect.succeed({ rows: [], nextCursor: null }))),
      HttpApiBuilder.group(GatewayApi, "events", (h) => h.handle("account", () => Effect.succeed("event: state\ndata: {}\n\n"))),
      HttpApiBuilder.group(GatewayApi, "desired", (h) =>
        h.handle("get", () => Effect.die("unused")).handle("set", () => Effect.die("unused"))
          .handle("drift", () => Effect.die("unused")).handle("fleet", () => Effect.succeed({ accounts: [] }))),
      HttpApiBuilder.group(GatewayApi, "health", (h) =>
        h.handle("healthz", () => Effect.succeed({ status: "ok" as const, uptimeSeconds: 1, version: "x" }))
          .handle("readyz", () => Effect.succeed({ ready: true as const, accounts: [], store: { kind: "sqlite" as const, ready: true, detail: "answering" }, streams: [] }))
          .handle("metrics", () => Effect.succeed("m 1\n")))
    ]),
    Layer.provide(Layer.succeed(Authentication, Authentication.of({
      bearer: (token) =>
        Redacted.value(token) === "good"
          ? Effect.succeed({ name: "t", scopes: ["read"], accounts: ["*"] })
          : Effect.fail(new Unauthenticated({ message: "unknown token" }))
    })))
  )
  const { handler } = HttpApiBuilder.toWebHandler(Layer.mergeAll(Stub, HttpServer.layerContext))
  const http = HttpClient.make((request, url) =>
    Effect.promise(async () => {
      const body = request.body._tag === "Uint8Array" ? (request.body.body as BodyInit) : null
      const res = await handler(new Request(url, { method: request.method, headers: request.headers, body }))
      return HttpClientResponse.fromWeb(request, res)
    })
  )
  const client = (token: string) =>
    HttpApiClient.make(GatewayApi, {
      baseUrl: "http://gateway.test",
      transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(token))
    }).pipe(Effect.provideService(HttpClient.HttpClient, http))

  it.effect("decodes successes, typed errors and text bodies", () =>
    Effect.gen(function*() {
      const c = yield* client("good")
      expect((yield* c.accounts.list()).accounts[0]!.keyType).toBe("ED25519")
      expect(yield* c.multiAssets.get({ path: { account: "main" } })).toEqual({ account: "main", multiAssetsMargin: true, ageMs: 5 })
      const types = yield* c.marginTypes.list({ path: { account: "main" }, urlParams: { symbols: ["BTCUSDT" as never] } })
      expect(types.marginTypes).toEqual([{ symbol: "BTCUSDT", marginType: "CROSSED" }])
      const missing = yield* Effect.flip(c.accounts.status({ path: { account: "nope" } }))
      expect(missing).toBeInstanceOf(NotFound)
      const limited = yield* Effect.flip(c.multiAssets.set({ path: { account: "main" }, payload: { multiAssetsMargin: true } }))
      expect(limited).toMatchObject({ _tag: "RateLimited", retryAfterSeconds: 7 })
      expect(yield* c.jobs.events({ path: { id: "job_abc" } })).toContain("event: Done")
      expect(yield* c.health.metrics()).toBe("m 1\n")
      const bad = yield* client("bad")
      expect(yield* Effect.flip(bad.accounts.list())).toBeInstanceOf(Unauthenticated)
    }))
})
