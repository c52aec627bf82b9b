/**
 * The tests run the built CLI as a process. Builds dist/ (node build.mjs, as `pnpm build` does) when
 * it is missing or older than anything it is built from.
 */
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const app = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const root = join(app, "..", "..")

const newest = (path: string): number => {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), stat.mtimeMs)
}

export default function setup(): void {
  const built = join(app, "dist", "marginctl-main.cjs")
  const sources = [
    join(app, "src"),
    join(app, "build.mjs"),
    join(app, "codecache.mjs"),
    join(app, "package.json"),
    join(root, "packages", "core", "src"),
    join(root, "packages", "simulator", "src")
  ]
  const cache = join(app, "dist", "marginctl-main.cache")
  if (existsSync(built) && existsSync(cache) && statSync(built).mtimeMs >= Math.max(...sources.map(newest))) return
  const result = spawnSync(process.execPath, ["build.mjs"], { cwd: app, stdio: "inherit" })
  if (result.status !== 0) throw new Error("building the CLI (node build.mjs) failed")
}
