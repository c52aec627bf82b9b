/**
 * A counting HTTP proxy between a client and the simulator (its own process): forwards every request
 * unchanged and counts the answers by HTTP status, so that 429s and 418s are counted on the wire for
 * every client alike (the simulator's request counts have no status).
 *
 *   node bench/.out/count-proxy.mjs --target http://127.0.0.1:PORT
 *   GET /_proxy/counts → { total, byStatus: { "200": n, "429": n, … } }; DELETE /_proxy/counts resets
 */
import * as http from "node:http"

const i = process.argv.indexOf("--target")
const target = new URL(process.argv[i + 1] ?? "")
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity })
let byStatus: Record<string, number> = {}
let total = 0

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  if (req.url === "/_proxy/counts") {
    if (req.method === "DELETE") {
      byStatus = {}
      total = 0
    }
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify({ total, byStatus }))
    return
  }
  const upstream = http.request({
    host: target.hostname,
    port: target.port,
    method: req.method,
    path: req.url,
    headers: { ...req.headers, host: target.host },
    agent
  }, (answer) => {
    const status = String(answer.statusCode ?? 0)
    byStatus[status] = (byStatus[status] ?? 0) + 1
    total++
    res.writeHead(answer.statusCode ?? 502, answer.headers)
    answer.pipe(res)
  })
  upstream.on("error", () => {
    byStatus["proxy-error"] = (byStatus["proxy-error"] ?? 0) + 1
    total++
    res.destroy()
  })
  req.pipe(upstream)
})

server.listen(0, "127.0.0.1", () => {
  const address = server.address() as { port: number }
  process.stdout.write(`count proxy listening on http://127.0.0.1:${address.port}\n`)
})
process.on("SIGTERM", () => process.exit(0))
