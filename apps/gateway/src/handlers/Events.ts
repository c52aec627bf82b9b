/**
 * `GET /v1/accounts/{account}/events`: the account's setting changes as Server-Sent Events, for any
 * token with the read scope: `event: state` first and whenever the mode changes, `event: change` for
 * every change, a comment every 15 s.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import { Accounts } from "../Accounts.js"
import { type Frame, LiveSettings } from "../LiveSettings.js"
import { makeAccess } from "./Auth.js"

const text = (f: Frame) => `event: ${f._tag}\ndata: ${JSON.stringify(f._tag === "state" ? f.state : f.change)}\n\n`

export const layer = HttpApiBuilder.group(GatewayApi, "events", (handlers) =>
  Effect.gen(function*() {
    const accounts = yield* Accounts
    const live = yield* LiveSettings
    const access = makeAccess(accounts)
    return handlers.handle("account", ({ path }) =>
      Effect.map(access("read", path.account), (account) =>
        HttpServerResponse.stream(
          live.frames(account.name).pipe(
            Stream.map(text),
            Stream.merge(Stream.tick("15 seconds").pipe(Stream.drop(1), Stream.as(": ping\n\n"))),
            Stream.encodeText
          ),
          { contentType: "text/event-stream", headers: { "cache-control": "no-cache", "x-accel-buffering": "no" } }
        )))
  }))
