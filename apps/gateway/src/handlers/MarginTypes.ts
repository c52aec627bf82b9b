import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as Effect from "effect/Effect"
import { Caller } from "@marginctl/gateway-api/Auth"
import { NotFound } from "@marginctl/gateway-api/Errors"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import { Accounts, type AccountRuntime } from "../Accounts.js"
import { Changes } from "../AuditedChanges.js"
import { type Cached, keys, ReadCache } from "../ReadCache.js"
import * as Policy from "../Policy.js"
import { makeAccess } from "./Auth.js"
import { upstream, upstreamRead } from "./UpstreamErrors.js"

/** The answer of `list` from a cached read of all symbols, or of some (the hot path answers with it too). */
export const answer = <A>(account: string, read: Cached<ReadonlyArray<A>>, entries = read.value) =>
  ({ account, marginTypes: entries, ageMs: read.ageMs })

export const layer = HttpApiBuilder.group(GatewayApi, "marginTypes", (handlers) =>
  Effect.gen(function*() {
    const accounts = yield* Accounts
    const cache = yield* ReadCache
    const changes = yield* Changes
    const access = makeAccess(accounts)
    // One symbolConfig read (weight 5) lists every symbol; selections are answered from it.
    const all = (account: AccountRuntime) =>
      cache.get(keys.marginTypes(account.name), account.client.getMarginTypes()).pipe(upstreamRead(account.name))
    const unknown = (account: string, symbol: string) =>
      new NotFound({ resource: "symbol", name: symbol, message: `${account} has no symbol ${symbol}` })

    return handlers
      .handle("list", ({ path, urlParams }) =>
        Effect.gen(function*() {
          const account = yield* access("read", path.account)
          const read = yield* all(account)
          if (urlParams.symbols === undefined) return answer(account.name, read)
          const bySymbol = new Map(read.value.map((e) => [e.symbol as string, e]))
          const missing = urlParams.symbols.find((s) => !bySymbol.has(s))
          if (missing !== undefined) return yield* unknown(account.name, missing)
          return answer(account.name, read, urlParams.symbols.map((s) => bySymbol.get(s)!))
        }))
      .handle("set", ({ path, payload }) =>
        Effect.gen(function*() {
          const account = yield* access("write", path.account)
          const caller = yield* Caller
          yield* Policy.check(account.policy, { marginTypes: { symbols: [{ symbol: path.symbol, marginType: payload.marginType }] } })
          const current = (yield* all(account)).value.find((e) => e.symbol === path.symbol)
          if (current === undefined) return yield* unknown(account.name, path.symbol)
          const applied = yield* changes.setMarginType(
            account,
            path.symbol,
            payload.marginType,
            { token: caller.name, jobId: null },
            current.marginType
          ).pipe(upstream(account.name))
          return { account: account.name, symbol: path.symbol, marginType: payload.marginType, ...applied }
        }), { uninterruptible: true })
  }))
