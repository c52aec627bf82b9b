// Bundles the gateway into dist/main.js (node ESM). Native and optional modules stay external;
// `require` is defined for dependencies that still call it. `--outdir DIR` writes elsewhere (tests
// build into a temporary directory and rename, so that concurrent builds never expose a half file).
import * as esbuild from "esbuild"
import { readFileSync } from "node:fs"

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"))

const i = process.argv.indexOf("--outdir")
const outdir = i === -1 ? "dist" : process.argv[i + 1]

await esbuild.build({
  entryPoints: ["src/main.ts"],
  outfile: `${outdir}/main.js`,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  define: { __MARGINCTL_VERSION__: JSON.stringify(pkg.version) },
  external: ["better-sqlite3", "pg-native"],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from \"node:module\";\nconst require = __createRequire(import.meta.url);"
  },
  logLevel: "warning"
})
