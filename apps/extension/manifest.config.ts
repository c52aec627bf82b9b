/**
 * The manifest's version comes from package.json (the one Changesets bumps): public/manifest.json has
 * no `version`; the build writes dist/manifest.json as public/manifest.json plus the version.
 *
 * Chrome takes 1 to 4 dot-separated integers (0 to 65535, no leading zeros) as `version`, and any
 * text as `version_name` (what it shows). A release `0.2.0` is `version: "0.2.0"`; a prerelease
 * `1.0.0-beta.3` is `version: "1.0.0"` with `version_name: "1.0.0-beta.3"`. Anything else (build
 * metadata, a partial or non-numeric version) is refused.
 */
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import type { Plugin } from "vite"

export interface ChromeVersion {
  readonly version: string
  readonly version_name?: string
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$/

/** package.json's version as Chrome's `version` (and `version_name` for a prerelease); throws when it cannot be. */
export const chromeVersion = (semver: string): ChromeVersion => {
  const m = SEMVER.exec(semver)
  const parts = m === null ? [] : [m[1]!, m[2]!, m[3]!]
  if (m === null || parts.some((p) => Number(p) > 65535)) {
    throw new Error(
      `package.json version "${semver}" cannot be a Chrome extension version: expected MAJOR.MINOR.PATCH ` +
        `or MAJOR.MINOR.PATCH-PRERELEASE (e.g. 0.2.0 or 1.0.0-beta.3), each number at most 65535, no build metadata`
    )
  }
  const version = parts.join(".")
  return m[4] === undefined ? { version } : { version, version_name: semver }
}

/** public/manifest.json's content with the version set after `short_name` (or `name`); refuses a hand-written one. */
export const withVersion = (manifest: Record<string, unknown>, semver: string): Record<string, unknown> => {
  for (const key of ["version", "version_name"]) {
    if (key in manifest) {
      throw new Error(`public/manifest.json must not set "${key}": the build takes it from package.json's "version"`)
    }
  }
  const versions = chromeVersion(semver)
  const after = "short_name" in manifest ? "short_name" : "name"
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(manifest)) {
    out[key] = value
    if (key === after) Object.assign(out, versions)
  }
  return { ...out, ...versions }
}

/**
 * Writes dist/manifest.json (over the copy of public/) in the build pass that copies public/. A bad
 * version or a hand-written one fails the build before anything is bundled.
 */
export const manifestVersion = (root: string): Plugin => {
  let manifest = ""
  return {
    name: "marginctl:manifest-version",
    apply: "build",
    buildStart() {
      const read = (file: string) => {
        const path = resolve(root, file)
        this.addWatchFile(path)
        return JSON.parse(readFileSync(path, "utf8"))
      }
      try {
        manifest = `${JSON.stringify(withVersion(read("public/manifest.json"), read("package.json").version), null, 2)}\n`
      } catch (e) {
        this.error(e instanceof Error ? e.message : String(e))
      }
    },
    generateBundle() {
      if (this.environment.config.build.copyPublicDir) {
        this.emitFile({ type: "asset", fileName: "manifest.json", source: manifest })
      }
    }
  }
}
