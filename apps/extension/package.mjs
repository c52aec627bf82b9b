// Zips the built extension for the Chrome Web Store: dist/marginctl-extension-<version>.zip, <version>
// being package.json's, with every file of dist/ at the zip's root except source maps and zips.
// `pnpm package` runs `vite build` first; this script refuses a dist/ built for another version.
// Entries are sorted and dated 1980-01-01 (local time, as zip stores it), so the same dist/ always
// gives the same bytes. `--dist DIR` and `--out DIR` read and write elsewhere (the tests use them).
import { zipSync } from "fflate"
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"

const { values } = parseArgs({ options: { dist: { type: "string" }, out: { type: "string" } } })
const dist = resolve(values.dist ?? join(import.meta.dirname, "dist"))
const out = resolve(values.out ?? dist)
const { version } = JSON.parse(readFileSync(join(import.meta.dirname, "package.json"), "utf8"))

const manifest = JSON.parse(readFileSync(join(dist, "manifest.json"), "utf8"))
if ((manifest.version_name ?? manifest.version) !== version) {
  console.error(`${dist}/manifest.json is for version ${manifest.version_name ?? manifest.version}, package.json says ${version}: run \`pnpm package\` (it builds first)`)
  process.exit(1)
}

/** Paths under dir, relative with "/", sorted; no source maps, no zips. */
const files = (dir, prefix = "") =>
  readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(dir, `${prefix}${e.name}/`) : e.isFile() ? [`${prefix}${e.name}`] : []))
    .filter((f) => !/\.(map|zip)$/.test(f))
    .sort()

const mtime = new Date(1980, 0, 1)
const entries = Object.fromEntries(files(dist).map((f) => [f, [readFileSync(join(dist, f)), { mtime }]]))
const zip = zipSync(entries, { level: 9, mtime })
const target = join(out, `marginctl-extension-${version}.zip`)
mkdirSync(out, { recursive: true })
writeFileSync(target, zip)
console.log(`${target}: ${Object.keys(entries).length} files, ${(zip.length / 1024).toFixed(1)} KB`)
