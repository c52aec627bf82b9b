/**
 * Builds the Manifest V3 extension into dist/: popup.html, options.html (with their scripts and styles
 * under assets/), the module service worker at dist/background.js (fixed name: the manifest points at
 * it) and public/ (manifest.json, icons) copied as is, except that dist/manifest.json gets its `version`
 * from package.json (manifest.config.ts).
 *
 * One pass per context (Vite environments, built in order by `vite build`): `worker` builds the
 * service worker, `options` options.html, `popup` popup.html. Shared chunks of one multi-entry build
 * are tree-shaken for all entries together, so each context would load the others' share of Effect
 * (the worker's HTTP client and core, the options page's forms) too: on its own the popup stays
 * within its 60 KB (gzip) budget and the worker loads only what it runs (each pass carries its own
 * copy of the Effect runtime, so the extension as a whole ships more JavaScript).
 */
import { resolve } from "node:path"
import { defineConfig, type BuildEnvironmentOptions } from "vite"
import { manifestVersion } from "./manifest.config.js"

const root = import.meta.dirname

const common = (input: Record<string, string>, emptyOutDir: boolean): BuildEnvironmentOptions => ({
  outDir: resolve(root, "dist"),
  emptyOutDir,
  target: "chrome116",
  modulePreload: false,
  sourcemap: false,
  reportCompressedSize: false,
  copyPublicDir: emptyOutDir,
  rollupOptions: {
    input,
    output: {
      entryFileNames: (chunk) => (chunk.name === "background" ? "background.js" : "assets/[name]-[hash].js"),
      chunkFileNames: "assets/[name]-[hash].js",
      assetFileNames: "assets/[name]-[hash][extname]"
    }
  }
})

export default defineConfig({
  root,
  base: "./",
  publicDir: "public",
  plugins: [manifestVersion(root)],
  environments: {
    worker: {
      consumer: "client",
      build: common({ background: resolve(root, "src/background.ts") }, true)
    },
    options: {
      consumer: "client",
      build: common({ options: resolve(root, "options.html") }, false)
    },
    popup: {
      consumer: "client",
      build: common({ popup: resolve(root, "popup.html") }, false)
    }
  },
  builder: {
    buildApp: async (builder) => {
      await builder.build(builder.environments.worker!)
      await builder.build(builder.environments.options!)
      await builder.build(builder.environments.popup!)
    }
  }
})
