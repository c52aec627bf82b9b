/// <reference types="node" />
/**
 * What `Client.layer` needs on Node, the fast way: `NodeClient.layer` provides an `HttpClient` over
 * undici (`UndiciHttpClient`, one keep-alive `Agent` closed with the layer), the `TimedHttpClient`
 * that bounds a request with a timer on the request instead of a fiber, and node:crypto signing
 * (`NodeSigner`).
 *
 *   Client.layer({ target: "prod", apiKey, secret }).pipe(Layer.provide(NodeClient.layer))
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Agent, type Dispatcher } from "undici"
import * as TimedHttpClient from "../TimedHttpClient.js"
import * as NodeSigner from "./NodeSigner.js"
import * as UndiciHttpClient from "./UndiciHttpClient.js"

/** The HTTP client and the timed one over one dispatcher. */
export const layerHttp = (dispatcher: Dispatcher): Layer.Layer<HttpClient.HttpClient | TimedHttpClient.TimedHttpClient> =>
  Layer.merge(
    Layer.succeed(HttpClient.HttpClient, UndiciHttpClient.make(dispatcher)),
    Layer.succeed(TimedHttpClient.TimedHttpClient, { withTimeout: (ms) => UndiciHttpClient.make(dispatcher, ms) })
  )

/** undici HTTP (its own `Agent`, destroyed when the layer is released) and node:crypto signing. */
export const layer: Layer.Layer<HttpClient.HttpClient | TimedHttpClient.TimedHttpClient> = Layer.unwrapScoped(
  Effect.map(
    Effect.acquireRelease(Effect.sync(() => new Agent()), (agent) => Effect.promise(() => agent.destroy())),
    (agent) => Layer.merge(layerHttp(agent), NodeSigner.layerMaker)
  )
)
