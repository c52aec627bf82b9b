/**
 * No import cycle through a value import in the sources of the packages and apps (dpdm, with
 * type-only imports skipped): a module never imports, directly or not, a module that imports it.
 * A dynamic `import()` counts as a value import.
 */
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { ROOT, scratch } from "./support/paths.js"
import { ok } from "./support/processes.js"

const SOURCES = ["packages/core", "packages/simulator", "packages/gateway-api", "apps/cli", "apps/gateway", "apps/extension"]
const out = scratch("imports")
afterAll(() => out.dispose())

describe("value imports", () => {
  it.each(SOURCES)("%s/src has no import cycle", (dir) => {
    const report = path.join(out.dir, `${dir.replace("/", "-")}.json`)
    ok(path.join(ROOT, "release/node_modules/.bin/dpdm"), [
      "--transform", "--no-tree", "--no-warning", "--no-circular", "--output", report, `${dir}/src/**/*.ts`
    ], { cwd: ROOT })
    const { circulars, entries } = JSON.parse(readFileSync(report, "utf8"))
    expect(entries.length).toBeGreaterThan(0)
    expect(circulars).toEqual([])
  })
})
