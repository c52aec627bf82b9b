/**
 * `marginctl-sim`: runs the simulator server until SIGINT/SIGTERM.
 *
 *   node dist/main.js [--port N] [--host 127.0.0.1] [--seed FILE] [--admin-token TOKEN]
 */
import { startServer } from "./Server.js"

const USAGE = `usage: marginctl-sim [--port N] [--host HOST] [--seed FILE] [--admin-token TOKEN]
  --port N             port to listen on (0 = any free port; default 0)
  --host HOST          address to bind (default 127.0.0.1)
  --seed FILE          seed file (JSON): accounts, keys, state, config (see README)
  --admin-token TOKEN  bearer token of the /_sim control API (default: generated and printed)`

interface Args {
  port: number
  host: string
  seed: string | undefined
  adminToken: string | undefined
}

const parseArgs = (argv: ReadonlyArray<string>): Args => {
  const args: Args = { port: 0, host: "127.0.0.1", seed: undefined, adminToken: undefined }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined]
    const value = (): string => {
      const v = inline ?? argv[++i]
      if (v === undefined || v === "") throw new Error(`${flag} needs a value`)
      return v
    }
    switch (flag) {
      case "--port": {
        const v = value()
        const port = Number(v)
        if (!/^\d+$/.test(v) || port > 65535) throw new Error(`--port must be a number from 0 to 65535; got ${v}`)
        args.port = port
        break
      }
      case "--host":
        args.host = value()
        break
      case "--seed":
        args.seed = value()
        break
      case "--admin-token":
        args.adminToken = value()
        break
      case "--help":
      case "-h":
        process.stdout.write(`${USAGE}\n`)
        process.exit(0)
        break
      default:
        throw new Error(`unknown option ${arg}`)
    }
  }
  return args
}

const main = async () => {
  let args: Args
  try {
    args = parseArgs(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`)
    process.exit(2)
  }
  const server = await startServer({ port: args.port, host: args.host, seedFile: args.seed, adminToken: args.adminToken })
  const lines = [`simulator listening on ${server.url}`]
  lines.push(args.adminToken === undefined ? `admin token: ${server.adminToken}` : "admin token: (from --admin-token)")
  if (server.demo !== undefined) {
    lines.push(`demo account: ${server.demo.account}`)
    lines.push(`demo api key: ${server.demo.apiKey}`)
    lines.push(`demo secret:  ${server.demo.secret} (HMAC)`)
  } else if (args.seed !== undefined) {
    lines.push(`accounts from ${args.seed}`)
  }
  process.stdout.write(`${lines.join("\n")}\n`)
  const stop = () => {
    server.close().then(() => process.exit(0))
    setTimeout(() => process.exit(0), 2000).unref()
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
}

main().catch((e) => {
  process.stderr.write(`marginctl-sim: ${(e as Error).message}\n`)
  process.exit(1)
})
