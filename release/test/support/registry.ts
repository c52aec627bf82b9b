/**
 * A real npm registry for the release suite: verdaccio on 127.0.0.1, its storage in a temporary
 * folder, no uplink (nothing is proxied to or published on any other registry), and a user whose
 * token publishes. `npmrc` is a user config that points npm and pnpm at it alone.
 */
import { writeFileSync } from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { serve, type Server } from "./processes.js"
import { ROOT, scratch } from "./paths.js"

export interface Registry {
  readonly url: string
  /** A user config (`npm_config_userconfig`) with `registry=` this registry and the publishing token. */
  readonly npmrc: string
  /** The environment that sends every npm and pnpm command to this registry only. */
  readonly env: NodeJS.ProcessEnv
  readonly stop: () => Promise<void>
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })

const config = (storage: string, htpasswd: string) => `storage: ${storage}
auth:
  htpasswd:
    file: ${htpasswd}
    max_users: 10
uplinks: {}
packages:
  '**':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
log: { type: stdout, format: pretty, level: warn }
`

export const start = async (): Promise<Registry> => {
  const tmp = scratch("registry")
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  const file = path.join(tmp.dir, "config.yaml")
  writeFileSync(file, config(path.join(tmp.dir, "storage"), path.join(tmp.dir, "htpasswd")))
  let server: Server
  try {
    server = await serve(path.join(ROOT, "release/node_modules/.bin/verdaccio"), ["--config", file, "--listen", `127.0.0.1:${port}`], {
      cwd: tmp.dir,
      ready: /http address/,
      timeoutMs: 60_000
    })
  } catch (e) {
    tmp.dispose()
    throw e
  }
  // The registry's own user API, as `npm adduser` calls it.
  const res = await fetch(`${url}-/user/org.couchdb.user:release`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "release", password: "release-suite-only" })
  })
  const { token } = (await res.json()) as { token?: string }
  if (!res.ok || typeof token !== "string") throw new Error(`verdaccio refused the user: ${res.status}`)
  const npmrc = path.join(tmp.dir, "npmrc")
  writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`)
  return {
    url,
    npmrc,
    env: { ...process.env, npm_config_userconfig: npmrc, npm_config_registry: url, pnpm_config_registry: url },
    stop: async () => {
      await server.stop()
      tmp.dispose()
    }
  }
}
