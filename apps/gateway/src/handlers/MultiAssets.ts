import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as Effect from "effect/Effect"
import { Caller } from "@marginctl/gateway-api/Auth"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import { Accounts } from "../Accounts.js"
import { Changes } from "../AuditedChanges.js"
import { type Cached, keys, ReadCache } from "../ReadCache.js"
import * as Policy from "../Policy.js"
import { makeAccess } from "./Auth.js"
import { upstream, upstreamRead } from "./UpstreamErrors.js"

/** The answer of `get` from a cached read (the hot path answers with it too). */
export const answer = (account: string, read: Cached<boolean>) => ({ account, multiAssetsMargin: read.value, ageMs: read.ageMs })

export const layer = HttpApiBuilder.group(GatewayApi, "multiAssets", (handlers) =>
  Effect.gen(function*() {
    const accounts = yield* Accounts
    const cache = yield* ReadCache
    const changes = yield* Changes
    const access = makeAccess(accounts)
    return handlers
      .handle("get", ({ path }) =>
        Effect.flatMap(access("read", path.account), (account) =>
          cache.get(keys.multiAssets(account.name), account.client.getMultiAssetsMode()).pipe(
            upstreamRead(account.name),
            Effect.map((r) => answer(account.name, r))
          )))
      .handle("set", ({ path, payload }) =>
        Effect.gen(function*() {
          const account = yield* access("write", path.account)
          const caller = yield* Caller
          const on = payload.multiAssetsMargin
          yield* Policy.check(account.policy, { multiAssets: on })
          const before = yield* cache.get(keys.multiAssets(account.name), account.client.getMultiAssetsMode()).pipe(
            upstreamRead(account.name)
          )
          const applied = yield* changes.setMultiAssets(account, on, { token: caller.name, jobId: null }, before.value).pipe(
            upstream(account.name)
          )
          return { account: account.name, multiAssetsMargin: on, ...applied }
        }), { uninterruptible: true })
  }))
