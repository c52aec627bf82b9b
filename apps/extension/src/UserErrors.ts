/**
 * Every failure the worker can meet, turned into a `UserError` in plain words with what to do. Only
 * error tags, Binance codes and Binance's own messages are used: never a stack trace, a URL with a
 * query, a key, a secret or a token.
 */
import type { BinanceError, DesiredStateRejected, InvalidInput } from "@marginctl/core/Errors"
import * as Schema from "effect/Schema"
import type { AccountNotFound, InvalidField, StorageFailed } from "./Accounts.js"
import { userErrorFields, type UserErrorData } from "./Messages.js"
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

const seconds = (s: number | null): string => (s === null ? "a minute" : s === 1 ? "1 second" : `${s} seconds`)

const withCode = (code: number | null) => (code === null ? {} : { code })

/** Binance and the path to it. `host` names the upstream for network errors. */
export const fromBinance = (e: BinanceError, host: string): UserError => {
  switch (e._tag) {
    case "MarginTypeBlocked": {
      const symbol = e.symbol ?? "this symbol"
      const fix = e.reason === "open-orders"
        ? `Cancel the open orders on ${symbol}, then try again.`
        : e.reason === "position"
        ? `Close the position on ${symbol}; the margin type only changes on a flat symbol.`
        : "Turn Multi-Assets Mode off first: it allows only cross margin."
      return new UserError({ kind: "blocked", title: `Binance refused to change ${symbol}`, detail: e.msg, fix, ...withCode(e.code) })
    }
    case "MultiAssetsBlocked": {
      const fix = {
        "isolated-symbols": "Switch every ISOLATED symbol to CROSSED first.",
        "open-orders": "Cancel every open order (including conditional orders) first.",
        "negative-balance": "Bring every negative collateral balance back to zero or above first.",
        "insufficient-margin": "Add margin or reduce positions first.",
        "credits-lock": "The account is in Credits Trading Mode, which keeps Multi-Assets Mode on."
      }[e.reason]
      return new UserError({ kind: "blocked", title: "Binance refused to switch Multi-Assets Mode", detail: e.msg, fix, ...withCode(e.code) })
    }
    case "PositionModeBlocked":
    case "AccountRejected":
      return new UserError({ kind: "blocked", title: "Binance refused the change", detail: e.msg, ...withCode(e.code) })
    case "NoChangeNeeded":
      return new UserError({ kind: "blocked", title: "Already set", detail: e.msg, ...withCode(e.code) })
    case "InvalidSignature":
      return new UserError({
        kind: "auth",
        title: "Binance rejected the signature",
        detail: "The secret or private key stored for this account does not match its API key.",
        fix: "Remove the account in the options page and add it again with the right secret or key.",
        ...withCode(e.code)
      })
    case "InvalidApiKey":
      return new UserError({
        kind: "auth",
        title: "Binance rejected the API key",
        detail: e.msg,
        fix: e.reason === "ip-not-allowed"
          ? "Add this computer's IP address to the key's IP restriction on Binance."
          : "Check the API key, that futures are enabled for it, and (to change settings) that trading is allowed.",
        ...withCode(e.code)
      })
    case "TimestampOutsideWindow":
      return new UserError({
        kind: "auth",
        title: "Your clock is out of step with Binance",
        detail: e.msg,
        fix: "Turn on automatic time synchronisation in your system settings, then try again.",
        ...withCode(e.code)
      })
    case "RateLimited":
      return new UserError({
        kind: "limit",
        title: "Too many requests for now",
        detail: e.source === "budget"
          ? "The request weight allowed per minute is used up."
          : e.source === "firewall"
          ? "Binance's firewall refused this IP after too many requests (HTTP 403)."
          : e.msg,
        fix: `Wait ${seconds(e.retryAfterSeconds)} and try again.`,
        ...withCode(e.code)
      })
    case "IpBanned":
      return new UserError({
        kind: "limit",
        title: "Binance has blocked this IP address for a while",
        detail: "Too many requests were sent after a rate-limit warning.",
        fix: e.until === null ? "Wait a few minutes before trying again." : `Wait until ${new Date(e.until).toLocaleTimeString()} before trying again.`,
        ...withCode(e.code)
      })
    case "ExecutionUnknown":
      return new UserError({
        kind: "unknown-outcome",
        title: "The outcome of the change is not known",
        detail: "No answer arrived, and re-reading the account did not settle it.",
        fix: "Reopen the popup to read the account's current state before trying again.",
        ...withCode(e.code)
      })
    case "ServiceUnavailable":
      return new UserError({
        kind: "network",
        title: "Binance is not available right now",
        detail: e.msg,
        fix: "Try again in a moment.",
        ...withCode(e.code)
      })
    case "Transport":
      return new UserError({
        kind: "network",
        title: `Could not reach ${host}`,
        detail: e.reason === "timeout" ? "The request timed out." : "The connection failed.",
        fix: "Check your network connection and the account's environment or URL in the options page."
      })
    case "UnexpectedResponse":
      return new UserError({
        kind: "network",
        title: `${host} sent an answer marginctl does not understand`,
        detail: `HTTP ${e.status}.`,
        fix: "Check that the account's URL points at Binance USD-M Futures (or the simulator)."
      })
    case "UnknownSymbol":
      return new UserError({ kind: "input", title: `Unknown symbol${e.symbol ? ` ${e.symbol}` : ""}`, detail: e.msg, ...withCode(e.code) })
    case "InvalidParameter":
    case "OrderRejected":
    case "BinanceRejected":
      return new UserError({ kind: "input", title: "Binance refused the request", detail: e.msg, ...withCode(e.code) })
    case "SignerError":
      return new UserError({
        kind: "auth",
        title: "The stored key cannot sign requests",
        detail: e.detail,
        fix: "Remove the account in the options page and add it again with a valid secret or private key."
      })
  }
}

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

