// `pnpm test:release`: builds, then runs the release suite (release/, vitest): publishes every public
// package to a local registry, installs them in an empty project, uses them; package hygiene
// (publint, arethetypeswrong); `changeset version` on a copy. Ends with "N passed, N failed".
//
//   --no-build     skip the build (how `pnpm test` runs the suite after the others)
//   --counts FILE  also write {passed, failed} to FILE
import { spawnSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { ensureInstall, installEnv } from "./ensure-install.mjs"
import { vitestCounts } from "./vitest-counts.mjs"

process.env.TURBO_TELEMETRY_DISABLED = "1"
ensureInstall()

const args = process.argv.slice(2)
const countsAt = args.indexOf("--counts")
const countsFile = countsAt === -1 ? undefined : args[countsAt + 1]
const run = (cmd, argv) => spawnSync(cmd, argv, { stdio: "inherit", env: installEnv() }).status ?? 1

if (!args.includes("--no-build") && run("pnpm", ["exec", "turbo", "run", "build", "--output-logs=errors-only"]) !== 0) {
  console.log("build failed")
  console.log("0 passed, 1 failed")
  process.exit(1)
}

const out = path.resolve("test-results/release")
mkdirSync(out, { recursive: true })
const json = path.join(out, "vitest.json")
const status = run("pnpm", ["exec", "vitest", "run", "--config", "release/vitest.config.ts", "--reporter=default", "--reporter=json", `--outputFile.json=${json}`])
const { passed, failed } = vitestCounts(json, status)
if (countsFile !== undefined) writeFileSync(countsFile, JSON.stringify({ passed, failed }))
console.log(`release suite: ${passed} passed, ${failed} failed`)
process.exit(status === 0 && failed === 0 ? 0 : 1)
