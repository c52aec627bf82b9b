/** Where things are: the workspace, its public packages, and a scratch folder outside the workspace. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

export const ROOT = path.resolve(import.meta.dirname, "../../..")

/** The packages published to npm, by folder (the extension ships as a store zip, not to npm). */
export const PUBLIC_PACKAGES = ["packages/core", "packages/simulator", "packages/gateway-api", "apps/cli", "apps/gateway"] as const
export const LIBRARIES = ["packages/core", "packages/simulator", "packages/gateway-api"] as const
/** Every package of the workspace that is released: the public ones and the extension (a store zip). */
export const RELEASED = [...PUBLIC_PACKAGES, "apps/extension"] as const

export const manifestOf = (dir: string): { name: string; version: string; private?: boolean } =>
  JSON.parse(readFileSync(path.join(ROOT, dir, "package.json"), "utf8"))

/** A fresh folder in the system's temporary directory (outside the workspace), removed by `dispose`. */
export const scratch = (prefix: string) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), `marginctl-${prefix}-`))
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) }
}
