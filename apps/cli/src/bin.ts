/**
 * The `marginctl` executable. `--version` is answered here before anything else is loaded. Otherwise
 * the program (src/Main.ts) is loaded — from the bundle with V8's code cache when built — and run
 * by `NodeRuntime.runMain`, the only place where the CLI runs effects. The exit code comes from
 * `Output.teardown` (README, "Exit codes").
 */
import type * as MainModule from "./Main.js"
import { VERSION } from "./Version.js"

type Main = typeof MainModule

declare const __MARGINCTL_BUNDLED__: boolean | undefined

/**
 * Loads dist/marginctl-main.cjs with the code cache written at build time (dist/marginctl-main.cache),
 * which saves compiling ~0.5 MB of JavaScript on every start. A cache from another Node version is
 * rejected by V8 and the bundle is simply compiled. The wrapper must match build.mjs's.
 */
const loadBundle = async (): Promise<Main> => {
  const [fs, vm, nodeModule, path, url] = await Promise.all([
    import("node:fs"),
    import("node:vm"),
    import("node:module"),
    import("node:path"),
    import("node:url")
  ])
  const file = url.fileURLToPath(new URL("./marginctl-main.cjs", import.meta.url))
  let cachedData: Buffer | undefined
  try {
    cachedData = fs.readFileSync(file.replace(/\.cjs$/, ".cache"))
  } catch {
    cachedData = undefined
  }
  const source = fs.readFileSync(file, "utf8")
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
  })
  const module = { exports: {} }
  script.runInThisContext()(module.exports, nodeModule.createRequire(file), module, file, path.dirname(file))
  return module.exports as Main
}

const start = async (): Promise<void> => {
  const main = typeof __MARGINCTL_BUNDLED__ === "boolean" ? await loadBundle() : await import("./Main.js")
  const program = main.run(process.argv).pipe(main.handleCliErrors(process.argv), main.provide(main.MainLive))
  main.runMain(program, { disableErrorReporting: true, disablePrettyLogger: true, teardown: main.teardown })
}

const args = process.argv.slice(2)
if (args.length === 1 && args[0] === "--version") {
  process.stdout.write(`${VERSION}\n`)
} else {
  start().catch((e: unknown) => {
    process.stderr.write(`marginctl: could not start: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(1)
  })
}
