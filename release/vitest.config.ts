/**
 * The release suite (`pnpm test` runs it after the reliability suite; alone: `pnpm test:release`).
 * Files run one at a time: each starts servers and installs packages; one registry per file.
 */
import { defineConfig, mergeConfig } from "vitest/config"
import shared from "../vitest.shared.js"

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      name: "release",
      root: import.meta.dirname,
      include: ["test/**/*.test.ts"],
      fileParallelism: false,
      sequence: { concurrent: false },
      testTimeout: 120_000,
      hookTimeout: 600_000
    }
  })
)
