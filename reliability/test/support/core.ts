/**
 * The core's MarginClient over FetchHttpClient (a real socket) to a simulator server, with its own
 * in-memory weight budget and server clock, as a library user builds it.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as BinanceConfig from "../../../packages/core/src/BinanceConfig.js"
import { MarginClient } from "../../../packages/core/src/MarginClient.js"
import * as Signer from "../../../packages/core/src/Signer.js"
import * as WeightBudget from "../../../packages/core/src/WeightBudget.js"
import { API_KEYS, capture, ED25519, HMAC_SECRET, type KeyKind, RSA } from "./env.js"

const credentials = (kind: KeyKind): Signer.Credentials =>
  kind === "HMAC"
    ? Signer.hmac(Redacted.make(HMAC_SECRET))
    : Signer.privateKey(Redacted.make((kind === "RSA" ? RSA : ED25519).privatePem))

export interface CoreClient {
  /** Runs `f` with the client; a failure comes back as Left (its tagged error), and is captured. */
  readonly run: <A, E>(f: (c: MarginClient) => Effect.Effect<A, E>) => Promise<Either.Either<A, E>>
  readonly close: () => Promise<void>
}

export const coreClient = (
  baseUrl: string,
  kind: KeyKind,
  options: Partial<BinanceConfig.Options> = {}
): CoreClient => {
  const layer = MarginClient.Default.pipe(
    Layer.provide(Layer.mergeAll(
      BinanceConfig.layer({ baseUrl, apiKey: Redacted.make(API_KEYS[kind]), ...options }),
      Signer.layer(credentials(kind)),
      WeightBudget.layerMemory(),
      FetchHttpClient.layer
    )),
    Layer.orDie
  )
  const runtime = ManagedRuntime.make(layer)
  return {
    run: async (f) => {
      const result = await runtime.runPromise(Effect.either(Effect.flatMap(MarginClient, f)))
      if (Either.isLeft(result)) {
        const e = result.left as unknown
        capture("core errors", `${String(e)}\n${JSON.stringify(e)}\n${(e as { message?: string }).message ?? ""}`)
      } else {
        capture("core results", JSON.stringify(result.right))
      }
      return result
    },
    close: () => runtime.dispose()
  }
}
