import { defineConfig, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      name: "cli",
      // Builds dist/marginctl.js when it is missing or older than the sources: the tests run the bundle.
      globalSetup: ["./test/support/globalSetup.ts"]
    }
  })
)
