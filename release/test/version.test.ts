/**
 * The versioning half of `pnpm release`: `changeset version` over the changesets already written,
 * on a copy of the workspace's manifests. Every package moves to one version together (a fixed
 * group: the CLI and the gateway bundle the core, so a core fix ships in them too), each CHANGELOG.md
 * is written from the changesets, and the extension's store manifest follows its package version.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { manifestOf, RELEASED, ROOT, scratch } from "./support/paths.js"
import { withVersion } from "../../apps/extension/manifest.config.js"
import { ok } from "./support/processes.js"

const ALL = RELEASED
const tmp = scratch("version")
const read = (file: string) => readFileSync(path.join(tmp.dir, file), "utf8")
const changesets = readdirSync(path.join(ROOT, ".changeset")).filter((f) => f.endsWith(".md") && f !== "README.md")

beforeAll(() => {
  for (const f of ["package.json", "pnpm-workspace.yaml", ".changeset", ...ALL.map((d) => `${d}/package.json`), "bench/package.json", "release/package.json"]) {
    mkdirSync(path.dirname(path.join(tmp.dir, f)), { recursive: true })
    cpSync(path.join(ROOT, f), path.join(tmp.dir, f), { recursive: true })
  }
  symlinkSync(path.join(ROOT, "node_modules"), path.join(tmp.dir, "node_modules"))
  ok("pnpm", ["exec", "changeset", "version"], { cwd: tmp.dir })
})

afterAll(() => tmp.dispose())

describe("changeset version", () => {
  it("has changesets to release", () => {
    expect(changesets.length).toBeGreaterThan(0)
  })

  it("moves every package to one new version", () => {
    const before = manifestOf("packages/core").version
    const versions = new Set(ALL.map((d) => JSON.parse(read(`${d}/package.json`)).version))
    expect(versions.size).toBe(1)
    expect([...versions][0]).not.toBe(before)
  })

  it("writes each CHANGELOG.md from the changesets and consumes them", () => {
    const version = JSON.parse(read("packages/core/package.json")).version
    for (const dir of ALL) {
      const log = read(`${dir}/CHANGELOG.md`)
      expect(log).toContain(`## ${version}`)
    }
    for (const file of changesets) {
      const text = readFileSync(path.join(ROOT, ".changeset", file), "utf8")
      const body = text.split(/^---$/m)[2]!.trim().split("\n")[0]!.trim()
      const named = [...text.split(/^---$/m)[1]!.matchAll(/^"?([^":]+)"?:/gm)].map((m) => m[1]!.trim())
      const dir = ALL.find((d) => manifestOf(d).name === named[0])!
      expect(read(`${dir}/CHANGELOG.md`), file).toContain(body)
      expect(existsSync(path.join(tmp.dir, ".changeset", file))).toBe(false)
    }
  })

  it("gives the extension's store manifest the new version", () => {
    const version = JSON.parse(read("apps/extension/package.json")).version
    const manifest = JSON.parse(readFileSync(path.join(ROOT, "apps/extension/public/manifest.json"), "utf8"))
    expect(withVersion(manifest, version)).toMatchObject({ version, manifest_version: 3 })
  })
})
