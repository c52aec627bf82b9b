// `pnpm start`: installs what is missing, builds the gateway (and the `marginctl` CLI when it is
// there), then runs the gateway on the embedded simulator with a demo account:
// node apps/gateway/dist/main.js --demo. It prints the gateway and docs URLs, a demo token on a line
// beginning with `token:`, and example curl and marginctl commands. Ctrl-C stops it (gracefully).
import { spawn, spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { ensureInstall } from "./ensure-install.mjs"

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
process.chdir(root)
process.env.TURBO_TELEMETRY_DISABLED = "1"
ensureInstall()

const turbo = (filter) =>
  spawnSync("pnpm", ["exec", "turbo", "run", "build", `--filter=${filter}`, "--output-logs=errors-only"], {
    stdio: "inherit",
    env: process.env
  }).status

if (turbo("@marginctl/gateway...") !== 0) {
  console.error("pnpm start: building the gateway failed")
  process.exit(1)
}
if (existsSync("apps/cli/package.json") && turbo("marginctl...") !== 0) {
  console.error("pnpm start: building the CLI failed; the gateway starts anyway (the marginctl example will not work)")
}

const child = spawn(process.execPath, ["apps/gateway/dist/main.js", "--demo", ...process.argv.slice(2)], { stdio: "inherit" })
// Ctrl-C reaches the gateway directly (same process group); a SIGTERM sent to this script is passed on.
process.on("SIGINT", () => {})
process.on("SIGTERM", () => child.kill("SIGTERM"))
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
