// Start-up time and peak memory of the marginctl CLI, next to node itself and to merely loading the
// peers (ccxt, the official connector, the `binance` package), in the same run on the same machine.
//
//   pnpm --filter marginctl build        # apps/cli/dist/marginctl.js
//   node bench/cli-startup.mjs [--runs 15]
//
// Whole-process runs, interleaved round-robin (so a noisy neighbour hurts every row alike), two
// warm-up rounds, median and min wall time. `marginctl multi-assets get` runs against a simulator
// this script starts (`marginctl sim --port 0`). Peak RSS: /usr/bin/time -v when present, otherwise
// process.resourceUsage().maxRSS reported by the child at exit. Prints a markdown table.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { startCliSimulator } from "./cli-simulator.mjs"

const here = dirname(fileURLToPath(import.meta.url))
const bin = join(here, "..", "apps", "cli", "dist", "marginctl.js")
const argv = process.argv.slice(2)
const runs = Number(argv[argv.indexOf("--runs") + 1] || 15) || 15

if (!existsSync(bin)) {
  console.error(`${bin} is missing: run \`pnpm --filter marginctl build\` first`)
  process.exit(1)
}

const sim = await startCliSimulator(bin)
const env = {
  ...process.env,
  MARGINCTL_SIM_URL: sim.url,
  BINANCE_API_KEY: sim.key,
  BINANCE_API_SECRET: sim.secret
}

const peerImport = (name) => ["--input-type=module", "-e", `await import(${JSON.stringify(name)})`]

const cases = [
  { name: "`node -e 0`", args: ["-e", "0"] },
  { name: "`marginctl --version`", args: [bin, "--version"], targetFactor: 1.6 },
  { name: "`marginctl multi-assets get` (simulator)", args: [bin, "multi-assets", "get", "--env", "sim"], targetMs: 250, targetRss: 80 },
  { name: "load `ccxt`", args: peerImport("ccxt") },
  { name: "load `@binance/derivatives-trading-usds-futures`", args: peerImport("@binance/derivatives-trading-usds-futures") },
  { name: "load `binance`", args: peerImport("binance") }
]

const once = (c) => {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, c.args, { cwd: here, env, stdio: ["ignore", "pipe", "pipe"] })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${c.name} exited with ${r.status}: ${r.stderr}`)
  return ms
}

const hasGnuTime = existsSync("/usr/bin/time") && spawnSync("/usr/bin/time", ["-v", "true"]).status === 0

const peakRssMiB = (c) => {
  if (hasGnuTime) {
    const r = spawnSync("/usr/bin/time", ["-v", process.execPath, ...c.args], { cwd: here, env, encoding: "utf8" })
    const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1])
    return kb / 1024
  }
  const report = "process.on('exit',()=>process.stderr.write('\\nmaxRSS='+process.resourceUsage().maxRSS))"
  const r = spawnSync(process.execPath, ["--import", `data:text/javascript,${encodeURIComponent(report)}`, ...c.args], {
    cwd: here,
    env,
    encoding: "utf8"
  })
  return Number(/maxRSS=(\d+)/.exec(r.stderr)?.[1]) / 1024
}

const times = new Map(cases.map((c) => [c, []]))
for (let round = 0; round < runs + 2; round++) {
  for (const c of cases) {
    const ms = once(c)
    if (round >= 2) times.get(c).push(ms)
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const rss = new Map(cases.map((c) => [c, median([peakRssMiB(c), peakRssMiB(c), peakRssMiB(c)])]))
sim.child.kill("SIGTERM")

const base = median(times.get(cases[0]))
const rows = cases.map((c) => {
  const m = median(times.get(c))
  const checks = []
  if (c.targetFactor) checks.push(`${(m / base).toFixed(2)}× ≤ ${c.targetFactor}× ${m / base <= c.targetFactor ? "✓" : "✗"}`)
  if (c.targetMs) checks.push(`${m.toFixed(0)} ms ≤ ${c.targetMs} ms ${m <= c.targetMs ? "✓" : "✗"}`)
  if (c.targetRss) checks.push(`${rss.get(c).toFixed(1)} MiB ≤ ${c.targetRss} MiB ${rss.get(c) <= c.targetRss ? "✓" : "✗"}`)
  return `| ${c.name} | ${m.toFixed(1)} | ${Math.min(...times.get(c)).toFixed(1)} | ${(m / base).toFixed(2)}× | ${rss.get(c).toFixed(1)} | ${checks.join("; ")} |`
})
console.log(`Node ${process.version}, ${runs} runs each (median of whole-process wall time), peak RSS from ${hasGnuTime ? "/usr/bin/time -v" : "process.resourceUsage()"}\n`)
console.log("| command | median ms | min ms | vs `node -e 0` | peak RSS MiB | target |")
console.log("|---|---:|---:|---:|---:|---|")
for (const row of rows) console.log(row)
