/**
 * The service worker's composition root: the accounts, the vault and the backends in one
 * ManagedRuntime for this context, the pages' requests (`worker/Requests`), applies
 * (`worker/ApplyPort`) and live changes (`worker/LivePort`) answered from it.
 */
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Backends } from "./Backends.js"
import * as Stores from "./Stores.js"
import * as ApplyPort from "./worker/ApplyPort.js"
import * as LivePort from "./worker/LivePort.js"
import { respond } from "./worker/Requests.js"

const WorkerLive = Backends.DefaultWithoutDependencies.pipe(
  Layer.provideMerge(Stores.layerChrome),
  // Nothing is logged: no message, URL or error can end up in the console.
  Layer.provide(Logger.replace(Logger.defaultLogger, Logger.none))
)

const runtime = ManagedRuntime.make(WorkerLive)

chrome.runtime.onMessage.addListener((message: unknown, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id) return false
  runtime.runPromise(respond(message)).then(sendResponse, () => sendResponse(undefined))
  return true
})

chrome.runtime.onConnect.addListener((port) => {
  ApplyPort.onConnect(port, (apply) => void runtime.runFork(apply))
  LivePort.onConnect(port, (live) => void runtime.runFork(live))
})

// The derived vault key lives in session storage: readable by extension pages and this worker only.
chrome.storage.session.setAccessLevel?.({ accessLevel: "TRUSTED_CONTEXTS" })?.catch(() => undefined)
