// Bundles the server entry into dist/main.js (node ESM). `require` is defined for dependencies
// that still call it.
import * as esbuild from "esbuild"
import { chmodSync, readFileSync } from "node:fs"

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"))

await esbuild.build({
  entryPoints: ["src/main.ts"],
  outfile: "dist/main.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  define: { __MARGINCTL_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from \"node:module\";\nconst require = __createRequire(import.meta.url);"
  },
  logLevel: "warning"
})

chmodSync("dist/main.js", 0o755)
