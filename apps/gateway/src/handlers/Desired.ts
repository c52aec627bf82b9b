/**
 * Configuration as code: an account's desired state (read, and set with the write scope, checked
 * against its policy) and its drift, one account or every account the token may read.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Planner from "@marginctl/core/Planner"
import { Caller, mayAccess } from "@marginctl/gateway-api/Auth"
import type { AccountDesired } from "@marginctl/gateway-api/Desired"
import { InvalidRequest } from "@marginctl/gateway-api/Errors"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import { Accounts, type AccountRuntime } from "../Accounts.js"
import { DesiredStore, type DesiredRow } from "../DesiredStore.js"
import { DriftCheck } from "../Drift.js"
import * as Policy from "../Policy.js"
import { makeAccess, requireScope } from "./Auth.js"

const view = (account: AccountRuntime, row: DesiredRow | undefined): AccountDesired => ({
  account: account.name,
  desired: row?.desired ?? null,
  setBy: row?.setBy ?? null,
  updatedAt: row === undefined ? null : new Date(row.updatedMs).toISOString(),
  reconcile: account.reconcile
})

export const layer = HttpApiBuilder.group(GatewayApi, "desired", (handlers) =>
  Effect.gen(function*() {
    const accounts = yield* Accounts
    const store = yield* DesiredStore
    const drift = yield* DriftCheck
    const access = makeAccess(accounts)
    return handlers
      .handle("get", ({ path }) =>
        Effect.flatMap(access("read", path.account), (account) => Effect.map(store.get(account.name), (row) => view(account, row))))
      .handle("set", ({ path, payload }) =>
        Effect.gen(function*() {
          const account = yield* access("write", path.account)
          const valid = Planner.validateDesired(payload.desired)
          if (Either.isLeft(valid)) return yield* new InvalidRequest({ field: "desired", message: valid.left.reason })
          yield* Policy.check(account.policy, payload.desired)
          const row = yield* store.put(account.name, payload.desired, (yield* Caller).name)
          yield* drift.recheck(account.name)
          return view(account, row)
        }))
      .handle("drift", ({ path }) => Effect.flatMap(access("read", path.account), drift.of))
      .handle("fleet", () =>
        Effect.gen(function*() {
          yield* requireScope("read")
          const caller = yield* Caller
          const readable = accounts.list.filter((a) => mayAccess(caller, a.name))
          return { accounts: yield* Effect.forEach(readable, drift.of, { concurrency: 4 }) }
        }))
  }))
