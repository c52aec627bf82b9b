/**
 * The reliability suite (`pnpm test:reliability`, scripts/reliability.mjs). Not a workspace package:
 * bare imports that do not resolve from here (effect, vitest and @effect/vitest do, from the root)
 * are resolved as if imported by the apps and packages that depend on them — through the existing
 * node_modules of apps/gateway, apps/cli, apps/extension and bench. Test files run one at a time, in
 * the order of their names (the secrets scan is last and reads what the others captured); the tests
 * inside a file run concurrently.
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { Plugin } from "vite"
import { defineConfig, mergeConfig } from "vitest/config"
import { BaseSequencer, type TestSpecification } from "vitest/node"
import shared from "../vitest.shared.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.dirname(here)

/** Files whose node_modules hold what the suite imports, tried in this order. */
const anchors = [
  "apps/gateway/src/main.ts",
  "apps/cli/src/bin.ts",
  "apps/extension/src/Accounts.ts",
  "bench/package.json",
  "packages/simulator/src/index.ts"
].map((f) => path.join(root, f))

const isBare = (id: string) =>
  !id.startsWith(".") && !id.startsWith("/") && !id.startsWith("\0") && !id.startsWith("node:") && !/^[a-zA-Z]:[\\/]/.test(id) &&
  !id.startsWith("virtual:") && !id.startsWith("@vite/") && !id.startsWith("@id/")

const workspaceResolve = (): Plugin => ({
  name: "reliability:workspace-resolve",
  enforce: "pre",
  async resolveId(source, importer, options) {
    if (importer === undefined || !isBare(source) || !importer.startsWith(here)) return null
    const own = await this.resolve(source, importer, { ...options, skipSelf: true })
    if (own !== null) return own
    for (const anchor of anchors) {
      const resolved = await this.resolve(source, anchor, { ...options, skipSelf: true })
      if (resolved !== null) return resolved
    }
    return null
  }
})

/** By file name: 1-…, 2-…, …, 9-secrets last. */
class ByName extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId))
  }
}

export default mergeConfig(
  shared,
  defineConfig({
    plugins: [workspaceResolve()],
    test: {
      name: "reliability",
      root: here,
      include: ["test/**/*.test.ts"],
      fileParallelism: false,
      maxConcurrency: 8,
      sequence: { sequencer: ByName },
      testTimeout: 120_000,
      hookTimeout: 120_000
    }
  })
)
