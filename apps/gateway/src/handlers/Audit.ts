import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as Effect from "effect/Effect"
import { Caller, mayAccess } from "@marginctl/gateway-api/Auth"
import { Forbidden } from "@marginctl/gateway-api/Errors"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import { AuditStore } from "../AuditStore.js"
import { requireScope } from "./Auth.js"

export const layer = HttpApiBuilder.group(GatewayApi, "audit", (handlers) =>
  Effect.gen(function*() {
    const audit = yield* AuditStore
    return handlers.handle("list", ({ urlParams: q }) =>
      Effect.gen(function*() {
        yield* requireScope("read")
        const caller = yield* Caller
        if (q.account !== undefined && !mayAccess(caller, q.account)) {
          return yield* new Forbidden({ reason: "account", message: `token ${caller.name} may not read account ${q.account}` })
        }
        return yield* audit.query({
          account: q.account,
          token: q.token,
          outcome: q.outcome,
          origin: q.origin,
          fromMs: q.from?.getTime(),
          toMs: q.to?.getTime(),
          accounts: caller.accounts.includes("*") ? undefined : caller.accounts,
          limit: q.limit ?? 100,
          beforeId: q.cursor === undefined ? undefined : Number(q.cursor)
        })
      }))
  }))
