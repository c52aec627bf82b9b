// Throughput of the simulator server: signed HMAC requests over loopback with a keep-alive agent.
//
//   pnpm --filter @marginctl/simulator build
//   node bench/simulator-throughput.mjs [--seconds 5] [--concurrency 64] [--endpoint accountConfig|marginType|mix]
//                                       [--client http|socket]
//
// Starts packages/simulator/dist/main.js on a free port of 127.0.0.1 (weight limit raised so that
// the run measures the engine, not the 429s), drives it for the given time and prints requests/s.
// Environment: SIM_NODE_ARGS adds node flags to the server (e.g. "--cpu-prof"); SIM_MAIN runs
// another server script that prints the same first line (to compare with a bare node:http server).
import { spawn } from "node:child_process"
import { createHmac } from "node:crypto"
import * as http from "node:http"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { writeFileSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? fallback : args[i + 1]
}
const seconds = Number(option("seconds", "5"))
const concurrency = Number(option("concurrency", "64"))
const endpoint = option("endpoint", "accountConfig")
// "http": node:http with a keep-alive agent; "socket": one raw keep-alive socket per in-flight
// request, writing prepared HTTP/1.1 requests and counting the answers (a lighter client, so that
// client and server sharing two cores leaves more room for the server).
const client = option("client", "http")

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const main = process.env.SIM_MAIN ?? path.join(root, "packages/simulator/dist/main.js")
const apiKey = "benchKey0000000000000000000000000000000000000000000000000000000"
const secret = "benchSecret000000000000000000000000000000000000000000000000000"
const dir = mkdtempSync(path.join(tmpdir(), "sim-bench-"))
const seedFile = path.join(dir, "seed.json")
writeFileSync(seedFile, JSON.stringify({
  config: { weightLimit: 100_000_000, recvWindowCap: null },
  accounts: [{ name: "bench", apiKey, secret, balances: { USDT: 100000 } }]
}))

const nodeArgs = process.env.SIM_NODE_ARGS ? process.env.SIM_NODE_ARGS.split(" ") : []
const child = spawn(process.execPath, [...nodeArgs, main, "--port", "0", "--seed", seedFile], { stdio: ["ignore", "pipe", "inherit"] })
const url = await new Promise((resolve, reject) => {
  let out = ""
  child.stdout.on("data", (d) => {
    out += d
    const m = /simulator listening on (http:\/\/\S+)/.exec(out)
    if (m) resolve(m[1])
  })
  child.on("exit", (code) => reject(new Error(`simulator exited with ${code}`)))
})
const { hostname, port } = new URL(url)
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })

const sign = (payload) => createHmac("sha256", secret).update(payload).digest("hex")
const symbols = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT"]
let flip = 0
const makeRequest = () => {
  const kind = endpoint === "mix" ? ["accountConfig", "marginType", "symbolConfig"][flip++ % 3] : endpoint
  const ts = Date.now()
  if (kind === "marginType") {
    const body = `symbol=${symbols[flip++ % symbols.length]}&marginType=${flip % 2 ? "ISOLATED" : "CROSSED"}&recvWindow=60000&timestamp=${ts}`
    const signed = `${body}&signature=${sign(body)}`
    return {
      method: "POST",
      path: "/fapi/v1/marginType",
      body: signed,
      headers: { "X-MBX-APIKEY": apiKey, "Content-Type": "application/x-www-form-urlencoded", "Content-Length": Buffer.byteLength(signed) }
    }
  }
  const q = `recvWindow=60000&timestamp=${ts}`
  const p = kind === "symbolConfig" ? "/fapi/v1/symbolConfig" : "/fapi/v1/accountConfig"
  return { method: "GET", path: `${p}?${q}&signature=${sign(q)}`, body: "", headers: undefined }
}

// Signed requests are prepared up front (timestamps stay inside the 60 s recvWindow of the run), so
// the client spends its CPU on HTTP, not on signing: the number measures the server.
const pool = Array.from({ length: 4096 }, makeRequest)
let next = 0
const nextRequest = () => pool[next++ % pool.length]
const headersGet = { "X-MBX-APIKEY": apiKey }

const statuses = new Map()
let done = 0
let errors = 0
const deadline = Date.now() + seconds * 1000
const one = () =>
  new Promise((resolve) => {
    const r = nextRequest()
    const req = http.request({
      host: hostname,
      port,
      method: r.method,
      path: r.path,
      agent,
      headers: r.headers ?? headersGet
    }, (res) => {
      res.resume()
      res.on("end", () => {
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
        done++
        resolve()
      })
    })
    req.on("error", () => {
      errors++
      resolve()
    })
    req.end(r.body)
  })
const worker = async () => {
  while (Date.now() < deadline) await one()
}

// Raw keep-alive connection: sends the next prepared request when the previous answer is complete.
const rawWire = (r) =>
  Buffer.from(
    `${r.method} ${r.path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nX-MBX-APIKEY: ${apiKey}\r\n` +
      (r.body ? `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(r.body)}\r\n` : "") +
      `\r\n${r.body}`
  )
const wires = client === "socket" ? pool.map(rawWire) : []
const socketWorker = () =>
  new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) })
    socket.setNoDelay(true)
    let buffer = ""
    const send = () => {
      if (Date.now() >= deadline) {
        socket.end()
        resolve()
        return
      }
      socket.write(wires[next++ % wires.length])
    }
    socket.on("connect", send)
    socket.on("data", (data) => {
      buffer += data.toString("latin1")
      for (;;) {
        const headEnd = buffer.indexOf("\r\n\r\n")
        if (headEnd === -1) return
        const m = /Content-Length: (\d+)/i.exec(buffer.slice(0, headEnd))
        const total = headEnd + 4 + Number(m?.[1] ?? 0)
        if (buffer.length < total) return
        const status = Number(buffer.slice(9, 12))
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        done++
        buffer = buffer.slice(total)
        send()
      }
    })
    socket.on("error", () => {
      errors++
      resolve()
    })
  })
const started = Date.now()
await Promise.all(Array.from({ length: concurrency }, client === "socket" ? socketWorker : worker))
const elapsed = (Date.now() - started) / 1000
agent.destroy()
child.kill("SIGTERM")
rmSync(dir, { recursive: true, force: true })

console.log(`simulator throughput: ${endpoint}, ${client} client, ${concurrency} in flight, ${elapsed.toFixed(1)} s`)
console.log(`  ${done} requests, ${(done / elapsed).toFixed(0)} req/s, errors ${errors}`)
console.log(`  statuses ${JSON.stringify(Object.fromEntries(statuses))}`)
