/**
 * The Chrome Web Store zip: package.mjs run on the built dist/ (made by the global setup) into a
 * temporary directory, then opened again. Every file of dist/ at the zip's root with the same bytes, no
 * source map, no earlier zip; the manifest's version from package.json; every file the manifest and
 * the pages point at is in it; the same dist/ gives the same bytes; a dist/ built for another version
 * is refused. And the package.json → manifest version mapping.
 */
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { strFromU8, unzipSync } from "fflate"
import { afterAll, describe, expect, it } from "vitest"
import { chromeVersion, withVersion } from "../manifest.config.js"
import { APP, DIST } from "./support/browser.js"

const pkg = JSON.parse(readFileSync(join(APP, "package.json"), "utf8")) as { version: string }
const publicManifest = JSON.parse(readFileSync(join(APP, "public/manifest.json"), "utf8")) as Record<string, unknown>
const ZIP_NAME = `marginctl-extension-${pkg.version}.zip`

const temp = mkdtempSync(join(tmpdir(), "marginctl-ext-package-"))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

/** Runs package.mjs; returns its exit status, its stderr and the zip's path. */
const runPackage = (out: string, dist?: string) => {
  const args = [join(APP, "package.mjs"), "--out", out, ...(dist === undefined ? [] : ["--dist", dist])]
  const result = spawnSync(process.execPath, args, { cwd: APP, encoding: "utf8" })
  return { status: result.status, stderr: result.stderr, zip: join(out, ZIP_NAME) }
}

/** Files under dir, relative with "/", sorted. */
const walk = (dir: string, prefix = ""): Array<string> =>
  readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(dir, `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort()

// What the zip must hold: dist/ without a zip `pnpm package` may have left there (vite writes no maps).
const expected = walk(DIST).filter((f) => !f.endsWith(".zip"))

const packaged = runPackage(join(temp, "out"))
const entries = packaged.status === 0 ? unzipSync(readFileSync(packaged.zip)) : {}
const names = Object.keys(entries).sort()
const manifestBytes = entries["manifest.json"]
const manifest = (manifestBytes === undefined ? {} : JSON.parse(strFromU8(manifestBytes))) as Record<string, any>

describe("package.mjs (the Chrome Web Store zip)", () => {
  it("zips every file of dist/ at the zip's root with the same bytes, and nothing else", () => {
    expect(packaged.stderr).toBe("")
    expect(packaged.status).toBe(0)
    // The pages, their scripts and styles under assets/, the worker, four icons and the manifest.
    expect(expected.length).toBeGreaterThanOrEqual(10)
    expect(expected.some((f) => f.startsWith("assets/"))).toBe(true)
    expect(names).toEqual(expected)
    for (const name of names) expect(Buffer.from(entries[name]!).equals(readFileSync(join(DIST, name))), name).toBe(true)
    expect(names.filter((f) => f.endsWith(".map") || f.endsWith(".zip") || f.startsWith("dist/") || f.startsWith("/"))).toEqual([])
  })

  it("has a Manifest V3 manifest at the root whose version is package.json's", () => {
    expect(manifest.manifest_version).toBe(3)
    expect(manifest.name).toBe("marginctl")
    expect(manifest.version).toBe(chromeVersion(pkg.version).version)
    expect(manifest.version_name ?? manifest.version).toBe(pkg.version)
    expect(manifest.version).toMatch(/^\d+(\.\d+){0,3}$/)
    // public/manifest.json holds no version; the rest of it is shipped unchanged.
    expect(publicManifest).not.toHaveProperty("version")
    expect(manifest).toEqual(withVersion(publicManifest, pkg.version))
  })

  it("contains every file the manifest and the pages point at", () => {
    const referenced = [
      manifest.action.default_popup,
      manifest.options_ui.page,
      manifest.background.service_worker,
      ...Object.values(manifest.icons),
      ...Object.values(manifest.action.default_icon)
    ] as Array<string>
    expect(referenced).toEqual(expect.arrayContaining(["popup.html", "options.html", "background.js", "icons/icon-128.png"]))
    for (const file of referenced) expect(names, file).toContain(file)
    for (const page of ["popup.html", "options.html"]) {
      const html = strFromU8(entries[page]!)
      const local = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]!)
      expect(local.filter((f) => f.endsWith(".js")).length, page).toBeGreaterThan(0)
      for (const file of local) expect(names, `${page} → ${file}`).toContain(file)
    }
  })

  it("leaves out source maps and earlier zips, and gives the same bytes for the same dist/", () => {
    const dist = join(temp, "dist-extra")
    cpSync(DIST, dist, { recursive: true })
    writeFileSync(join(dist, "assets/popup.js.map"), "{}")
    writeFileSync(join(dist, "background.js.map"), "{}")
    writeFileSync(join(dist, "marginctl-extension-0.0.1.zip"), "old")
    const a = runPackage(join(temp, "a"), dist)
    const b = runPackage(join(temp, "b"), dist)
    expect([a.status, b.status]).toEqual([0, 0])
    const zip = readFileSync(a.zip)
    expect(zip.equals(readFileSync(b.zip))).toBe(true)
    expect(Object.keys(unzipSync(zip)).sort()).toEqual(expected)
  })

  it("refuses a dist/ built for another version", () => {
    const dist = join(temp, "dist-stale")
    mkdirSync(dist)
    writeFileSync(join(dist, "manifest.json"), JSON.stringify({ ...manifest, version: "9.9.9", version_name: undefined }))
    const stale = runPackage(join(temp, "stale"), dist)
    expect(stale.status).toBe(1)
    expect(stale.stderr).toContain(`is for version 9.9.9, package.json says ${pkg.version}`)
    expect(existsSync(stale.zip)).toBe(false)
  })
})

describe("manifest version from package.json", () => {
  it("keeps a release and splits a prerelease into version and version_name", () => {
    expect(chromeVersion("0.2.0")).toEqual({ version: "0.2.0" })
    expect(chromeVersion("10.20.65535")).toEqual({ version: "10.20.65535" })
    expect(chromeVersion("1.0.0-beta.3")).toEqual({ version: "1.0.0", version_name: "1.0.0-beta.3" })
    expect(chromeVersion("2.1.0-rc-1")).toEqual({ version: "2.1.0", version_name: "2.1.0-rc-1" })
  })

  it("refuses anything Chrome would not take or that is not semver", () => {
    for (const bad of ["", "1", "1.0", "1.0.0.0", "v1.0.0", "01.0.0", "1.0.0+build.5", "1.0.0-", "1.0.0-beta..1", "1.0.0-01", "70000.0.0", " 1.0.0"]) {
      expect(() => chromeVersion(bad), JSON.stringify(bad)).toThrow(/cannot be a Chrome extension version/)
    }
  })

  it("sets the version after short_name and refuses a hand-written one", () => {
    const out = withVersion({ manifest_version: 3, name: "x", short_name: "x", description: "d" }, "1.0.0-beta.3")
    expect(Object.keys(out)).toEqual(["manifest_version", "name", "short_name", "version", "version_name", "description"])
    expect(out).toMatchObject({ version: "1.0.0", version_name: "1.0.0-beta.3" })
    expect(() => withVersion({ ...out, version_name: undefined }, "1.0.0")).toThrow(/must not set "version"/)
    expect(() => withVersion({ name: "x", version_name: "y" }, "1.0.0")).toThrow(/must not set "version_name"/)
    expect(() => withVersion({ name: "x" }, "1.0")).toThrow(/cannot be a Chrome extension version/)
  })
})
