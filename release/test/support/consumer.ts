/**
 * An empty npm project outside the workspace that installs the published packages from the local
 * registry, the way a user would: `@marginctl/*` from it (scoped registry), third-party packages
 * from the usual registry, and the unscoped `marginctl` (no dependencies) from it explicitly.
 */
import { copyFileSync, readdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { ok, type Ran } from "./processes.js"
import { ROOT, scratch } from "./paths.js"
import type { Registry } from "./registry.js"

export interface ExecOptions {
  readonly timeoutMs?: number
  readonly env?: NodeJS.ProcessEnv
}

export interface Consumer {
  readonly dir: string
  readonly env: NodeJS.ProcessEnv
  /** `CMD ARGS` in the project, with `env` added to the user's environment; fails unless it exits 0. */
  readonly exec: (cmd: string, args: ReadonlyArray<string>, options?: ExecOptions) => Ran
  /** `npx --no-install BIN ARGS` in the project. */
  readonly npx: (bin: string, args: ReadonlyArray<string>, options?: ExecOptions) => Ran
  readonly dispose: () => void
}

/** The environment of a user's shell: none of the registry overrides of the publishing step. */
const userEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm|pnpm)_(config|package|lifecycle)_/i.test(k)) env[k] = v
  // Native addons (better-sqlite3) build against the machine's Node headers where the machine has them.
  if (process.env.npm_config_nodedir) env.npm_config_nodedir = process.env.npm_config_nodedir
  return env
}

const THIRD_PARTY = ["effect@^3.22.4", "@effect/platform@^0.97.1", "typescript@~5.9.3", "esbuild@^0.25.12", "@types/node@^20.19.0"]

export const install = (registry: Registry): Consumer => {
  const tmp = scratch("consumer")
  const env = userEnv()
  // npm 11 runs no dependency's install script unless the project allows it: the gateway's SQLite
  // driver needs its build (older npm ignores the field and runs scripts anyway).
  const allowScripts = { "better-sqlite3": true, esbuild: true }
  writeFileSync(path.join(tmp.dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module", allowScripts }, null, 2))
  writeFileSync(path.join(tmp.dir, ".npmrc"), `@marginctl:registry=${registry.url}\nfund=false\naudit=false\n`)
  for (const f of readdirSync(path.join(ROOT, "release/fixtures"))) copyFileSync(path.join(ROOT, "release/fixtures", f), path.join(tmp.dir, f))
  const npm = (args: ReadonlyArray<string>) => ok("npm", args, { cwd: tmp.dir, env, timeoutMs: 540_000 })
  npm([
    "install",
    "@marginctl/core", "@marginctl/simulator", "@marginctl/gateway-api", "@marginctl/gateway",
    ...THIRD_PARTY
  ])
  npm(["install", `--registry=${registry.url}`, "marginctl"])
  const exec = (cmd: string, args: ReadonlyArray<string>, options: ExecOptions = {}) =>
    ok(cmd, args, { cwd: tmp.dir, env: { ...env, ...options.env }, timeoutMs: options.timeoutMs ?? 60_000 })
  return {
    dir: tmp.dir,
    env,
    exec,
    npx: (bin, args, options) => exec("npx", ["--no-install", bin, ...args], options),
    dispose: tmp.dispose
  }
}
