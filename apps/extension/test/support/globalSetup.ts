/**
 * Builds dist/ when it is missing or older than any source the extension is made of (its own src,
 * pages, public files and config, package.json (the manifest's version), and the core and gateway-api
 * sources it bundles).
 */
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { join, resolve } from "node:path"

const app = resolve(import.meta.dirname, "../..")
// popup.html is written last (the popup pass runs after the worker and options passes).
const stamp = join(app, "dist", "popup.html")

const newest = (path: string): number => {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let latest = 0
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules") continue
    latest = Math.max(latest, newest(join(path, entry)))
  }
  return latest
}

export default function setup(): void {
  const sources = [
    join(app, "src"),
    join(app, "public"),
    join(app, "popup.html"),
    join(app, "options.html"),
    join(app, "vite.config.ts"),
    join(app, "manifest.config.ts"),
    // The manifest's version is package.json's.
    join(app, "package.json"),
    join(app, "../../packages/core/src"),
    join(app, "../../packages/gateway-api/src")
  ]
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0
  if (built > 0 && Math.max(...sources.map(newest)) <= built) return
  const result = spawnSync(join(app, "node_modules/.bin/vite"), ["build"], { cwd: app, stdio: "inherit" })
  if (result.status !== 0) throw new Error("vite build failed: the extension could not be built for the browser tests")
}
