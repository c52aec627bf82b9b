// `pnpm bench`: builds what the benchmarks need, bundles bench/src/*.ts with esbuild into bench/.out/,
// runs every benchmark (each writes JSON: its markdown section and its summary rows), runs the other
// apps' bench scripts when they exist (bench/cli-startup.mjs, bench/install-size.mjs, bench/gateway-load.mjs,
// bench/gateway-freshness.mjs, bench/fleet-apply.mjs, bench/extension-bundle.mjs), and writes BENCHMARKS.md with the machine, date, command, one section
// per benchmark and a summary table: each row as a ratio to the best peer, and a plain list of the
// rows where marginctl is not better.
//
//   pnpm bench [--quick] [--only client-cost,read-weight,bulk-margin-type,bundle-size,cli-startup,install-size,profile-call,extension-bundle,gateway-load,gateway-freshness,fleet-apply,simulator-throughput]
//              [--full] [--no-build] [--output BENCHMARKS.md]
//
//   --quick     smaller runs (preliminary numbers; the file says so)
//   --full      also the bulk round with the weight limit lowered to 150/min (about 8 minutes more)
//   --no-build  use the existing dist/ bundles
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const benchDir = path.join(root, "bench")
const outDir = path.join(benchDir, ".out")
const resultsDir = path.join(outDir, "results")
const argv = process.argv.slice(2)
const flag = (name) => argv.includes(`--${name}`)
const option = (name) => {
  const i = argv.indexOf(`--${name}`)
  return i === -1 ? undefined : argv[i + 1]
}
const quick = flag("quick")
const full = flag("full")
const only = option("only")?.split(",")
const output = path.resolve(root, option("output") ?? "BENCHMARKS.md")
const wanted = (name) => only === undefined || only.includes(name)
const log = (s) => process.stderr.write(`[bench] ${s}\n`)
process.env.TURBO_TELEMETRY_DISABLED = "1"
process.env.MARGINCTL_ROOT = root

const machine = {
  cpu: os.cpus()[0]?.model?.trim() ?? "unknown",
  cores: os.cpus().length,
  memoryGiB: os.totalmem() / 2 ** 30,
  node: process.version,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  loadavg: os.loadavg()
}
const started = new Date()
const command = process.env.npm_lifecycle_event === "bench"
  ? `pnpm bench${argv.length ? ` ${argv.join(" ")}` : ""}`
  : `node scripts/bench.mjs${argv.length ? ` ${argv.join(" ")}` : ""}`

// ---------------------------------------------------------------------------------------------
// Build

const run = (cmd, args, options = {}) => spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env, ...options })

const needs = {
  simulator: ["client-cost", "read-weight", "bulk-margin-type", "simulator-throughput", "profile-call", "gateway-freshness", "fleet-apply"].some(wanted),
  gateway: ["read-weight", "gateway-load", "gateway-freshness"].some(wanted),
  cli: wanted("cli-startup") || wanted("install-size") || wanted("fleet-apply"),
  extension: wanted("extension-bundle")
}
if (!flag("no-build")) {
  const filters = [
    needs.simulator && "@marginctl/simulator",
    needs.gateway && "@marginctl/gateway",
    needs.cli && "marginctl",
    needs.extension && "@marginctl/extension"
  ].filter(Boolean)
  if (filters.length > 0) {
    log(`building ${filters.join(", ")}`)
    // --continue: an app that does not build yet only leaves its rows pending.
    const r = run("pnpm", ["exec", "turbo", "run", "build", "--continue", "--output-logs=errors-only", ...filters.map((f) => `--filter=${f}`)])
    if (r.status !== 0) log("some builds failed: their benchmarks are marked pending")
  }
}
if (needs.simulator && !existsSync(path.join(root, "packages/simulator/dist/main.js"))) {
  log("packages/simulator/dist/main.js is missing: run `pnpm exec turbo run build --filter=@marginctl/simulator`")
  process.exit(1)
}

/** esbuild from bench/, the root, or a workspace package that has it (bench/ does not list it yet). */
const loadEsbuild = async () => {
  for (const dir of ["bench", ".", "packages/simulator", "apps/gateway", "apps/cli"]) {
    try {
      const require = createRequire(path.join(root, dir, "package.json"))
      return await import(require.resolve("esbuild"))
    } catch {
      // next
    }
  }
  throw new Error("esbuild not found (bench/, root, packages/simulator, apps/gateway, apps/cli)")
}

const OWN = ["client-cost", "read-weight", "bulk-margin-type", "bundle-size"]
const ENTRIES = [...OWN, "client-cost-worker", "support/count-proxy"]
const bundle = async () => {
  const esbuild = await loadEsbuild()
  mkdirSync(outDir, { recursive: true })
  await esbuild.build({
    entryPoints: Object.fromEntries(ENTRIES.map((e) => [path.basename(e), path.join(benchDir, "src", `${e}.ts`)])),
    outdir: outDir,
    outExtension: { ".js": ".mjs" },
    // Split chunks: a worker loads marginctl's code (Effect) only when it measures marginctl.
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Peers run from node_modules exactly as their users load them.
    external: ["ccxt", "binance", "@binance/*", "autocannon"],
    banner: { js: "import { createRequire as __createRequire } from \"node:module\";\nconst require = __createRequire(import.meta.url);" },
    logLevel: "warning"
  })
}
if (OWN.some(wanted)) {
  log("bundling bench/src → bench/.out")
  await bundle()
}

// ---------------------------------------------------------------------------------------------
// Run

mkdirSync(resultsDir, { recursive: true })
const sections = []

/** A benchmark of bench/src: runs it and reads its JSON result. */
const runOwn = (name, extra = []) => {
  const out = path.join(resultsDir, `${name}.json`)
  const args = [path.join(outDir, `${name}.mjs`), ...(quick ? ["--quick"] : []), ...extra, "--out", out]
  log(`running ${name}`)
  const t0 = Date.now()
  const r = run(process.execPath, args)
  const seconds = (Date.now() - t0) / 1000
  const shown = `node bench/.out/${name}.mjs ${args.slice(1, -2).join(" ")}`.trim()
  if (r.status !== 0 || !existsSync(out)) {
    return {
      name,
      title: name,
      command: shown,
      markdown: `**Failed** (exit ${r.status}); see the runner's output.`,
      summary: [{ row: "(all rows)", marginctl: null, bestPeer: null, bestPeerName: null, lowerIsBetter: true, pending: `${name} failed (exit ${r.status})` }],
      seconds
    }
  }
  return { ...JSON.parse(readFileSync(out, "utf8")), command: shown, seconds }
}

/** An external bench script (another app's): its stdout is a markdown table; `parse` turns it into summary rows. */
const runExternal = (name, file, title, args, parse, pendingRows) => {
  const script = path.join(benchDir, file)
  if (!existsSync(script)) {
    return { name, title, command: `node bench/${file}`, markdown: `_Pending: bench/${file} does not exist yet._`, summary: pendingRows(`bench/${file} missing`) }
  }
  log(`running bench/${file} ${args.join(" ")}`)
  const t0 = Date.now()
  const r = spawnSync(process.execPath, [script, ...args], { cwd: root, env: process.env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 * 2 ** 20 })
  const seconds = (Date.now() - t0) / 1000
  const stdout = (r.stdout ?? "").trim()
  const command = `node bench/${file}${args.length ? ` ${args.join(" ")}` : ""}`
  // A script that prints a BenchResult as JSON is taken as is.
  try {
    const parsed = JSON.parse(stdout)
    if (parsed && typeof parsed.markdown === "string") return { name, title, ...parsed, command, seconds }
  } catch {
    // markdown
  }
  if (stdout === "") {
    return { name, title, command, seconds, markdown: `**Failed** (exit ${r.status}, no output).`, summary: pendingRows(`bench/${file} failed (exit ${r.status})`) }
  }
  let summary
  try {
    summary = parse(stdout)
  } catch (e) {
    summary = pendingRows(`could not read bench/${file}'s table: ${e.message}`)
  }
  const failedNote = r.status === 0 ? "" : `\n\n_The script exited with ${r.status} (its own pass/fail bar)._`
  return { name, title, command, seconds, markdown: stdout + failedNote, summary }
}

/** Rows of a markdown table: cells by column. */
const rowsOf = (markdown) =>
  markdown.split("\n").filter((l) => l.startsWith("|") && !/^\|\s*-/.test(l) && !/^\|[-:| ]+\|$/.test(l))
    .map((l) => l.slice(1, -1).split("|").map((c) => c.trim()))

const num = (cell) => Number(String(cell).replace(/[,\s]/g, "").replace(/\(.*$/, ""))

const parseCliStartup = (md) => {
  const rows = rowsOf(md)
  const find = (re) => rows.find((r) => re.test(r[0]))
  const mine = find(/marginctl multi-assets get/)
  const peers = rows.filter((r) => /^load /.test(r[0]))
  if (!mine || peers.length === 0) throw new Error("rows not found")
  const bestMs = peers.reduce((a, b) => (num(b[1]) < num(a[1]) ? b : a))
  const bestRss = peers.reduce((a, b) => (num(b[4]) < num(a[4]) ? b : a))
  const note = "marginctl runs a whole `multi-assets get` against the simulator; a peer row only loads the package (no call), so the peer figure is a lower bound"
  return [
    { row: "CLI start-up: `marginctl multi-assets get`, median ms", marginctl: num(mine[1]), bestPeer: num(bestMs[1]), bestPeerName: bestMs[0].replace(/`/g, ""), lowerIsBetter: true, digits: 0, note },
    { row: "CLI start-up: peak RSS MiB", marginctl: num(mine[4]), bestPeer: num(bestRss[4]), bestPeerName: bestRss[0].replace(/`/g, ""), lowerIsBetter: true, digits: 1, note }
  ]
}

const parseGatewayLoad = (md) => {
  const rows = rowsOf(md)
  const gw = rows.find((r) => /^gateway/.test(r[0]))
  const bare = rows.find((r) => /^bare/.test(r[0]))
  const full = rows.find((r) => /full Effect path/.test(r[0]))
  if (!gw || !bare) throw new Error("rows not found")
  return [
    { row: "gateway: cached Multi-Assets reads/s (64 connections)", marginctl: num(gw[1]), bestPeer: num(bare[1]), bestPeerName: "bare node:http server, same JSON", lowerIsBetter: false, digits: 0, reference: true, note: "no peer offers a gateway; the script's own bar is ≥ 60 % of the bare server" },
    { row: "gateway: p99 latency ms", marginctl: num(gw[3]), bestPeer: num(bare[3]), bestPeerName: "bare node:http server, same JSON", lowerIsBetter: true, digits: 0, reference: true, note: "the script's own bar is < 10 ms" },
    ...(full
      ? [{ row: "gateway: cached reads/s through the whole Effect HttpApi (router, auth, schemas)", marginctl: num(full[1]), bestPeer: num(bare[1]), bestPeerName: "bare node:http server, same JSON", lowerIsBetter: false, digits: 0, reference: true, note: "a read the hot path does not serve (margin-types?symbols=…); no bar" }]
      : [])
  ]
}

/** "popup JavaScript: 172.8 KB raw, 55.9 KB gzipped": against the smallest peer client library (bundle-size), a lower bound for a peer popup. */
const parseExtension = (md) => {
  const m = /popup JavaScript: ([\d.]+) KB raw, ([\d.]+) KB gzipped/.exec(md)
  if (!m) throw new Error("no 'popup JavaScript: … KB gzipped' line")
  const libs = sections.find((s) => s.name === "bundle-size")?.raw?.filter((x) => x.peer && x.browser && x.gzip !== null) ?? []
  const bestLib = libs.reduce((x, y) => (x === undefined || y.gzip < x.gzip ? y : x), undefined)
  const w = /service worker JavaScript \(the core\): ([\d.]+) KB raw, ([\d.]+) KB gzipped/.exec(md)
  return [{
    row: "extension popup JavaScript, gzipped KB (the popup page; the core runs in the service worker)",
    marginctl: Number(m[2]),
    bestPeer: bestLib ? bestLib.gzip / 1024 : null,
    bestPeerName: bestLib ? `${bestLib.name}, client library alone` : null,
    lowerIsBetter: true,
    digits: 1,
    note: "no peer ships a popup: the peer figure is its client library alone (see Client library bundle), so it is a lower bound for a peer-based popup",
    ...(bestLib ? {} : { pending: "run bundle-size in the same run for the peer figure" })
  }, {
    row: "extension service worker JavaScript, gzipped KB (the core: client, signer, planner)",
    marginctl: w ? Number(w[2]) : null,
    bestPeer: bestLib ? bestLib.gzip / 1024 : null,
    bestPeerName: bestLib ? `${bestLib.name}, client library alone` : null,
    lowerIsBetter: true,
    digits: 1,
    note: "what a peer-based extension would ship instead: its client library (which has no planner, budget or clock)",
    ...(w ? {} : { pending: "no 'service worker JavaScript' line" })
  }]
}

/** "  123456 requests, 7890 req/s, errors 0": against the issue's floor (the simulator must never be the bottleneck). */
const parseSimulator = (md) => {
  const m = /(\d+) requests, (\d+) req\/s, errors (\d+)/.exec(md)
  if (!m) throw new Error("no 'N requests, N req/s' line")
  if (Number(m[3]) !== 0) throw new Error(`${m[3]} errors`)
  return [{
    row: "simulator: signed requests/s over loopback (accountConfig, marginType, symbolConfig; 64 in flight)",
    marginctl: Number(m[2]),
    bestPeer: 5000,
    bestPeerName: "the simulator's own floor (≥ 5,000/s on 2 cores)",
    lowerIsBetter: false,
    digits: 0,
    reference: true,
    note: "no peer ships an exchange simulator; client and server share the two cores"
  }]
}

const pending = (row) => (why) => [{ row, marginctl: null, bestPeer: null, bestPeerName: null, lowerIsBetter: true, pending: why }]

if (wanted("client-cost")) sections.push(runOwn("client-cost"))
if (wanted("read-weight")) sections.push(runOwn("read-weight"))
if (wanted("bulk-margin-type")) sections.push(runOwn("bulk-margin-type", full ? ["--full"] : []))
if (wanted("bundle-size")) sections.push(runOwn("bundle-size"))
if (wanted("cli-startup")) {
  sections.push(runExternal("cli-startup", "cli-startup.mjs", "CLI start-up", quick ? ["--runs", "5"] : [], parseCliStartup, pending("CLI start-up")))
}
if (wanted("install-size")) {
  // Prints a BenchResult as JSON: no table parser needed.
  sections.push(runExternal("install-size", "install-size.mjs", "Install size and start-up from npm", quick ? ["--runs", "3"] : [], () => {
    throw new Error("expected JSON")
  }, pending("install size")))
}
if (wanted("profile-call")) {
  // A diagnostic: where the client CPU of a call goes (no row to compare with a peer).
  sections.push(runExternal("profile-call", "profile-call.mjs", "Where a call's client CPU goes", quick ? ["--n", "500"] : [], () => [], pending("call profile")))
}
if (wanted("extension-bundle")) {
  sections.push(runExternal("extension-bundle", "extension-bundle.mjs", "Extension bundle", quick ? ["--runs", "3"] : [], parseExtension, pending("extension bundle size")))
}
if (wanted("simulator-throughput")) {
  sections.push(runExternal("simulator-throughput", "simulator-throughput.mjs", "Simulator throughput", ["--seconds", quick ? "3" : "10", "--endpoint", "mix"], parseSimulator, pending("simulator throughput")))
}
if (wanted("gateway-load")) {
  sections.push(runExternal("gateway-load", "gateway-load.mjs", "Gateway load", [...(quick ? ["--seconds", "2", "--rounds", "1", "--warmup", "1"] : []), "--full-path"], parseGatewayLoad, pending("gateway load")))
}
if (wanted("gateway-freshness")) {
  // Prints a BenchResult as JSON: no table parser needed.
  sections.push(runExternal("gateway-freshness", "gateway-freshness.mjs", "Gateway freshness: a change made at the exchange, served", quick ? ["--changes", "30"] : [], () => {
    throw new Error("expected JSON")
  }, pending("gateway freshness")))
}
if (wanted("fleet-apply")) {
  // Prints a BenchResult as JSON: no table parser needed.
  sections.push(runExternal("fleet-apply", "fleet-apply.mjs", "Fleet apply: many accounts, one weight budget", quick ? ["--accounts", "3", "--symbols", "20"] : [], () => {
    throw new Error("expected JSON")
  }, pending("fleet apply")))
}

// ---------------------------------------------------------------------------------------------
// BENCHMARKS.md

const fmt = (n, digits = 1) => {
  if (n === null || n === undefined || Number.isNaN(n)) return "–"
  if (!Number.isFinite(n)) return "∞"
  const [int, frac] = n.toFixed(digits).split(".")
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (frac === undefined ? "" : `.${frac}`)
}

/** better: true / false / null (not judged); `text` for the last column. */
const verdict = (r) => {
  if (r.pending) return { text: `pending: ${r.pending}`, better: null }
  if (r.marginctl === null) return { text: "no figure", better: null }
  const ratio = r.bestPeer === null ? undefined : r.bestPeer === 0 ? (r.marginctl === 0 ? 1 : Infinity) : r.marginctl / r.bestPeer
  if (r.goal !== undefined) {
    const ok = r.lowerIsBetter ? r.marginctl <= r.goal : r.marginctl >= r.goal
    return { ratio, better: ok, text: ok ? `✓ meets the bar (${r.goal})` : `✗ **misses the bar (${r.goal})**` }
  }
  if (r.bestPeer === null) return { ratio, text: "no peer", better: null }
  if (r.reference) return { ratio, text: "no peer (reference only)", better: null, reference: true }
  if (r.marginctl === r.bestPeer) return { ratio, text: "= equal", better: false }
  const better = r.lowerIsBetter ? r.marginctl < r.bestPeer : r.marginctl > r.bestPeer
  return { ratio, better, text: better ? "✓ better" : "✗ **not better**" }
}

const summaryRows = []
const notBetter = []
const unjudged = []
for (const s of sections) {
  for (const r of s.summary ?? []) {
    const v = verdict(r)
    const d = r.digits ?? 1
    const ratio = v.ratio === undefined ? "–" : `${fmt(v.ratio, 2)}×`
    summaryRows.push(`| ${s.title} | ${r.row} | ${fmt(r.marginctl, d)} | ${r.bestPeer === null ? "–" : `${fmt(r.bestPeer, d)} (${r.bestPeerName})`} | ${ratio} | ${v.text} |`)
    const vs = r.bestPeer === null ? "" : ` vs ${fmt(r.bestPeer, d)} (${r.bestPeerName}), ratio ${ratio}`
    if (v.better === false) notBetter.push(`- **${s.title} — ${r.row}**: marginctl ${fmt(r.marginctl, d)}${vs}${r.note ? `. ${r.note}` : ""}`)
    if (v.better === null) unjudged.push(`- **${s.title} — ${r.row}**: ${v.text}${r.marginctl === null ? "" : ` (marginctl ${fmt(r.marginctl, d)}${vs})`}${r.note ? `. ${r.note}` : ""}`)
  }
}

const date = started.toISOString().replace(/\.\d+Z$/, "Z")
const md = [
  "# Benchmarks",
  "",
  `marginctl against ccxt, Binance's official connector (\`@binance/derivatives-trading-usds-futures\`) and the \`binance\` package, ` +
  "side by side in the same run, on the local simulator (`packages/simulator`). Sources: `bench/src/` (one file per benchmark), " +
  "runner: `scripts/bench.mjs`.",
  "",
  quick
    ? "> **Preliminary (`--quick`)**: small run sizes, on a shared 2-core machine where other work was running. Rerun `pnpm bench` on a quiet machine for figures to quote."
    : "> Figures from one run; other processes on the machine add noise, so compare rows within this file, not with other files.",
  "",
  "| | |",
  "|---|---|",
  `| machine | ${machine.cpu}, ${machine.cores} cores, ${fmt(machine.memoryGiB, 1)} GiB RAM, ${machine.os} |`,
  `| Node | ${machine.node} |`,
  `| load average at start | ${machine.loadavg.map((l) => l.toFixed(2)).join(" / ")} (1 / 5 / 15 min) |`,
  `| date | ${date} |`,
  `| command | \`${command}\` (in the repository root) |`,
  `| duration | ${fmt((Date.now() - started.getTime()) / 1000, 0)} s |`,
  "",
  "## Summary",
  "",
  "Ratio = marginctl ÷ the best peer on that row (for calls/s higher is better, for everything else lower is better). " +
  "Goal: better than every peer on every row.",
  "",
  "| benchmark | row | marginctl | best peer | ratio | |",
  "|---|---|---:|---:|---:|---|",
  ...summaryRows,
  "",
  summaryRows.length === 0
    ? "No comparisons in this run."
    : notBetter.length === 0
    ? "marginctl is better than every peer on every judged row above."
    : `### Where marginctl is not better (yet)\n\n${notBetter.join("\n")}`,
  ...(unjudged.length === 0 ? [] : ["", `### Rows without a peer to beat, or pending\n\n${unjudged.join("\n")}`]),
  "",
  ...sections.flatMap((s) => [
    `## ${s.title}`,
    "",
    `Command: \`${s.command}\`${s.seconds !== undefined ? ` (${fmt(s.seconds, 0)} s)` : ""}`,
    "",
    s.markdown,
    ""
  ])
].join("\n")

writeFileSync(output, md)
log(`wrote ${path.relative(root, output)}`)
