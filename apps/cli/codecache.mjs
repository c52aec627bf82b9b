// Writes V8's code cache for dist/marginctl-main.cjs. The bundle is loaded exactly as src/bin.ts loads
// it (same wrapper, so V8 accepts the cache), then warmed up by running the usual commands in this
// process against a simulator started here, so the cache also holds the functions they compile.
// A cache made by another Node version is rejected by V8 at run time and the bundle is compiled.
import * as esbuild from "esbuild"
import { readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import * as vm from "node:vm"

// Must match the wrapper in src/bin.ts.
const wrap = (source) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`

const startSimulator = async (dir) => {
  const file = join(dir, `.warmup-simulator-${process.pid}.mjs`)
  await esbuild.build({
    absWorkingDir: dir,
    stdin: { contents: "export { startServer } from \"@marginctl/simulator/Server\"", resolveDir: dir, loader: "ts" },
    outfile: file,
    bundle: true,
    platform: "node",
    format: "esm",
    // The simulator's WebSocket server (`ws`) is CommonJS and requires Node's built-ins.
    banner: { js: "import { createRequire as __createRequire } from \"node:module\"; const require = __createRequire(import.meta.url);" },
    logLevel: "warning"
  })
  try {
    const { startServer } = await import(pathToFileURL(file).href)
    return await startServer({ port: 0 })
  } finally {
    rmSync(file, { force: true })
  }
}

const WORKLOADS = [
  ["--help"],
  ["multi-assets", "get"],
  ["multi-assets", "on", "--json"],
  ["multi-assets", "off"],
  ["margin-type", "get", "BTCUSDT"],
  ["margin-type", "set", "ISOLATED", "BTCUSDT", "ETHUSDT"],
  ["status"],
  ["plan", "--margin-type", "CROSSED", "--all"],
  ["apply", "--margin-type", "CROSSED", "--all", "--yes"],
  ["apply", "--multi-assets", "on", "--yes", "--json"],
  ["time"],
  ["collateral"],
  ["margin-type", "set", "foo", "BTCUSDT"]
]

export const writeCodeCache = async (bundleFile, appDir = join(dirname(bundleFile), "..")) => {
  const dir = dirname(bundleFile)
  const script = new vm.Script(wrap(readFileSync(bundleFile, "utf8")), {
    filename: bundleFile,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
  })
  const module = { exports: {} }
  script.runInThisContext()(module.exports, createRequire(bundleFile), module, bundleFile, dir)
  const main = module.exports

  const sim = await startSimulator(appDir)
  const vars = {
    BINANCE_API_KEY: sim.demo.apiKey,
    BINANCE_API_SECRET: sim.demo.secret,
    BINANCE_PRIVATE_KEY_FILE: undefined,
    BINANCE_PRIVATE_KEY_PASSPHRASE: undefined,
    MARGINCTL_SIM_URL: sim.url
  }
  const setEnv = (values) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
  const saved = { env: Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]])), out: process.stdout.write, err: process.stderr.write }
  setEnv(vars)
  process.stdout.write = process.stderr.write = () => true
  try {
    for (const args of WORKLOADS) {
      const argv = ["node", "marginctl", ...args, ...(args[0] === "--help" ? [] : ["--env", "sim"])]
      await main.runPromiseExit(main.run(argv).pipe(main.handleCliErrors(argv), main.provide(main.MainLive)))
    }
  } finally {
    process.stdout.write = saved.out
    process.stderr.write = saved.err
    setEnv(saved.env)
    await sim.close()
  }
  writeFileSync(bundleFile.replace(/\.cjs$/, ".cache"), script.createCachedData())
}
