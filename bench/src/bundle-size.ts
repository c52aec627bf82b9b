/**
 * Browser bundle of each client library, measured the same way for all: a one-line entry that
 * constructs the USDⓈ-M client (for marginctl: the MarginClient layer with FetchHttpClient, the HMAC
 * Signer and the in-memory WeightBudget), bundled by esbuild with `--bundle --minify --platform=browser`,
 * Node built-ins left external (so a package that needs them still gets a size; the table lists which
 * built-ins it imports, i.e. what would have to be stubbed for a browser). Sizes raw and gzipped.
 * The extension's whole popup (UI + core) is measured by bench/extension-bundle.mjs.
 *
 *   node bench/.out/bundle-size.mjs [--out FILE]
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { builtinModules, createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { best, type BenchResult, fmt, type SummaryRow, table } from "./support/report.js"
import { ROOT } from "./support/sim.js"
import { args, log, writeResult } from "./support/stats.js"

const a = args()
const entriesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "entries")

/**
 * `browser: false`: the library cannot run in a browser whatever the bundler does (the official
 * connector signs with node:crypto KeyObjects, reads key files with fs and sends with node:https; see
 * shared/reference/peers.md §2 "Browser / WebCrypto"), so it is not the best peer of a browser row.
 */
const ENTRIES: ReadonlyArray<{
  readonly name: string
  readonly file: string
  readonly code: string
  readonly peer: boolean
  readonly browser: boolean
}> = [
  {
    name: "marginctl core (Client.layer + FetchHttpClient)",
    file: "marginctl.ts",
    peer: false,
    browser: true,
    code: `import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Client from "@marginctl/core/Client"
import * as Layer from "effect/Layer"
export const live = Client.layer({ target: "prod", apiKey: "k", secret: "s" }).pipe(Layer.provide(FetchHttpClient.layer))
`
  },
  {
    // The one exchange's module (its package exports only the all-exchanges entry, 6 MB minified), the smaller figure.
    name: "ccxt 4.5 binanceusdm (its module only)",
    file: "ccxt.mjs",
    peer: true,
    browser: true,
    code: `import binanceusdm from "../../node_modules/ccxt/js/src/binanceusdm.js"
export const client = new binanceusdm({ apiKey: "k", secret: "s" })
`
  },
  {
    name: "official connector 38.1",
    file: "official.mjs",
    peer: true,
    browser: false,
    code: `import { DerivativesTradingUsdsFutures } from "@binance/derivatives-trading-usds-futures"
export const client = new DerivativesTradingUsdsFutures({ configurationRestAPI: { apiKey: "k", apiSecret: "s" } })
`
  },
  {
    name: "`binance` 3.6 USDMClient",
    file: "binance.mjs",
    peer: true,
    browser: true,
    code: `import { USDMClient } from "binance"\nexport const client = new USDMClient({ api_key: "k", api_secret: "s" })\n`
  }
]

const loadEsbuild = async (): Promise<any> => {
  for (const dir of ["bench", ".", "packages/simulator", "apps/gateway", "apps/cli"]) {
    try {
      return await import(createRequire(path.join(ROOT, dir, "package.json")).resolve("esbuild"))
    } catch {
      // next
    }
  }
  throw new Error("esbuild not found")
}

interface Size {
  readonly name: string
  readonly peer: boolean
  readonly browser: boolean
  readonly raw: number | null
  readonly gzip: number | null
  readonly builtins: ReadonlyArray<string>
  readonly error?: string
}

const builtin = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)])

const main = async () => {
  const esbuild = await loadEsbuild()
  // Inside bench/ so that the entries resolve the packages bench/ depends on.
  mkdirSync(entriesDir, { recursive: true })
  const sizes: Array<Size> = []
  for (const e of ENTRIES) {
    const file = path.join(entriesDir, e.file)
    writeFileSync(file, e.code)
    log(`bundle-size: ${e.name}`)
    try {
      const r = await esbuild.build({
        entryPoints: [file],
        bundle: true,
        minify: true,
        platform: "browser",
        format: "esm",
        target: "es2022",
        write: false,
        metafile: true,
        // ccxt's optional protobuf support is not installed (it is only for some exchanges' websockets).
        external: [...builtin, "node:*", "protobufjs", "protobufjs/*"],
        logLevel: "silent"
      })
      const out = r.outputFiles[0].contents as Uint8Array
      const imports = Object.values(r.metafile.outputs as Record<string, { imports: Array<{ path: string; external?: boolean }> }>)
        .flatMap((o) => o.imports.filter((i) => i.external && (builtin.has(i.path) || i.path.startsWith("node:"))).map((i) => i.path.replace(/^node:/, "")))
      sizes.push({ name: e.name, peer: e.peer, browser: e.browser, raw: out.length, gzip: gzipSync(out).length, builtins: [...new Set(imports)].sort() })
    } catch (err) {
      const first = (err as { errors?: Array<{ text: string }> }).errors?.[0]?.text ?? String(err)
      sizes.push({ name: e.name, peer: e.peer, browser: e.browser, raw: null, gzip: null, builtins: [], error: first })
    }
  }

  const kb = (n: number | null) => (n === null ? "–" : fmt(n / 1024, 1))
  const mine = sizes.find((s) => !s.peer)!
  const peers = sizes.filter((s) => s.peer && s.browser && s.gzip !== null)
  const bestGz = best(peers.map((s) => ({ name: s.name, value: s.gzip! / 1024 })), true)
  const summary: Array<SummaryRow> = [{
    row: "client library, browser bundle (minified, gzipped KB)",
    marginctl: mine.gzip === null ? null : mine.gzip / 1024,
    bestPeer: bestGz?.value ?? null,
    bestPeerName: bestGz?.name ?? null,
    lowerIsBetter: true,
    digits: 1,
    note: "peers that can run in a browser only (the official connector is Node-only: node:crypto, fs, node:https)",
    ...(mine.gzip === null ? { pending: `marginctl bundle failed: ${mine.error}` } : {})
  }]
  const markdown = [
    "Each client library bundled from a one-line entry that constructs its USDⓈ-M client (marginctl: the MarginClient layer with " +
    "FetchHttpClient, the HMAC Signer and the in-memory WeightBudget), esbuild `--bundle --minify --platform=browser`, Node built-ins " +
    "left external (listed: what a browser build would have to stub).",
    table(
      ["library", "raw KB", "gzipped KB", "Node built-ins it imports", "runs in a browser"],
      sizes.map((s) => [
        s.name,
        kb(s.raw),
        kb(s.gzip),
        s.error ? `build failed: ${s.error}` : s.builtins.join(", ") || "none",
        s.browser ? "yes" : "no (Node-only)"
      ]),
      "---|---:|---:|---|---"
    )
  ].join("\n\n")
  const result: BenchResult = { name: "bundle-size", title: "Client library bundle", markdown, summary, raw: sizes }
  writeResult(a.get("out"), result)
}

main().catch((e) => {
  log(e instanceof Error ? e.stack : String(e))
  process.exit(1)
})
