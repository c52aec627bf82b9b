/**
 * Two floors for the diagnostic table of client-cost (never reported as marginctl or as a peer): the
 * same four signed requests with the least code that can send them.
 *
 *   baseline-nodehttp        node:http with a keep-alive agent, node:crypto createHmac, JSON.parse
 *   baseline-effect-undici   the same requests through @effect/platform's HttpClient on undici, one
 *                            ManagedRuntime.runPromise per call (what any Effect HTTP client pays)
 *
 * Together with marginctl as shipped they split a call's CPU time into HTTP + signing, the Effect
 * runtime and HttpClient, and the core's own work (schemas, clock, budget, error mapping, spans).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { createHmac } from "node:crypto"
import * as http from "node:http"
import type { Adapter, MarginType, Target } from "./clients.js"

interface Wire {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly params: string
}

const signed = (target: Target, params: string): string => {
  const query = `${params}${params ? "&" : ""}timestamp=${Date.now()}`
  return `${query}&signature=${createHmac("sha256", target.secret).update(query).digest("hex")}`
}

const operations = (send: (w: Wire) => Promise<any>): Omit<Adapter, "name" | "close"> => ({
  readMultiAssets: () => send({ method: "GET", path: "/fapi/v1/accountConfig", params: "" }).then((r) => r.multiAssetsMargin),
  setMultiAssets: (on) => send({ method: "POST", path: "/fapi/v1/multiAssetsMargin", params: `multiAssetsMargin=${on}` }),
  readMarginType: (symbol) =>
    send({ method: "GET", path: "/fapi/v1/symbolConfig", params: `symbol=${symbol}` }).then((r) => r[0].marginType),
  setMarginType: (symbol, type: MarginType) =>
    send({ method: "POST", path: "/fapi/v1/marginType", params: `symbol=${symbol}&marginType=${type}` })
})

const check = (status: number, text: string): any => {
  if (status !== 200) throw new Error(`HTTP ${status}: ${text.slice(0, 200)}`)
  return JSON.parse(text)
}

export const nodeHttp = (target: Target): Adapter => {
  const url = new URL(target.url)
  const agent = new http.Agent({ keepAlive: true })
  const send = (w: Wire) =>
    new Promise<any>((resolve, reject) => {
      const body = signed(target, w.params)
      const req = http.request({
        host: url.hostname,
        port: url.port,
        method: w.method,
        path: w.method === "GET" ? `${w.path}?${body}` : w.path,
        agent,
        headers: {
          "X-MBX-APIKEY": target.apiKey,
          ...(w.method === "POST" ? { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } : {})
        }
      }, (res) => {
        let text = ""
        res.setEncoding("utf8")
        res.on("data", (d) => (text += d))
        res.on("end", () => {
          try {
            resolve(check(res.statusCode ?? 0, text))
          } catch (e) {
            reject(e)
          }
        })
      })
      req.on("error", reject)
      req.end(w.method === "POST" ? body : undefined)
    })
  return { name: "baseline-nodehttp", ...operations(send), close: async () => agent.destroy() }
}

export const effectUndici = async (target: Target): Promise<Adapter> => {
  const runtime = ManagedRuntime.make(NodeHttpClient.layerUndici)
  const client = await runtime.runPromise(HttpClient.HttpClient)
  const send = (w: Wire) => {
    const body = signed(target, w.params)
    const request = (w.method === "GET"
      ? HttpClientRequest.get(`${target.url}${w.path}?${body}`)
      : HttpClientRequest.post(`${target.url}${w.path}`).pipe(
        HttpClientRequest.bodyText(body, "application/x-www-form-urlencoded")
      )).pipe(HttpClientRequest.setHeader("X-MBX-APIKEY", target.apiKey))
    return runtime.runPromise(
      client.execute(request).pipe(
        Effect.flatMap((res) => Effect.map(res.text, (text) => check(res.status, text))),
        Effect.scoped
      )
    )
  }
  return { name: "baseline-effect-undici", ...operations(send), close: () => runtime.dispose() }
}
