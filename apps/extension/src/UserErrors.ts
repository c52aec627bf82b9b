/**
 * Every failure the worker can meet, turned into a `UserError` in plain words with what to do: the
 * exchange's through the core's `Explain`, the extension's own here. Never a stack trace, a URL with
 * a query, a key, a secret or a token.
 */
import type { BinanceError, DesiredStateRejected, InvalidInput } from "@marginctl/core/Errors"
import * as Schema from "effect/Schema"
import type { AccountNotFound, InvalidField, StorageFailed } from "./Accounts.js"
import { userErrorFields, type UserErrorData } from "./Messages.js"
import { explain } from "./Vocabulary.js"
import type { VaultError } from "./Vault.js"

/** A failure in plain words (the worker's and the options page's error; sent to pages as UserErrorData). */
export class UserError extends Schema.TaggedError<UserError>()("UserError", userErrorFields) {
  get message() {
    return `${this.title}: ${this.detail}`
  }
}

/** The wire form of a UserError. */
export const toData = (e: UserError): UserErrorData => ({
  _tag: "UserError",
  title: e.title,
  detail: e.detail,
  kind: e.kind,
  ...(e.fix === undefined ? {} : { fix: e.fix }),
  ...(e.code === undefined ? {} : { code: e.code })
})

/** Binance and the path to it, in the core's words with the extension's vocabulary. `host` names the upstream. */
export const fromBinance = (e: BinanceError, host: string): UserError => new UserError(explain(e, { host }))

export const fromVault = (e: VaultError): UserError => {
  switch (e._tag) {
    case "VaultLocked":
      return new UserError({ kind: "locked", title: "Locked", detail: "Enter your passphrase to use this account.", fix: "Type the passphrase you chose in the options page." })
    case "VaultMissing":
      return new UserError({ kind: "setup", title: "No passphrase yet", detail: "Credentials are kept encrypted under a passphrase.", fix: "Open the options page and set one up." })
    case "WrongPassphrase":
      return new UserError({ kind: "locked", title: "Wrong passphrase", detail: "The passphrase does not open the stored credentials.", fix: "Try again; it is the passphrase you set in the options page." })
    case "WeakPassphrase":
      return new UserError({ kind: "input", title: "Passphrase too short", detail: e.message, fix: `Use at least ${e.minLength} characters.` })
    case "VaultExists":
      return new UserError({ kind: "input", title: "A passphrase is already set", detail: e.message })
    case "VaultCorrupt":
      return new UserError({ kind: "internal", title: "Stored credentials cannot be read", detail: e.detail, fix: "Remove the account in the options page and add it again." })
  }
}

export const fromAccounts = (e: InvalidField | AccountNotFound | StorageFailed): UserError => {
  switch (e._tag) {
    case "InvalidField":
      return new UserError({ kind: "input", title: `${e.field} is not valid`, detail: `${e.field} ${e.reason}.` })
    case "AccountNotFound":
      return new UserError({ kind: "setup", title: "Account not found", detail: "This account no longer exists.", fix: "Choose another account." })
    case "StorageFailed":
      return new UserError({ kind: "internal", title: "Storage problem", detail: `The browser's storage could not ${e.action}.` })
  }
}

export const fromInvalidInput = (e: InvalidInput): UserError =>
  new UserError({ kind: "input", title: `The account's ${e.field} is not valid`, detail: e.message, fix: "Fix it in the options page." })

export const fromDesired = (e: DesiredStateRejected): UserError =>
  new UserError({ kind: "input", title: "That combination is not possible", detail: e.reason })

export const internal = (what: string): UserError =>
  new UserError({ kind: "internal", title: "Something went wrong inside the extension", detail: what, fix: "Close and reopen the popup." })

