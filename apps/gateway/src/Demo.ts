/**
 * `--demo`: starts the simulator in this process on 127.0.0.1 (port 7357 by default, another free
 * port if that one is taken), seeded with a demo account, and configures the gateway in front of it
 * with a fresh token (or MARGINCTL_GATEWAY_DEMO_TOKEN). The keys reach the gateway the same way as
 * in production: through environment-variable names in the config (here an in-memory environment).
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as SimServer from "@marginctl/simulator/Server"
import * as Config from "./Config.js"
import { type ConfigError } from "./ConfigError.js"
import * as ConfigFile from "./ConfigFile.js"
import * as Tokens from "./Tokens.js"

export interface Demo {
  readonly config: Config.GatewayConfigShape
  readonly token: string
  readonly sim: SimServer.RunningServer
  readonly apiKey: string
  readonly apiSecret: string
}

const startSim = (port: number, seed: unknown): Effect.Effect<SimServer.RunningServer, Error, Scope.Scope> =>
  SimServer.scoped({ port, host: "127.0.0.1", seed }).pipe(
    Effect.catchAll((e) =>
      (e as { code?: string }).code === "EADDRINUSE" || /EADDRINUSE/.test(e.message)
        ? SimServer.scoped({ port: 0, host: "127.0.0.1", seed })
        : Effect.fail(e)
    )
  )

export const start = (): Effect.Effect<Demo, Error | ConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = Config.demoSettings()
    const apiKey = `demo${crypto.randomBytes(30).toString("hex")}`
    const apiSecret = crypto.randomBytes(32).toString("hex")
    const sim = yield* startSim(settings.simPort, {
      accounts: [{
        name: "demo",
        apiKey,
        secret: apiSecret,
        balances: { USDT: 10000, USDC: 5000, BTC: 0.1 },
        marginTypes: { ETHUSDT: "ISOLATED" },
        orders: [{ symbol: "SOLUSDT", side: "BUY", type: "LIMIT", price: 100, quantity: 1 }]
      }]
    })
    const token = settings.token ?? Tokens.newToken()
    const file = yield* ConfigFile.decodeFile({
      dataDir: ".marginctl/gateway-demo",
      tokens: [{ name: "demo", sha256: Tokens.hashToken(token), scopes: ["read", "write"], accounts: ["*"] }],
      accounts: [{ name: "demo", baseUrl: sim.url, apiKeyEnv: "MARGINCTL_DEMO_API_KEY", apiSecretEnv: "MARGINCTL_DEMO_API_SECRET" }]
    })
    const env = { ...Config.processEnv(), MARGINCTL_DEMO_API_KEY: apiKey, MARGINCTL_DEMO_API_SECRET: apiSecret }
    const config = yield* Config.resolve(file, env, process.cwd())
    return { config, token, sim, apiKey, apiSecret }
  })

/**
 * The CLI as the user has it: the repository's build when this gateway runs from a clone (apps/gateway
 * beside apps/cli, as under `pnpm start`), the installed bin otherwise.
 */
const cliCommand = (): string =>
  fs.existsSync(new URL("../../cli/dist/marginctl.js", import.meta.url)) ? "node apps/cli/dist/marginctl.js" : "npx marginctl"

/** What `pnpm start` and `marginctl-gateway --demo` print once the gateway listens. */
export const banner = (demo: Demo, url: string): string => {
  const t = demo.token
  const cli = cliCommand()
  const acc = `${url}/v1/accounts/demo`
  return [
    `marginctl gateway (demo) listening on ${url}`,
    `docs: ${url}/docs  (OpenAPI: ${url}/openapi.json)`,
    `simulator: ${demo.sim.url} (account demo: Multi-Assets off, ETHUSDT isolated, one open SOLUSDT order)`,
    `token: ${t}`,
    "",
    "try:",
    `  curl -s -H 'Authorization: Bearer ${t}' ${acc}/multi-assets`,
    `  curl -s -H 'Authorization: Bearer ${t}' '${acc}/margin-types?symbols=BTCUSDT,ETHUSDT'`,
    `  curl -s -X POST -H 'Authorization: Bearer ${t}' -H 'content-type: application/json' -d '{"desired":{"multiAssets":true}}' ${acc}/plan`,
    `  curl -s -X PUT -H 'Authorization: Bearer ${t}' -H 'content-type: application/json' -d '{"marginType":"ISOLATED"}' ${acc}/margin-types/BTCUSDT`,
    `  curl -s -X POST -H 'Authorization: Bearer ${t}' -H 'content-type: application/json' -d '{"desired":{"marginTypes":{"all":"CROSSED"}}}' ${acc}/jobs`,
    `  curl -s -N -H 'Authorization: Bearer ${t}' ${url}/v1/jobs/<jobId>/events`,
    `  curl -s -N -H 'Authorization: Bearer ${t}' ${acc}/events   # setting changes as they happen, whoever makes them`,
    `  curl -s '${url}/metrics'`,
    "",
    "the CLI, straight against the simulator (demo keys, simulator only):",
    `  export BINANCE_API_KEY=${demo.apiKey} BINANCE_API_SECRET=${demo.apiSecret}`,
    `  ${cli} multi-assets get --base-url ${demo.sim.url}`,
    `  ${cli} plan --multi-assets on --base-url ${demo.sim.url}`,
    ""
  ].join("\n")
}
