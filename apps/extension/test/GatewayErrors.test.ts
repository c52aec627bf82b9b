/** The gateway's typed errors (as the contract's client decodes them) in the extension's words. */
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import {
  BlockedByRule,
  Forbidden,
  InvalidRequest,
  NotFound,
  OutcomeUnknown,
  RateLimited,
  StoreUnavailable,
  Unauthenticated
} from "@marginctl/gateway-api/Errors"
import * as Effect from "effect/Effect"
import { type GatewayFailure, JobInterrupted, JobProgressLost, worded } from "../src/GatewayErrors.js"

describe("GatewayErrors", () => {
  it("words the gateway's typed errors", () => {
    const word = (e: GatewayFailure) => Effect.runSync(Effect.flip(worded("gw:8080", "main")(Effect.fail(e))))
    assert.include(word(new Unauthenticated({ message: "unknown token" })), {
      kind: "auth",
      title: "The gateway did not accept the token",
      detail: "gw:8080 answered 401."
    })
    assert.include(word(new Forbidden({ reason: "scope", message: "needs write" })), { kind: "auth", title: "The token may not do this" })
    assert.include(word(new Forbidden({ reason: "account", message: "not yours" })), { title: "The token may not use account main" })
    assert.include(word(new NotFound({ resource: "account", name: "main", message: "no account main" })), {
      kind: "setup",
      title: "The gateway has no account main"
    })
    assert.include(word(new InvalidRequest({ field: "body.desired", message: "expected a desired state" })), {
      kind: "input",
      detail: "body.desired: expected a desired state"
    })
    assert.include(word(new StoreUnavailable({ retryAfterSeconds: 5, message: "store down" })), {
      kind: "network",
      fix: "Try again in 5 seconds."
    })
    const blocked = word(new BlockedByRule({ code: -4047, reason: "open-orders", symbol: "ETHUSDT", message: "m", fix: "cancel (DELETE …)" }))
    assert.include(blocked, { kind: "blocked", code: -4047, title: "Binance refused to change ETHUSDT" })
    // In the popup's own words, not the gateway's.
    assert.include(blocked.fix, "ETHUSDT has open orders")
    assert.notInclude(blocked.fix, "DELETE")
    assert.include(word(new RateLimited({ source: "banned", retryAfterSeconds: 30, message: "m" })), {
      kind: "limit",
      title: "Binance has blocked this IP address for a while"
    })
    assert.include(word(new OutcomeUnknown({ code: null, message: "lost" })), { kind: "unknown-outcome" })
    assert.include(word(new JobInterrupted({ jobId: "job_1" })), { kind: "unknown-outcome", detail: "Job job_1 was interrupted." })
    assert.include(word(new JobProgressLost({ jobId: "job_1" })), { kind: "unknown-outcome" })
    const request = HttpClientRequest.get("http://gw:8080/v1/accounts/main/status")
    assert.include(word(new HttpClientError.RequestError({ request, reason: "Transport" })), {
      kind: "network",
      title: "Could not reach the gateway at gw:8080"
    })
    const response = HttpClientResponse.fromWeb(request, new Response("<html>", { status: 502 }))
    assert.include(word(new HttpClientError.ResponseError({ request, response, reason: "StatusCode" })), {
      title: "The gateway at gw:8080 sent an unexpected answer",
      detail: "HTTP 502."
    })
  })
})
