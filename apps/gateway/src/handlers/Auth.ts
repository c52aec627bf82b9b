/**
 * The bearer-token check: SHA-256 of the presented token compared in constant time with every
 * configured hash (all of them, whichever matches), so neither the tokens nor their order leak
 * through timing. The token is never logged or stored; the caller is known by the token's name.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as crypto from "node:crypto"
import { Authentication, Caller, type CallerShape, mayAccess, type Scope } from "@marginctl/gateway-api/Auth"
import { Forbidden, NotFound, Unauthenticated } from "@marginctl/gateway-api/Errors"
import type { AccountRuntime, AccountsShape } from "../Accounts.js"
import { GatewayConfig, type GatewayConfigShape } from "../Config.js"
import { setResponseHeader } from "./ResponseHeaders.js"

const unauthenticated = (message: string) =>
  Effect.zipRight(setResponseHeader("www-authenticate", 'Bearer realm="marginctl-gateway"'), Effect.fail(new Unauthenticated({ message })))

/** SHA-256 of a string: `crypto.hash` (one call, Node ≥ 20.12) when there, else createHash. */
const sha256: (s: string) => Buffer = typeof (crypto as { hash?: unknown }).hash === "function"
  ? (s) => (crypto as unknown as { hash: (a: string, d: string, f: "buffer") => Buffer }).hash("sha256", s, "buffer")
  : (s) => crypto.createHash("sha256").update(s, "utf8").digest()

/** The caller a raw token stands for, or undefined. Used by the middleware and the hot path alike. */
export const makeVerifier = (tokens: GatewayConfigShape["tokens"]) => {
  const entries = tokens.map((t) => ({
    hash: Buffer.from(t.sha256, "hex"),
    caller: { name: t.name, scopes: t.scopes, accounts: t.accounts } satisfies CallerShape
  }))
  return (raw: string): CallerShape | undefined => {
    if (raw.length === 0 || raw.length > 512) return undefined
    const hash = sha256(raw)
    let found: CallerShape | undefined
    for (const e of entries) {
      if (crypto.timingSafeEqual(hash, e.hash) && found === undefined) found = e.caller
    }
    return found
  }
}

const lacksScope = (caller: CallerShape, scope: Scope) =>
  new Forbidden({ reason: "scope", message: `token ${caller.name} lacks the ${scope} scope` })

/** The access rule (scope, the token's accounts, the account: 403/404); synchronous for the hot path. */
export const checkAccess = (
  accounts: AccountsShape,
  caller: CallerShape,
  scope: Scope,
  name: string
): Either.Either<AccountRuntime, Forbidden | NotFound> => {
  const account = accounts.get(name)
  return !caller.scopes.includes(scope)
    ? Either.left(lacksScope(caller, scope))
    : !mayAccess(caller, name)
    ? Either.left(new Forbidden({ reason: "account", message: `token ${caller.name} may not touch account ${name}` }))
    : account === undefined
    ? Either.left(new NotFound({ resource: "account", name, message: `no account named ${name}` }))
    : Either.right(account)
}

/** The access rule for the caller of the current request. */
export const makeAccess = (accounts: AccountsShape) =>
(scope: Scope, name: string): Effect.Effect<AccountRuntime, Forbidden | NotFound, Caller> =>
  Effect.flatMap(Caller, (caller) => checkAccess(accounts, caller, scope, name))

/** The caller of the current request has this scope (403 otherwise). */
export const requireScope = (scope: Scope): Effect.Effect<void, Forbidden, Caller> =>
  Effect.flatMap(Caller, (caller) => (caller.scopes.includes(scope) ? Effect.void : Effect.fail(lacksScope(caller, scope))))

export const layer: Layer.Layer<Authentication, never, GatewayConfig> = Layer.effect(
  Authentication,
  Effect.map(GatewayConfig, (config) => {
    const verify = makeVerifier(config.tokens)
    return Authentication.of({
      bearer: (token) =>
        Effect.suspend(() => {
          const raw = Redacted.value(token)
          if (raw.length === 0) return unauthenticated("send Authorization: Bearer <token>")
          const caller = verify(raw)
          return caller === undefined ? unauthenticated("unknown token") : Effect.succeed(caller)
        })
    })
  })
)
