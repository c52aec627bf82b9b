/**
 * The release, proven against a real npm registry: every public package is published with
 * `changeset publish` to a local verdaccio, installed with npm into an empty project outside the
 * workspace, and used there as a user would — the core from a Node ESM script against the installed
 * simulator, type-checked under node16 and bundler resolution, bundled for a browser, and the three
 * installed bins (`marginctl`, `marginctl-sim`, `marginctl-gateway`) run; and the code blocks of
 * every package README type-checked against what was installed (those marked ```ts run are run).
 */
import { readFileSync, writeFileSync } from "node:fs"
import * as Jsonc from "jsonc-parser"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Consumer, install } from "./support/consumer.js"
import { manifestOf, PUBLIC_PACKAGES } from "./support/paths.js"
import { serve, type Server } from "./support/processes.js"
import { publishAll } from "./support/publish.js"
import * as Readme from "./support/readme.js"
import * as Registry from "./support/registry.js"

let registry: Registry.Registry
let consumer: Consumer
let published = ""
const servers: Array<Server> = []

beforeAll(async () => {
  registry = await Registry.start()
  published = publishAll(registry).stdout
  consumer = install(registry)
})

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()))
  consumer?.dispose()
  await registry?.stop()
})

const installed = (name: string) => JSON.parse(readFileSync(path.join(consumer.dir, "node_modules", name, "package.json"), "utf8"))

/** `marginctl-sim` from the installed package: its URL, admin token and demo key. */
const startSim = async () => {
  const sim = await serve("npx", ["--no-install", "marginctl-sim", "--port", "0"], { cwd: consumer.dir, env: consumer.env, ready: /demo secret:\s+\S+/ })
  servers.push(sim)
  const out = sim.output()
  const field = (re: RegExp) => re.exec(out)?.[1] ?? ""
  return {
    url: field(/listening on (http:\/\/\S+)/),
    admin: field(/admin token: (\S+)/),
    apiKey: field(/demo api key: (\S+)/),
    secret: field(/demo secret:\s+(\S+)/)
  }
}

describe("published to a registry and installed with npm", () => {
  it("publishes every public package at its workspace version", () => {
    for (const dir of PUBLIC_PACKAGES) {
      const { name, version } = manifestOf(dir)
      expect(published).toContain(`${name}@${version}`)
      expect(installed(name).version).toBe(version)
    }
    expect(published).not.toContain("@marginctl/extension")
  })

  it("ships libraries that point at dist with types first, with Effect as a peer", () => {
    for (const name of ["@marginctl/core", "@marginctl/simulator", "@marginctl/gateway-api"]) {
      const pkg = installed(name)
      expect(Object.keys(pkg.exports["."])[0]).toBe("types")
      expect(pkg.exports["."]).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" })
      expect(pkg.types).toBe("./dist/index.d.ts")
      expect(pkg.peerDependencies.effect).toMatch(/^\^3\./)
      expect(pkg.dependencies?.effect).toBeUndefined()
      expect(JSON.stringify(pkg)).not.toMatch(/workspace:|catalog:/)
    }
    // The apps are single bundles: the CLI depends on nothing, the gateway only on its native SQLite driver.
    expect(installed("marginctl").dependencies).toBeUndefined()
    expect(Object.keys(installed("@marginctl/gateway").dependencies)).toEqual(["better-sqlite3"])
  })

  it("runs a Node ESM script that reads and changes both settings against the installed simulator", async () => {
    const sim = await startSim()
    const r = consumer.npx("node", ["use-core.mjs", sim.url, sim.apiKey, sim.secret])
    expect(JSON.parse(r.stdout)).toEqual({
      before: { multiAssets: false, marginTypes: [{ symbol: "ETHUSDT", marginType: "CROSSED" }] },
      isolate: "changed",
      again: "unchanged",
      blocked: "isolated-symbols",
      cross: "changed",
      on: "changed",
      after: { multiAssets: true, marginTypes: [{ symbol: "ETHUSDT", marginType: "CROSSED" }] }
    })
    // The exchange's own record, apart from the client.
    const account = await fetch(`${sim.url}/_sim/accounts/demo`, { headers: { authorization: `Bearer ${sim.admin}` } }).then((r) => r.json())
    expect(account.multiAssetsMargin).toBe(true)
  })

  it("type-checks a consumer under moduleResolution node16 and bundler", () => {
    for (const config of ["tsconfig.node16.json", "tsconfig.bundler.json"]) consumer.npx("tsc", ["-p", config])
  })

  it("bundles the core and the simulator's engine for a browser with no Node built-in", () => {
    const r = consumer.npx("esbuild", ["browser.ts", "--bundle", "--platform=browser", "--format=esm", "--minify", "--outfile=browser.js", "--metafile=meta.json"])
    expect(r.stderr).not.toMatch(/error/i)
    const inputs = Object.keys(JSON.parse(readFileSync(path.join(consumer.dir, "meta.json"), "utf8")).inputs)
    expect(inputs.some((i) => i.includes("node_modules/@marginctl/core/dist/"))).toBe(true)
    expect(inputs.some((i) => i.includes("node_modules/@marginctl/simulator/dist/"))).toBe(true)
    expect(inputs.filter((i) => /^node:|node_modules\/(undici|ws)\//.test(i))).toEqual([])
  })

  it("runs `npx marginctl`: --version, --help and a read against the simulator", async () => {
    expect(consumer.npx("marginctl", ["--version"]).stdout.trim()).toBe(manifestOf("apps/cli").version)
    expect(consumer.npx("marginctl", ["--help"]).stdout).toMatch(/multi-assets/)
    const sim = await startSim()
    const r = consumer.npx("marginctl", ["multi-assets", "get", "--base-url", sim.url, "--json"], {
      env: { BINANCE_API_KEY: sim.apiKey, BINANCE_API_SECRET: sim.secret }
    })
    expect(JSON.parse(r.stdout)).toEqual({ multiAssetsMargin: false })
  })

  it("runs `npx marginctl-gateway --demo`, which answers a read with its printed token", async () => {
    const gateway = await serve("npx", ["--no-install", "marginctl-gateway", "--demo"], {
      cwd: consumer.dir,
      env: { ...consumer.env, MARGINCTL_GATEWAY_PORT: "0", MARGINCTL_GATEWAY_DEMO_SIM_PORT: "0" },
      ready: /^token: \S+$/m
    })
    servers.push(gateway)
    const out = gateway.output()
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!
    const token = /^token: (\S+)$/m.exec(out)![1]!
    const res = await fetch(`${url}/v1/accounts/demo/multi-assets`, { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ multiAssetsMargin: false })
    expect((await fetch(`${url}/v1/accounts/demo/multi-assets`)).status).toBe(401)
    // The banner's CLI examples are the installed bin's, not the repository's paths.
    expect(out).toContain("npx marginctl multi-assets get")
  })

  describe("the packages' READMEs", () => {
    const blocks = Readme.blocks()

    it("type-check every TypeScript block against the installed packages", () => {
      const ts = blocks.filter((b) => b.lang === "ts")
      expect(ts.length).toBeGreaterThanOrEqual(8)
      for (const b of ts) writeFileSync(path.join(consumer.dir, b.file), b.code)
      writeFileSync(path.join(consumer.dir, "tsconfig.readme.json"), JSON.stringify({
        extends: "./tsconfig.bundler.json",
        compilerOptions: { types: ["node"], noUnusedLocals: false },
        files: ts.map((b) => b.file)
      }))
      consumer.npx("tsc", ["-p", "tsconfig.readme.json"])
    })

    it("run the blocks marked `ts run` against the installed simulator", async () => {
      const runnable = blocks.filter((b) => b.lang === "ts" && b.run)
      expect(runnable.length).toBeGreaterThan(0)
      const sim = await startSim()
      const settings = await fetch(`${sim.url}/_sim/accounts/demo/settings`, {
        method: "PUT",
        headers: { authorization: `Bearer ${sim.admin}`, "content-type": "application/json" },
        body: JSON.stringify({ marginTypes: { BTCUSDT: "ISOLATED" } })
      })
      expect(settings.status).toBe(200)
      for (const b of runnable) {
        writeFileSync(path.join(consumer.dir, b.file), b.code)
        consumer.npx("esbuild", [b.file, "--bundle", "--platform=node", "--format=esm", "--packages=external", `--outfile=${b.file}.mjs`])
        const r = consumer.npx("node", [`${b.file}.mjs`], {
          env: { MARGINCTL_TARGET: sim.url, BINANCE_API_KEY: sim.apiKey, BINANCE_API_SECRET: sim.secret }
        })
        expect(r.stdout, `${b.readme}:${b.line}`).toMatch(/Multi-Assets Mode off; isolated: BTCUSDT/)
      }
    })

    it("run every shell command of the libraries' READMEs (installs, and the simulator's bin until it listens)", async () => {
      const commands = blocks
        .filter((b) => b.lang === "sh" && b.readme.startsWith("packages/"))
        .flatMap((b) => b.code.split("\n").map((l) => ({ at: `${b.readme}:${b.line}`, line: l.replace(/#.*$/, "").trim() })))
        .filter((c) => c.line !== "")
      expect(commands.length).toBeGreaterThanOrEqual(4)
      for (const { at, line } of commands) {
        const [cmd, ...args] = line.split(/\s+/)
        if (cmd === "npm") {
          expect(args[0], at).toBe("install")
          consumer.exec("npm", [...args, "--no-save"], { timeoutMs: 300_000 })
        } else {
          expect(cmd, at).toBe("npx")
          // A fixed port could be taken on this machine: any free one proves the same.
          const server = await serve("npx", args.map((a) => (a === "8080" ? "0" : a)), { cwd: consumer.dir, env: consumer.env, ready: /listening on http/ })
          await server.stop()
        }
      }
    })

    it("parse every JSON block", () => {
      const json = blocks.filter((b) => b.lang === "json" || b.lang === "jsonc")
      expect(json.length).toBeGreaterThan(0)
      for (const b of json) {
        const errors: Array<Jsonc.ParseError> = []
        Jsonc.parse(b.code, errors, { allowTrailingComma: false, disallowComments: b.lang === "json" })
        expect(errors.map((e) => `${Jsonc.printParseErrorCode(e.error)} at ${e.offset}`), `${b.readme}:${b.line}`).toEqual([])
      }
    })
  })
})
