/**
 * The fleet file's JSON Schema (fleet.schema.json, shipped in the package) is generated from the
 * Effect Schema the CLI decodes with; `vitest run -u` rewrites it after a change.
 */
import * as JSONSchema from "effect/JSONSchema"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { FleetFile } from "@marginctl/core/FleetFile"
import { APP } from "./support/Harness.js"

const generated = `${JSON.stringify(JSONSchema.make(FleetFile), null, 2)}\n`

describe("fleet.schema.json", () => {
  it("is the JSON Schema of the fleet file the CLI decodes", async () => {
    await expect(generated).toMatchFileSnapshot(join(APP, "fleet.schema.json"))
  })

  it("is shipped in the package", () => {
    const pkg = JSON.parse(readFileSync(join(APP, "package.json"), "utf8"))
    expect(pkg.files).toContain("fleet.schema.json")
  })
})
