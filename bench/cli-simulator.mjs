// The simulator as `marginctl sim --port 0` runs it, for the benchmarks that time the CLI: resolves
// once it printed its URL and the demo account's key and secret.
import { spawn } from "node:child_process"

/** Starts `node BIN sim --port 0`; resolves with the process, URL, API key and secret. */
export const startCliSimulator = (bin) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "sim", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (d) => {
      out += d
      const url = /listening on (\S+)/.exec(out)?.[1]
      const key = /API key: (\S+)/.exec(out)?.[1]
      const secret = /Secret: +(\S+)/.exec(out)?.[1]
      if (url && key && secret) resolve({ child, url, key, secret })
    })
    child.on("exit", (code) => reject(new Error(`simulator exited with ${code}:\n${out}`)))
  })
