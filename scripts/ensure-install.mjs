// Installs the workspace's dependencies when they are missing or older than the lockfile.
import { execSync } from "node:child_process"
import { existsSync, statSync } from "node:fs"

export const ensureInstall = () => {
  const marker = "node_modules/.modules.yaml"
  const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync("pnpm-lock.yaml").mtimeMs
  if (stale) {
    console.log("installing dependencies (pnpm install --frozen-lockfile)…")
    execSync("pnpm install --frozen-lockfile", { stdio: "inherit", env: installEnv() })
  }
}

/** Native addons (better-sqlite3) build against the machine's Node headers instead of downloading them. */
export const installEnv = () =>
  existsSync("/usr/include/node/node.h") && !process.env.npm_config_nodedir
    ? { ...process.env, npm_config_nodedir: "/usr" }
    : process.env
