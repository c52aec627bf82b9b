// Installs the workspace's dependencies when they are missing or older than the lockfile.
import { execSync, spawnSync } from "node:child_process"
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

const missingSystemPackages = () => {
  const missing = []
  if (spawnSync("sh", ["-c", "command -v redis-server"]).status !== 0) missing.push("redis-server")
  if (!existsSync("/usr/bin/chromium")) missing.push("chromium")
  const postgres = spawnSync("sh", ["-c", "ls /usr/lib/postgresql/*/bin/initdb"]).status === 0
  if (!postgres) missing.push("postgresql")
  return missing
}

/** Redis (shared weight budget), PostgreSQL (audit store) and Chromium (extension), from Debian's packages. */
export const ensureSystemPackages = () => {
  const missing = missingSystemPackages()
  if (missing.length === 0) return
  if (process.getuid?.() !== 0 || spawnSync("sh", ["-c", "command -v apt-get"]).status !== 0) {
    console.log(`missing ${missing.join(", ")}: install them with your package manager (Debian: apt-get install ${missing.join(" ")})`)
    return
  }
  console.log(`installing ${missing.join(", ")} (apt-get)…`)
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env })
  spawnSync("apt-get", ["install", "-y", "-qq", ...missing], { stdio: "inherit", env })
}
