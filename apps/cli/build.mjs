// Builds the `marginctl` bin into dist/:
//   marginctl.js        the entry (ESM, a few KB): answers --version, then loads the program;
//   marginctl-main.cjs  the program, one minified bundle with everything inside (Effect, the core,
//                       the simulator for `marginctl sim`, cli-progress), deep imports only;
//   marginctl-main.cache V8's code cache for it, made here after warming it up (codecache.mjs).
// Start-up time is the reason for the split: see README, "Speed".
import * as esbuild from "esbuild"
import { chmodSync, existsSync, readFileSync, renameSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { writeCodeCache } from "./codecache.mjs"

const here = dirname(fileURLToPath(import.meta.url))
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"))

const common = {
  absWorkingDir: here,
  bundle: true,
  platform: "node",
  target: "node20",
  minify: true,
  legalComments: "none",
  define: { __MARGINCTL_VERSION__: JSON.stringify(pkg.version), __MARGINCTL_BUNDLED__: "true" },
  logLevel: "warning"
}

/**
 * Builds into a fresh directory next to dist/ and swaps it in at the end, so that a process running
 * dist/marginctl.js meanwhile never sees a half-written bin.
 */
export const build = async ({ analyze = false, cache = true } = {}) => {
  const out = join(here, `.dist-${process.pid}`)
  rmSync(out, { recursive: true, force: true })
  try {
    await esbuild.build({
      ...common,
      entryPoints: ["src/bin.ts"],
      outfile: join(out, "marginctl.js"),
      format: "esm",
      // Only used when running from source; the bundle loads marginctl-main.cjs instead.
      external: ["./Main.js"],
      banner: { js: "#!/usr/bin/env node" }
    })
    chmodSync(join(out, "marginctl.js"), 0o755)
    const main = await esbuild.build({
      ...common,
      entryPoints: ["src/Main.ts"],
      outfile: join(out, "marginctl-main.cjs"),
      format: "cjs",
      metafile: analyze
    })
    if (analyze) console.log(await esbuild.analyzeMetafile(main.metafile))
    if (cache) await writeCodeCache(join(out, "marginctl-main.cjs"), here)
    const old = join(here, `.dist-old-${process.pid}`)
    if (existsSync(join(here, "dist"))) renameSync(join(here, "dist"), old)
    renameSync(out, join(here, "dist"))
    rmSync(old, { recursive: true, force: true })
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await build({ analyze: process.argv.includes("--analyze"), cache: !process.argv.includes("--no-cache") })
}
