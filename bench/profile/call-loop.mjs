// The loop that profile-call.mjs runs under `node --cpu-prof`: the core's MarginClient (built from
// packages/core/dist, so that the profile names each package's own files) over its Node entry point
// (undici, node:crypto), one call in flight, N Multi-Assets reads then N margin-type writes against
// the simulator at URL.
//
//   node --cpu-prof bench/profile/call-loop.mjs URL API_KEY SECRET [N]
import { Layer, ManagedRuntime } from "effect"
import { Client, MarginClient } from "../../packages/core/dist/index.js"
import { NodeClient } from "../../packages/core/dist/node/index.js"

const [url, apiKey, secret, n = "3000"] = process.argv.slice(2)
const runtime = ManagedRuntime.make(
  Client.layer({ target: url, apiKey, secret, budget: { limit: 1_000_000 } }).pipe(Layer.provide(NodeClient.layer))
)
const client = await runtime.runPromise(MarginClient.MarginClient)
for (let i = 0; i < 200; i++) await runtime.runPromise(client.getMultiAssetsMode()) // warm-up
for (let i = 0; i < Number(n); i++) await runtime.runPromise(client.getMultiAssetsMode())
for (let i = 0; i < Number(n); i++) await runtime.runPromise(client.setMarginType("BTCUSDT", i % 2 === 0 ? "ISOLATED" : "CROSSED"))
await runtime.dispose()
