// `pnpm test`: installs what is missing, builds the bundles the tests run as processes, runs every
// test once with vitest (the packages' tests, then the reliability suite of reliability/, then the
// release suite of release/), and ends with the plain line "N passed, N failed" over all three.
//
//   pnpm test                 everything
//   pnpm test -t "planner"    extra arguments go to vitest, for the packages' tests only
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs"
import { ensureInstall, ensureSystemPackages } from "./ensure-install.mjs"
import { vitestCounts } from "./vitest-counts.mjs"

process.env.TURBO_TELEMETRY_DISABLED = "1"
ensureInstall()
ensureSystemPackages()

const run = (cmd, args) => spawnSync(cmd, args, { stdio: "inherit", env: process.env }).status ?? 1

if (run("pnpm", ["exec", "turbo", "run", "build", "--output-logs=errors-only"]) !== 0) {
  console.log("build failed")
  console.log("0 passed, 1 failed")
  process.exit(1)
}

mkdirSync("test-results", { recursive: true })
const results = "test-results/vitest.json"
const status = run("pnpm", ["exec", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${results}`, ...process.argv.slice(2)])

let { passed, failed } = vitestCounts(results, status)
let ok = status === 0 && failed === 0

/** Runs a suite script that writes its counts to a file, and adds them. */
const suite = (title, script, args, counts) => {
  console.log(`\n${title}`)
  rmSync(counts, { force: true })
  const status = run("node", [script, "--no-build", ...args])
  const c = existsSync(counts) ? JSON.parse(readFileSync(counts, "utf8")) : { passed: 0, failed: 1 }
  passed += c.passed
  failed += c.failed
  if (status !== 0 && c.failed === 0) failed += 1
  ok = ok && status === 0
}

if (process.argv.length <= 2) {
  suite("reliability suite (reliability/, see RELIABILITY.md)", "scripts/reliability.mjs", ["--no-report"], "test-results/reliability/counts.json")
  const releaseCounts = "test-results/release/counts.json"
  suite("release suite (release/: publish to a local registry, install, use)", "scripts/release-suite.mjs", ["--counts", releaseCounts], releaseCounts)
}

console.log(`${passed} passed, ${failed} failed`)
process.exit(ok && failed === 0 ? 0 : 1)
