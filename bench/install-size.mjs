// What a user downloads and waits for: the install size of `marginctl` (packed from apps/cli, as npm
// publishes it) next to ccxt, the official connector and the `binance` package, each installed with
// npm into an empty folder with an empty cache; then start-up from the installed packages.
//
//   pnpm --filter marginctl build
//   node bench/install-size.mjs [--runs 10]
//
// Download: the bytes of every tarball npm fetched (read from the fresh cache's index), package
// count and size on disk of node_modules. Start-up (median of --runs whole-process runs, interleaved,
// two warm-up rounds): `marginctl --version` and `marginctl multi-assets get` against a simulator
// started from the installed package, next to merely loading each peer and constructing its USDⓈ-M
// client (no call: a lower bound for the peers). Peers install from the npm registry: needs network.
// Prints a BenchResult (JSON: markdown section and summary rows) for scripts/bench.mjs.
import { spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { startCliSimulator } from "./cli-simulator.mjs"

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const argv = process.argv.slice(2)
const runs = Number(argv[argv.indexOf("--runs") + 1] || 10) || 10
const log = (s) => process.stderr.write(`[install-size] ${s}\n`)
const bench = JSON.parse(readFileSync(path.join(root, "bench/package.json"), "utf8")).dependencies
const work = mkdtempSync(path.join(os.tmpdir(), "marginctl-install-size-"))

const sh = (cmd, args, cwd) => {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 * 2 ** 20, env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false" } })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`)
  return r.stdout
}

/** Bytes of the tarballs in an npm cache (its index: one JSON entry per line after a hash). */
const tarballBytes = (cache) => {
  let bytes = 0
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else {
        for (const line of readFileSync(p, "utf8").split("\n")) {
          const entry = line.includes("\t") ? JSON.parse(line.slice(line.indexOf("\t") + 1)) : undefined
          if (entry && /\.tgz$/.test(entry.key.replace(/^make-fetch-happen:request-cache:/, ""))) bytes += entry.size
        }
      }
    }
  }
  walk(path.join(cache, "_cacache/index-v5"))
  return bytes
}

const du = (dir) => {
  let bytes = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) bytes += du(p)
    else if (e.isFile()) bytes += statSync(p).size
  }
  return bytes
}

const install = (name, spec) => {
  const dir = path.join(work, name.replace(/[@/]/g, "_"))
  const cache = path.join(work, `cache-${name.replace(/[@/]/g, "_")}`)
  sh("mkdir", ["-p", dir], work)
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "probe", private: true, type: "module" }))
  log(`npm install ${spec}`)
  sh("npm", ["install", "--cache", cache, "--prefer-online", "--ignore-scripts", spec], dir)
  const lock = JSON.parse(readFileSync(path.join(dir, "package-lock.json"), "utf8"))
  return {
    name,
    dir,
    download: tarballBytes(cache),
    packages: Object.keys(lock.packages).filter((k) => k !== "").length,
    disk: du(path.join(dir, "node_modules"))
  }
}

// ---------------------------------------------------------------------------------------------
// Install

log("packing marginctl (apps/cli)")
const packed = JSON.parse(sh("npm", ["pack", "--json", "--pack-destination", work], path.join(root, "apps/cli")))[0]
const tarball = path.join(work, packed.filename)
const installs = [
  install("marginctl", tarball),
  install("ccxt", `ccxt@${bench.ccxt}`),
  install("@binance/derivatives-trading-usds-futures", `@binance/derivatives-trading-usds-futures@${bench["@binance/derivatives-trading-usds-futures"]}`),
  install("binance", `binance@${bench.binance}`)
]
// A local tarball is not downloaded: count what npm would download from the registry, its packed size.
installs[0].download = statSync(tarball).size

// ---------------------------------------------------------------------------------------------
// Start-up

const cli = path.join(installs[0].dir, "node_modules/marginctl/dist/marginctl.js")
const sim = await startCliSimulator(cli)

const peerLoad = {
  ccxt: `const { default: ccxt } = await import("ccxt"); new ccxt.binanceusdm({ apiKey: "k", secret: "s" })`,
  "@binance/derivatives-trading-usds-futures":
    `const m = await import("@binance/derivatives-trading-usds-futures"); new m.DerivativesTradingUsdsFutures({ configurationRestAPI: { apiKey: "k", apiSecret: "s" } })`,
  binance: `const { USDMClient } = await import("binance"); new USDMClient({ api_key: "k", api_secret: "s" })`
}
const cases = [
  { row: "`marginctl --version`", cwd: installs[0].dir, args: [cli, "--version"] },
  { row: "`marginctl multi-assets get` (simulator)", cwd: installs[0].dir, args: [cli, "multi-assets", "get", "--base-url", sim.url], env: { BINANCE_API_KEY: sim.key, BINANCE_API_SECRET: sim.secret } },
  ...installs.slice(1).map((i) => ({ row: `load ${i.name} + client`, cwd: i.dir, args: ["--input-type=module", "-e", peerLoad[i.name]] }))
]
const times = cases.map(() => [])
const once = (c) => {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, c.args, { cwd: c.cwd, env: { ...process.env, ...c.env }, stdio: ["ignore", "ignore", "pipe"] })
  if (r.status !== 0) throw new Error(`${c.row} failed: ${r.stderr}`)
  return Number(process.hrtime.bigint() - t0) / 1e6
}
for (let round = -2; round < runs; round++) {
  cases.forEach((c, i) => {
    const ms = once(c)
    if (round >= 0) times[i].push(ms)
  })
}
sim.child.kill("SIGTERM")
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// ---------------------------------------------------------------------------------------------
// Report

const kb = (b) => `${(b / 1024).toFixed(1)} KB`
const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MB`
const lines = [
  `npm ${sh("npm", ["--version"], work).trim()}, empty folder and empty cache per package; \`--ignore-scripts\`.`,
  "",
  "| package | downloaded (tarballs) | packages installed | node_modules on disk |",
  "|---|---|---|---|",
  ...installs.map((i) => `| ${i.name === "marginctl" ? `marginctl ${packed.version} (packed)` : i.name} | ${kb(i.download)} | ${i.packages} | ${mb(i.disk)} |`),
  "",
  `Start-up from the installed packages, median of ${runs} runs (ms):`,
  "",
  "| run | median ms | min ms |",
  "|---|---|---|",
  ...cases.map((c, i) => `| ${c.row} | ${median(times[i]).toFixed(1)} | ${Math.min(...times[i]).toFixed(1)} |`)
]
const peers = installs.slice(1)
const smallest = peers.reduce((a, b) => (b.download < a.download ? b : a))
const loads = cases.slice(2).map((c, i) => ({ name: peers[i].name, ms: median(times[i + 2]) }))
const fastest = loads.reduce((a, b) => (b.ms < a.ms ? b : a))
const summary = [
  { row: "Install: bytes npm downloads", marginctl: installs[0].download, bestPeer: smallest.download, bestPeerName: smallest.name, lowerIsBetter: true, digits: 0 },
  {
    row: "Start-up from the install: `marginctl multi-assets get` vs loading a peer, median ms",
    marginctl: median(times[1]),
    bestPeer: fastest.ms,
    bestPeerName: fastest.name,
    lowerIsBetter: true,
    digits: 0,
    note: "marginctl runs a whole command against the simulator; a peer row only loads the package and builds a client"
  }
]
rmSync(work, { recursive: true, force: true })
console.log(JSON.stringify({ markdown: lines.join("\n"), summary }))
