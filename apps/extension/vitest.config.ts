import { defineConfig, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      name: "extension",
      // Builds dist/ when it is missing or older than the sources (the browser tests load it).
      globalSetup: ["./test/support/globalSetup.ts"],
      testTimeout: 60_000,
      hookTimeout: 120_000
    }
  })
)
