/**
 * Everything `bin.ts` needs to run the CLI, in one module: the bundle (dist/marginctl-main.cjs) is
 * this module and what it imports. Nothing here runs an effect.
 */
export { runMain } from "@effect/platform-node/NodeRuntime"
export { provide, runPromiseExit } from "effect/Effect"
export { run } from "./Cli.js"
export { MainLive } from "./MainLive.js"
export { handleCliErrors, teardown } from "./Output.js"
