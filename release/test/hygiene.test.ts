/**
 * Package hygiene of each library as packed for npm: publint (strict: warnings count) and
 * @arethetypeswrong/cli (profile esm-only) over the root and every public module subpath.
 */
import { readdirSync } from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { LIBRARIES, manifestOf, ROOT, scratch } from "./support/paths.js"
import { ok, run } from "./support/processes.js"

const out = scratch("packs")
const tarballs = new Map<string, string>()
const bin = (name: string) => path.join(ROOT, "release/node_modules/.bin", name)

beforeAll(() => {
  for (const dir of LIBRARIES) {
    ok("pnpm", ["pack", "--pack-destination", out.dir], { cwd: path.join(ROOT, dir) })
    const { name, version } = manifestOf(dir)
    tarballs.set(dir, path.join(out.dir, `${name.replace("@", "").replace("/", "-")}-${version}.tgz`))
  }
})

afterAll(() => out.dispose())

/** The public modules of a library: every `src/*.ts` but the bin entry, as `./Name` subpaths. */
const subpaths = (dir: string) =>
  readdirSync(path.join(ROOT, dir, "src"))
    .filter((f) => f.endsWith(".ts") && f !== "index.ts" && f !== "main.ts")
    .map((f) => `./${f.slice(0, -3)}`)

describe.each(LIBRARIES)("%s as packed", (dir) => {
  it("passes publint --strict", () => {
    const r = run(bin("publint"), ["run", tarballs.get(dir)!, "--strict"], { cwd: out.dir })
    expect(r.stdout + r.stderr).toContain("All good!")
    expect(r.status).toBe(0)
  })

  it("passes arethetypeswrong (esm-only) for the root and every module", () => {
    const r = run(bin("attw"), [tarballs.get(dir)!, "--profile", "esm-only", "--format", "json", "--include-entrypoints", ...subpaths(dir)], { cwd: out.dir })
    const report = JSON.parse(r.stdout)
    const entrypoints = Object.keys(report.analysis.entrypoints)
    expect(entrypoints).toEqual(expect.arrayContaining([".", ...subpaths(dir)]))
    // The esm-only profile leaves CommonJS and node10 resolution out; everything else is a problem.
    const problems = Object.values(report.problems ?? {}).flat() as Array<{ resolutionKind?: string }>
    expect(problems.filter((p) => p.resolutionKind !== "node10" && p.resolutionKind !== "node16-cjs")).toEqual([])
    expect(r.status).toBe(0)
  })
})
