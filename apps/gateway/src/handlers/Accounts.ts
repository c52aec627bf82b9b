import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { describeOffset } from "@marginctl/core/ServerClock"
import { Caller, mayAccess } from "@marginctl/gateway-api/Auth"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import { Accounts } from "../Accounts.js"
import { keys, ReadCache } from "../ReadCache.js"
import { makeAccess } from "./Auth.js"
import { upstreamRead } from "./UpstreamErrors.js"

export const layer = HttpApiBuilder.group(GatewayApi, "accounts", (handlers) =>
  Effect.gen(function*() {
    const accounts = yield* Accounts
    const cache = yield* ReadCache
    const access = makeAccess(accounts)
    return handlers
      .handle("list", () =>
        Effect.map(Caller, (caller) => ({
          accounts: accounts.list
            .filter((a) => mayAccess(caller, a.name))
            .map((a) => ({ name: a.name, upstream: a.upstream, keyType: a.keyType }))
        })))
      .handle("status", ({ path }) =>
        Effect.gen(function*() {
          const account = yield* access("read", path.account)
          const { ageMs, value: s } = yield* cache.get(keys.snapshot(account.name), account.client.getAccountSnapshot).pipe(
            upstreamRead(account.name)
          )
          const budget = yield* account.budget.status
          const offset = yield* account.clock.offset
          return {
            account: account.name,
            multiAssetsMargin: s.multiAssetsMargin,
            dualSidePosition: s.dualSidePosition,
            creditsMode: s.creditsMode,
            symbolCount: s.symbols.length,
            isolated: s.symbols.filter((x) => x.marginType === "ISOLATED").map((x) => x.symbol),
            openOrders: s.symbols.filter((x) => x.openOrders > 0).map((x) => ({ symbol: x.symbol, count: x.openOrders })),
            positions: s.symbols.filter((x) => x.positionAmt !== 0)
              .map((x) => ({ symbol: x.symbol, positionAmt: x.positionAmt, marginType: x.marginType })),
            balances: s.balances,
            readWeight: s.readWeight,
            ageMs,
            budget,
            clock: Option.getOrNull(Option.map(offset, (o) => ({ offsetMs: o.offsetMs, rttMs: o.rttMs, text: describeOffset(o.offsetMs).text })))
          }
        }))
  }))
