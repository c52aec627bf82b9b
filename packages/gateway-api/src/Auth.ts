/**
 * Bearer-token authentication. The middleware provides the `Caller` (token name, scopes, accounts) to
 * every handler behind it; missing or unknown tokens end with 401 `Unauthenticated`. Scope and
 * account checks (403) happen in the handlers, which know the account a request touches.
 */
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as Context from "effect/Context"
import * as Schema from "effect/Schema"
import { Unauthenticated } from "./Errors.js"

export const Scope = Schema.Literal("read", "write").annotations({ identifier: "Scope" })
export type Scope = typeof Scope.Type

export interface CallerShape {
  /** The token's name from the configuration (recorded in the audit log; never the token itself). */
  readonly name: string
  readonly scopes: ReadonlyArray<Scope>
  /** Account names the token may touch; `*` means every account. */
  readonly accounts: ReadonlyArray<string>
}

export class Caller extends Context.Tag("@marginctl/gateway-api/Caller")<Caller, CallerShape>() {}

export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("@marginctl/gateway-api/Authentication", {
  failure: Unauthenticated,
  provides: Caller,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/** Whether `caller` may touch `account`. */
export const mayAccess = (caller: CallerShape, account: string): boolean =>
  caller.accounts.includes("*") || caller.accounts.includes(account)
