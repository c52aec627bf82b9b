/**
 * The gateway backend: the team's marginctl gateway holds the keys; the extension holds only a bearer
 * token. The client is derived from the gateway's HttpApi contract (`@marginctl/gateway-api`) over
 * `fetch`. An apply is a gateway job, followed by polling it until its `Done` event.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Explain from "@marginctl/core/Explain"
import type { ProgressEvent } from "@marginctl/core/Planner"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type { GatewayAccount } from "./Accounts.js"
import type { BackendShape } from "./Backend.js"
import { hostOf } from "./Hosts.js"
import type { ApplyStarted, SymbolRow } from "./Messages.js"
import { UserError } from "./UserErrors.js"
import { explain } from "./Vocabulary.js"

const POLL_MS = 250

interface Tagged {
  readonly _tag: string
}

/** Gateway answers and transport failures in plain words. */
export const fromGateway = (e: Tagged, host: string, account: string): UserError => {
  const m = e as Tagged & Record<string, unknown>
  const message = typeof m.message === "string" ? m.message : ""
  const code = typeof m.code === "number" ? { code: m.code } : {}
  switch (e._tag) {
    case "Unauthenticated":
      return new UserError({
        kind: "auth",
        title: "The gateway did not accept the token",
        detail: `${host} answered 401.`,
        fix: "Check the token of this account in the options page."
      })
    case "Forbidden":
      return new UserError({
        kind: "auth",
        title: m.reason === "scope" ? "The token may not do this" : `The token may not use account ${account}`,
        detail: message,
        fix: m.reason === "scope"
          ? "Ask for a token with the write scope to change settings."
          : "Ask the gateway's operator to add this account to the token."
      })
    case "NotFound":
      return new UserError({
        kind: "setup",
        title: m.resource === "account" ? `The gateway has no account ${account}` : "Not found on the gateway",
        detail: message,
        fix: m.resource === "account" ? "Check the gateway account name in the options page." : undefined
      })
    case "BlockedByRule":
    {
      const detail = {
        reason: typeof m.reason === "string" ? m.reason : undefined,
        symbol: typeof m.symbol === "string" ? m.symbol : undefined
      }
      return new UserError(explain(
        typeof m.code === "number" ? Explain.ofCode(m.code, detail) : { _tag: "AccountRejected", ...detail, msg: message }
      ))
    }
    case "RateLimited":
      return new UserError(explain({
        _tag: m.source === "banned" ? "IpBanned" : "RateLimited",
        source: typeof m.source === "string" ? m.source : undefined,
        retryAfterSeconds: typeof m.retryAfterSeconds === "number" ? m.retryAfterSeconds : null,
        msg: message
      }))
    case "UpstreamError":
      return new UserError(explain({ _tag: typeof m.tag === "string" ? m.tag : "BinanceRejected", ...code, msg: message }))
    case "OutcomeUnknown":
      return new UserError(explain({ _tag: "ExecutionUnknown", ...code, msg: message }))
    case "InvalidRequest":
      return new UserError({ kind: "input", title: "The gateway refused the request", detail: message })
    case "RequestError":
      return new UserError({
        kind: "network",
        title: `Could not reach the gateway at ${host}`,
        detail: "The connection failed.",
        fix: "Check that the gateway is running and the URL in the options page."
      })
    default:
      return new UserError({
        kind: "network",
        title: `The gateway at ${host} sent an unexpected answer`,
        detail: e._tag === "ResponseError" && typeof (m.response as { status?: unknown } | undefined)?.status === "number"
          ? `HTTP ${(m.response as { status: number }).status}.`
          : "The answer does not match the gateway's contract.",
        fix: "Check the gateway URL in the options page, and that the gateway is up to date."
      })
  }
}

export const make = (account: GatewayAccount, token: Redacted.Redacted<string>): Effect.Effect<BackendShape> =>
  Effect.gen(function*() {
    const host = hostOf(account.gatewayUrl)
    const name = account.gatewayAccount
    const path = { account: name }
    const client = yield* HttpApiClient.make(GatewayApi, {
      baseUrl: account.gatewayUrl,
      transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(token))
    }).pipe(Effect.provide(FetchHttpClient.layer))
    const plain = <A, E extends Tagged>(effect: Effect.Effect<A, E>): Effect.Effect<A, UserError> =>
      Effect.mapError(effect, (e) => fromGateway(e, host, name))

    const overview = Effect.gen(function*() {
      const [status, types] = yield* Effect.all([
        plain(client.accounts.status({ path })),
        plain(client.marginTypes.list({ path, urlParams: {} }))
      ], { concurrency: 2 })
      const orders = new Map(status.openOrders.map((o) => [o.symbol as string, o.count]))
      const positions = new Map(status.positions.map((p) => [p.symbol as string, p.positionAmt]))
      const symbols = types.marginTypes.map((t): SymbolRow => ({
        symbol: t.symbol,
        marginType: t.marginType,
        openOrders: orders.get(t.symbol) ?? 0,
        positionAmt: positions.get(t.symbol) ?? 0
      }))
      return { multiAssets: status.multiAssetsMargin, symbols, readWeight: status.readWeight }
    })

    const apply: BackendShape["apply"] = (_plan, desired) =>
      Stream.unwrap(Effect.gen(function*() {
        const created = yield* plain(client.jobs.apply({ path, payload: { desired } }))
        const id = created.jobId
        const started: ApplyStarted = { _tag: "ApplyStarted", plan: created.plan }
        const progress = Stream.paginateChunkEffect({ seen: 0, first: true }, ({ first, seen }) =>
          plain(client.jobs.get({ path: { id } })).pipe(
            Effect.delay(first ? 0 : POLL_MS),
            Effect.flatMap((job) => {
              const fresh = job.events.filter((e) => e.seq > seen)
              const events: Array<ProgressEvent> = fresh.map((e) => e.event)
              const done = events.some((e) => e._tag === "Done")
              if (!done && job.state === "interrupted") {
                return Effect.fail(
                  new UserError({
                    kind: "unknown-outcome",
                    title: "The gateway stopped the job before it finished",
                    detail: `Job ${id} was interrupted.`,
                    fix: "Reopen the popup to read the account's current state before trying again."
                  })
                )
              }
              const last = fresh.reduce((n, e) => Math.max(n, e.seq), seen)
              return Effect.succeed([Chunk.fromIterable(events), done ? Option.none() : Option.some({ seen: last, first: false })] as const)
            })
          ))
        return Stream.concat(Stream.succeed(started), progress)
      }))

    return {
      getMode: Effect.map(plain(client.multiAssets.get({ path })), (s) => s.multiAssetsMargin),
      overview,
      plan: (desired) => Effect.map(plain(client.jobs.plan({ path, payload: { desired } })), (r) => r.plan),
      apply
    } satisfies BackendShape
  })
