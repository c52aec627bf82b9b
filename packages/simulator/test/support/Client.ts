/**
 * Test client: builds raw Binance requests (exact query and body bytes), signs them with core's
 * Signer (HMAC, RSA, Ed25519) and sends them through the in-process HttpClient layer.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Signer from "@marginctl/core/Signer"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { readFileSync } from "node:fs"
import * as Simulator from "../../src/Simulator.js"
import * as SimulatorHttpClient from "../../src/SimulatorHttpClient.js"

const vector = (name: string) => readFileSync(new URL(`../../../../../shared/vectors/${name}`, import.meta.url), "utf8")

export const RSA_PRIVATE = vector("rsa-test-private.pem")
export const RSA_PUBLIC = vector("rsa-test-public.pem")
export const ED25519_PRIVATE = vector("ed25519-test-private.pem")
export const ED25519_PUBLIC = vector("ed25519-test-public.pem")
export const HMAC_SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"

export type KeyKind = "HMAC" | "RSA" | "ED25519"
export const KEY_KINDS: ReadonlyArray<KeyKind> = ["HMAC", "RSA", "ED25519"]

export const API_KEYS: Record<KeyKind, string> = {
  HMAC: "hmacKey0000000000000000000000000000000000000000000000000000001",
  RSA: "rsaKey00000000000000000000000000000000000000000000000000000001",
  ED25519: "edKey000000000000000000000000000000000000000000000000000000001"
}
export const READ_ONLY_KEY = "readOnlyKey000000000000000000000000000000000000000000000000001"

/** Seed fields of the key of a kind. */
export const keySeed = (kind: KeyKind) =>
  kind === "HMAC"
    ? { apiKey: API_KEYS.HMAC, secret: HMAC_SECRET }
    : { apiKey: API_KEYS[kind], publicKeyPem: kind === "RSA" ? RSA_PUBLIC : ED25519_PUBLIC }

export interface Creds {
  readonly apiKey: string
  readonly signer: Signer.SignerShape
}

export const creds = (kind: KeyKind, apiKey = API_KEYS[kind]): Effect.Effect<Creds> =>
  Effect.map(
    Signer.make(
      kind === "HMAC"
        ? Signer.hmac(Redacted.make(HMAC_SECRET))
        : Signer.privateKey(Redacted.make(kind === "RSA" ? RSA_PRIVATE : ED25519_PRIVATE))
    ),
    (signer) => ({ apiKey, signer })
  ).pipe(Effect.orDie)

/** One account "main" with a key of each kind and a read-only HMAC key, plus `extra` account fields. */
export const seedWith = (extra: Record<string, unknown> = {}, config: Record<string, unknown> = {}) => ({
  config,
  accounts: [{
    name: "main",
    keys: [
      ...KEY_KINDS.map(keySeed),
      { apiKey: READ_ONLY_KEY, secret: HMAC_SECRET, permissions: ["USER_DATA"] }
    ],
    balances: { USDT: 10000, USDC: 1000 },
    ...extra
  }]
})

export const makeSim = (seed: unknown = seedWith(), options: Omit<Simulator.Options, "seed"> = {}) =>
  Simulator.make({ seed, adminToken: "admin-token", ...options }).pipe(Effect.orDie)

export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  readonly json: any
}

export interface RawRequest {
  readonly method: "GET" | "POST" | "PUT" | "DELETE"
  readonly path: string
  readonly query?: string
  readonly body?: string
  readonly headers?: Record<string, string>
  readonly clientIp?: string
}

/** Sends exactly these bytes through the in-process HttpClient. */
export const send = (sim: Simulator.SimulatorShape, r: RawRequest): Effect.Effect<Answer> =>
  Effect.gen(function*() {
    const client = SimulatorHttpClient.make(sim, { clientIp: r.clientIp })
    let request = HttpClientRequest.make(r.method)(`http://sim.local${r.path}${r.query ? `?${r.query}` : ""}`)
    if (r.headers !== undefined) request = HttpClientRequest.setHeaders(request, r.headers)
    if (r.body !== undefined) request = HttpClientRequest.bodyText(request, r.body, "application/x-www-form-urlencoded")
    const response = yield* client.execute(request)
    const text = yield* response.text
    let json: unknown = undefined
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: response.status, headers: response.headers, text, json }
  }).pipe(Effect.orDie)

export const encode = (pairs: ReadonlyArray<readonly [string, string]>): string =>
  pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")

export const encodeSignature = (signer: Signer.SignerShape, signature: string) =>
  signer.keyType === "HMAC" ? signature : encodeURIComponent(signature)

export interface SignedOptions {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly params?: ReadonlyArray<readonly [string, string]>
  /** Where the parameters go (POST only): all in the body (default for POST), all in the query, or split. */
  readonly placement?: "query" | "body" | "split"
  readonly timestamp?: number
  readonly recvWindow?: number
  readonly clientIp?: string
}

/**
 * A signed request as Binance clients send it: params, recvWindow, timestamp, then the signature last.
 * The timestamp defaults to the current Clock time (TestClock: 0).
 */
export const signed = (sim: Simulator.SimulatorShape, c: Creds, o: SignedOptions): Effect.Effect<Answer> =>
  Effect.gen(function*() {
    const ts = o.timestamp ?? (yield* Clock.currentTimeMillis)
    const pairs: Array<readonly [string, string]> = [...(o.params ?? [])]
    if (o.recvWindow !== undefined) pairs.push(["recvWindow", String(o.recvWindow)])
    pairs.push(["timestamp", String(ts)])
    const placement = o.method === "GET" ? "query" : o.placement ?? "body"
    let query = ""
    let body = ""
    if (placement === "query") query = encode(pairs)
    else if (placement === "body") body = encode(pairs)
    else {
      query = encode(pairs.slice(0, 1))
      body = encode(pairs.slice(1))
    }
    const signature = encodeSignature(c.signer, yield* Effect.orDie(c.signer.sign(query + body)))
    if (body === "") query = `${query}&signature=${signature}`
    else body = `${body}&signature=${signature}`
    return yield* send(sim, {
      method: o.method,
      path: o.path,
      query,
      ...(o.method === "POST" ? { body } : {}),
      headers: { "X-MBX-APIKEY": c.apiKey },
      ...(o.clientIp !== undefined ? { clientIp: o.clientIp } : {})
    })
  })

export const setMarginType = (sim: Simulator.SimulatorShape, c: Creds, symbol: string, type: string) =>
  signed(sim, c, { method: "POST", path: "/fapi/v1/marginType", params: [["symbol", symbol], ["marginType", type]] })

export const setMultiAssets = (sim: Simulator.SimulatorShape, c: Creds, on: boolean | string) =>
  signed(sim, c, { method: "POST", path: "/fapi/v1/multiAssetsMargin", params: [["multiAssetsMargin", String(on)]] })

export const setPositionMode = (sim: Simulator.SimulatorShape, c: Creds, dualSidePosition: boolean | string) =>
  signed(sim, c, { method: "POST", path: "/fapi/v1/positionSide/dual", params: [["dualSidePosition", String(dualSidePosition)]] })

export const setLeverage = (sim: Simulator.SimulatorShape, c: Creds, symbol: string, leverage: number) =>
  signed(sim, c, { method: "POST", path: "/fapi/v1/leverage", params: [["symbol", symbol], ["leverage", String(leverage)]] })

export const get = (sim: Simulator.SimulatorShape, c: Creds, path: string, params: ReadonlyArray<readonly [string, string]> = []) =>
  signed(sim, c, { method: "GET", path, params })

/** A control API call with the admin token. */
export const control = (
  sim: Simulator.SimulatorShape,
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
  token = "admin-token"
) =>
  Effect.gen(function*() {
    const answer = yield* sim.handle({
      method,
      path: controlPath(path),
      query: path.includes("?") ? path.slice(path.indexOf("?") + 1) : "",
      body: body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body),
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      clientIp: "127.0.0.1"
    })
    let json: unknown
    try {
      json = JSON.parse(answer.body)
    } catch {
      json = undefined
    }
    return { status: answer.status, headers: answer.headers, text: answer.body, json } as Answer
  })

export const controlPath = (path: string) => (path.includes("?") ? path.slice(0, path.indexOf("?")) : path)

export const isBinanceError = (json: unknown): json is { code: number; msg: string } =>
  typeof json === "object" && json !== null && typeof (json as { code?: unknown }).code === "number" &&
  typeof (json as { msg?: unknown }).msg === "string" && Object.keys(json).length === 2
