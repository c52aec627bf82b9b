// Where a call's client CPU goes: runs bench/profile/call-loop.mjs (the core over undici, one call in
// flight, against the simulator in another process) under `node --cpu-prof`, then sums the profile's
// self time by where the code lives: Effect's runtime, @effect/platform, undici, the core, Node's
// internals (HTTP, crypto, streams), garbage collection. Prints a markdown table.
//
//   pnpm exec turbo run build --filter=@marginctl/simulator   # packages/*/dist
//   node bench/profile-call.mjs [--n 3000] [--keep DIR]       # --keep: leave the .cpuprofile in DIR
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.dirname(here)
const argv = process.argv.slice(2)
const option = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback)
const n = option("n", "3000")
const dir = option("keep", undefined) ?? mkdtempSync(path.join(os.tmpdir(), "marginctl-profile-"))

const API_KEY = "profileKey000000000000000000000000000000000000000000000000000001"
const SECRET = "profileSecret0000000000000000000000000000000000000000000000000001"
const seedFile = path.join(dir, "seed.json")
writeFileSync(seedFile, JSON.stringify({
  config: { weightLimit: 10_000_000, recvWindowCap: null },
  accounts: [{ name: "profile", apiKey: API_KEY, secret: SECRET }]
}))

const sim = await new Promise((resolve, reject) => {
  const child = spawn(process.execPath, [path.join(root, "packages/simulator/dist/main.js"), "--port", "0", "--seed", seedFile], { stdio: ["ignore", "pipe", "inherit"] })
  let out = ""
  child.stdout.on("data", (d) => {
    out += d
    const url = /listening on (\S+)/.exec(out)?.[1]
    if (url) resolve({ child, url })
  })
  child.on("exit", (code) => reject(new Error(`simulator exited with ${code}:\n${out}`)))
})

const r = spawnSync(process.execPath, ["--cpu-prof", "--cpu-prof-dir", dir, path.join(here, "profile/call-loop.mjs"), sim.url, API_KEY, SECRET, n], {
  cwd: here,
  stdio: ["ignore", "inherit", "inherit"]
})
sim.child.kill("SIGTERM")
if (r.status !== 0) throw new Error(`call-loop exited with ${r.status}`)

const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))
const profile = JSON.parse(readFileSync(path.join(dir, file), "utf8"))

/** Where a frame's code lives. */
const bucketOf = (frame) => {
  const url = frame.url ?? ""
  if (frame.functionName === "(garbage collector)") return "garbage collection"
  if (frame.functionName === "(idle)" || frame.functionName === "(program)") return "idle / V8 (program)"
  if (/\/packages\/core\//.test(url)) return "marginctl core"
  if (/node_modules\/effect\//.test(url) || /\.pnpm\/effect@/.test(url)) return "effect (runtime, Schema, …)"
  if (/@effect\+platform-node|@effect\/platform-node/.test(url)) return "@effect/platform-node"
  if (/@effect\+platform@|@effect\/platform\//.test(url)) return "@effect/platform"
  if (/undici/.test(url)) return "undici"
  if (url.startsWith("node:") || url === "") return "Node internals (HTTP, crypto, streams, timers)"
  return "other"
}

// Self time: each sample's top node, weighted by the sampling interval.
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const totals = new Map()
const functions = new Map()
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i])
  const us = profile.timeDeltas[i] ?? 0
  const bucket = bucketOf(node.callFrame)
  totals.set(bucket, (totals.get(bucket) ?? 0) + us)
  const key = `${bucket} · ${node.callFrame.functionName || "(anonymous)"} (${path.basename(node.callFrame.url || "")}:${node.callFrame.lineNumber + 1})`
  functions.set(key, (functions.get(key) ?? 0) + us)
}
const busy = [...totals].filter(([b]) => b !== "idle / V8 (program)").reduce((a, [, us]) => a + us, 0)
const calls = 2 * Number(n)
const lines = [
  `${calls} calls (${n} Multi-Assets reads, ${n} margin-type writes), one in flight, core over undici; self time, idle excluded.`,
  "The whole process is profiled: loading its modules (a few hundred ms, mostly under Node internals) is included.",
  "",
  "| where | ms | share of busy time | µs per call |",
  "|---|---:|---:|---:|",
  ...[...totals].filter(([b]) => b !== "idle / V8 (program)").sort((a, b) => b[1] - a[1])
    .map(([b, us]) => `| ${b} | ${(us / 1000).toFixed(0)} | ${((100 * us) / busy).toFixed(1)} % | ${(us / calls).toFixed(0)} |`),
  `| **all busy time** | ${(busy / 1000).toFixed(0)} | 100 % | ${(busy / calls).toFixed(0)} |`,
  "",
  "Heaviest functions (self time):",
  "",
  "| function | ms |",
  "|---|---:|",
  ...[...functions].filter(([k]) => !k.startsWith("idle")).sort((a, b) => b[1] - a[1]).slice(0, 15)
    .map(([k, us]) => `| ${k.replace(/\|/g, "\\|")} | ${(us / 1000).toFixed(0)} |`)
]
if (option("keep", undefined) === undefined) rmSync(dir, { recursive: true, force: true })
console.log(lines.join("\n"))
