/**
 * The gateway backend: the team's marginctl gateway holds the keys; the extension holds only a bearer
 * token. The client is derived from the gateway's HttpApi contract (`@marginctl/gateway-api`) over
 * `fetch`; its typed errors are worded by `GatewayErrors`. An apply is a gateway job, followed through
 * the job's event stream (`GatewayJobEvents`) until its `Done` event; the account's setting changes
 * come from its events stream (`GatewayAccountEvents`).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Catalog from "@marginctl/core/Catalog"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import * as Effect from "effect/Effect"
import { flow } from "effect/Function"
import type * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type { GatewayAccount } from "./Accounts.js"
import type { BackendShape } from "./Backend.js"
import * as GatewayAccountEvents from "./GatewayAccountEvents.js"
import { worded } from "./GatewayErrors.js"
import * as GatewayJobEvents from "./GatewayJobEvents.js"
import { isRouteMissing, routeAware } from "./GatewayRoutes.js"
import { hostOf } from "./Hosts.js"
import type { ApplyStarted, DriftSummary, Overview } from "./Messages.js"
import type { UserError } from "./UserErrors.js"
import { planBlockers } from "./Vocabulary.js"

export const make = (account: GatewayAccount, token: Redacted.Redacted<string>): Effect.Effect<BackendShape> =>
  Effect.gen(function*() {
    const path = { account: account.gatewayAccount }
    const plain = worded(hostOf(account.gatewayUrl), account.gatewayAccount)
    const http = HttpClient.mapRequest(
      yield* HttpClient.HttpClient,
      flow(HttpClientRequest.prependUrl(account.gatewayUrl), HttpClientRequest.bearerToken(token))
    )
    const client = yield* HttpApiClient.makeWith(GatewayApi, { httpClient: http })
    const desired = yield* HttpApiClient.group(GatewayApi, { group: "desired", httpClient: routeAware(http) })

    // The settings alone, as the direct backend reads them: the mode (accountConfig upstream) and the
    // margin types (symbolConfig), both cached by the gateway. The account's status would read its
    // orders, positions and balances too (weight 96); the plan reads those, on the gateway.
    const overview = Effect.map(
      plain(Effect.all([client.multiAssets.get({ path }), client.marginTypes.list({ path, urlParams: {} })], { concurrency: 2 })),
      ([mode, types]): Overview => ({
        multiAssets: mode.multiAssetsMargin,
        hedgeMode: null,
        symbols: types.marginTypes,
        readWeight: Catalog.accountConfig.weight({}) + Catalog.symbolConfig.weight({})
      })
    )

    // The gateway plans again from a fresh read: the plan it runs is the one shown while applying.
    const apply: BackendShape["apply"] = (_plan, desired) =>
      Stream.unwrap(Effect.map(plain(client.jobs.apply({ path, payload: { desired } })), (created) =>
        Stream.concat(
          Stream.succeed<ApplyStarted>({ _tag: "ApplyStarted", plan: created.plan }),
          GatewayJobEvents.follow(http, created.jobId, created.links.events).pipe(Stream.catchAll((e) => Stream.fromEffect(plain(Effect.fail(e)))))
        )))

    // The gateway's drift without its plan: the step titles and the blockers worded here (as for a
    // plan: the popup does not carry the core's words). A gateway without the endpoint keeps no
    // desired state: nothing to show, not an error.
    const drift: Effect.Effect<DriftSummary | null, UserError> = plain(
      desired.drift({ path }).pipe(
        Effect.map((d): DriftSummary => ({
          status: d.status,
          steps: d.plan?.steps.map((s) => s.title) ?? [],
          blockers: d.plan === null ? [] : planBlockers(d.plan),
          lines: d.lines,
          detail: d.detail
        })),
        Effect.catchIf(isRouteMissing, () => Effect.succeed<DriftSummary | null>(null))
      )
    )

    return {
      getMode: Effect.map(plain(client.multiAssets.get({ path })), (s) => s.multiAssetsMargin),
      overview,
      drift,
      plan: (desired) => Effect.map(plain(client.jobs.plan({ path, payload: { desired } })), (r) => r.plan),
      apply,
      live: GatewayAccountEvents.follow(http, account.gatewayAccount, plain)
    } satisfies BackendShape
  }).pipe(Effect.provide(FetchHttpClient.layer))
