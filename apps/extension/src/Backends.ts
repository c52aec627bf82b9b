/**
 * The backend of each account, built on first use and kept while the worker lives: a direct
 * account's client keeps its measured clock offset and cached exchangeInfo between popup openings,
 * and every backend a short-lived memo of its overview (`OverviewMemo`) and one live stream shared by
 * the popups showing the account (`LiveShare`). Rebuilt when the account's
 * stored record changes; dropped when the vault is locked. Every direct account on the same Binance
 * host spends from one weight budget (the limit is per IP).
 */
import { makeMemory, type WeightBudgetShape } from "@marginctl/core/WeightBudget"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { type Account, AccountStore } from "./Accounts.js"
import type { BackendShape } from "./Backend.js"
import * as DirectBackend from "./DirectBackend.js"
import * as GatewayBackend from "./GatewayBackend.js"
import { hostOf } from "./Hosts.js"
import * as LiveShare from "./LiveShare.js"
import * as OverviewMemo from "./OverviewMemo.js"
import { fromAccounts, fromVault, type UserError } from "./UserErrors.js"
import { Vault, VaultLocked, VaultMissing } from "./Vault.js"

interface Entry {
  readonly fingerprint: string
  readonly backend: BackendShape
  readonly scope: Scope.CloseableScope
}

export class Backends extends Effect.Service<Backends>()("@marginctl/extension/Backends", {
  scoped: Effect.gen(function*() {
    const accounts = yield* AccountStore
    const vault = yield* Vault
    const cache = new Map<string, Entry>()
    const budgets = new Map<string, WeightBudgetShape>()
    const lock = yield* Effect.makeSemaphore(1)

    const drop = (id: string) =>
      Effect.suspend(() => {
        const entry = cache.get(id)
        cache.delete(id)
        return entry === undefined ? Effect.void : Scope.close(entry.scope, Exit.void)
      })

    const dropAll = Effect.suspend(() => Effect.forEach([...cache.keys()], drop, { discard: true }))
    yield* Effect.addFinalizer(() => dropAll)

    const budgetFor = (host: string) =>
      Effect.suspend(() => {
        const existing = budgets.get(host)
        if (existing !== undefined) return Effect.succeed(existing)
        return Effect.tap(makeMemory(), (b) => Effect.sync(() => budgets.set(host, b)))
      })

    const build = (account: Account, scope: Scope.Scope): Effect.Effect<BackendShape, UserError> =>
      Effect.flatMap(buildBackend(account, scope), (backend) =>
        Effect.flatMap(OverviewMemo.memoized(backend), (memoized) => LiveShare.shared(memoized).pipe(Scope.extend(scope))))

    const buildBackend = (account: Account, scope: Scope.Scope): Effect.Effect<BackendShape, UserError> =>
      account._tag === "direct"
        ? Effect.gen(function*() {
          const credentials = yield* accounts.directCredentials(account).pipe(
            Effect.mapError((e) => (e._tag === "StorageFailed" ? fromAccounts(e) : fromVault(e)))
          )
          const budget = yield* budgetFor(hostOf(account.baseUrl))
          return yield* DirectBackend.make(account, credentials, budget).pipe(Scope.extend(scope))
        })
        : Effect.flatMap(
          Effect.mapError(accounts.gatewayToken(account), fromVault),
          (token) => GatewayBackend.make(account, token)
        )

    /** The backend of account `id`: VaultLocked (kind "locked") while the vault is locked. */
    const forAccount = (id: string): Effect.Effect<BackendShape, UserError> =>
      lock.withPermits(1)(Effect.gen(function*() {
        const status = yield* Effect.mapError(vault.status, fromVault)
        if (status !== "unlocked") {
          yield* dropAll
          return yield* Effect.fail(fromVault(status === "missing" ? new VaultMissing() : new VaultLocked()))
        }
        const account = yield* Effect.mapError(accounts.get(id), fromAccounts)
        const fingerprint = JSON.stringify(account)
        const cached = cache.get(id)
        if (cached !== undefined && cached.fingerprint === fingerprint) return cached.backend
        yield* drop(id)
        const scope = yield* Scope.make()
        const backend = yield* build(account, scope).pipe(Effect.onError(() => Scope.close(scope, Exit.void)))
        cache.set(id, { fingerprint, backend, scope })
        return backend
      }))

    return { forAccount } as const
  }),
  dependencies: [AccountStore.Default]
}) {}
