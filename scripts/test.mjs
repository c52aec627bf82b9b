// `pnpm test`: installs what is missing, builds the bundles the tests run as processes, runs every
// test once with vitest (the packages' tests, then the reliability suite of reliability/), and ends
// with the plain line "N passed, N failed" over both.
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

if (process.argv.length <= 2) {
  console.log("\nreliability suite (reliability/, see RELIABILITY.md)")
  const counts = "test-results/reliability/counts.json"
  rmSync(counts, { force: true })
  const suite = run("node", ["scripts/reliability.mjs", "--no-build", "--no-report"])
  const c = existsSync(counts) ? JSON.parse(readFileSync(counts, "utf8")) : { passed: 0, failed: 1 }
  passed += c.passed
  failed += c.failed
  if (suite !== 0 && c.failed === 0) failed += 1
  ok = ok && suite === 0
}

console.log(`${passed} passed, ${failed} failed`)
process.exit(ok && failed === 0 ? 0 : 1)
