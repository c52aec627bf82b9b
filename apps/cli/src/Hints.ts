/**
 * One sentence per failure: what is in the way, and what to do about it. Built from the error's tag,
 * Binance code and a few details; never from anything secret.
 */
import * as ServerClock from "@marginctl/core/ServerClock"
import { VARS } from "./Env.js"

export interface Detail {
  readonly symbol?: string | undefined
  readonly reason?: string | undefined
  readonly source?: string | undefined
  readonly retryAfterSeconds?: number | null | undefined
  readonly until?: number | null | undefined
  /** Server − local clock offset measured after a -1021, when known. */
  readonly offsetMs?: number | undefined
  readonly recvWindow?: number | undefined
  readonly baseUrl?: string | undefined
}

const sym = (d: Detail, fallback = "the symbol") => d.symbol ?? fallback

const byCode = (code: number, d: Detail): string | null => {
  switch (code) {
    case -4168:
      return "Multi-Assets Mode is on, and it allows only cross margin; turn it off first with `marginctl multi-assets off`"
    case -4167:
      return "some symbols use isolated margin, and Multi-Assets Mode allows only cross margin; switch them to cross first " +
        "with `marginctl margin-type set CROSSED --all` (or run `marginctl apply --multi-assets on`, which does both in order)"
    case -4047:
      return `${sym(d)} has open orders, and its margin type cannot change while orders are open; ` +
        "cancel them (or wait until they fill) and run the command again"
    case -4048:
      return `${sym(d)} has an open position, and its margin type only changes on a flat symbol; close the position first`
    case -4170:
      return "the account has open orders, and Multi-Assets Mode cannot change while any order is open; " +
        "cancel them first (`marginctl status` shows where they are)"
    case -4172:
      return "an asset in the futures wallet has a negative balance, and Multi-Assets Mode cannot change while one does; " +
        "transfer enough of that asset into the USDⓈ-M Futures wallet first (`marginctl collateral` shows which)"
    case -4169:
      return d.reason === "credits-lock"
        ? "the account is in Credits Trading Mode (BNFCR), which only runs in Multi-Assets Mode; it cannot be turned off"
        : "the account would not have enough margin in the new mode (or it is in Credits Trading Mode, which stays in " +
          "Multi-Assets Mode): add margin in the positions' own asset or reduce the positions first"
    case -4067:
      return `${sym(d, "a symbol")} has open orders, which block this change; cancel them first`
    case -4068:
      return `${sym(d, "a symbol")} has an open position, which blocks this change; close it first`
    case -2015:
      return "Binance rejected the API key: it does not exist on this exchange (production, testnet and demo keys are " +
        "separate), lacks a permission this call needs (Enable Futures; trading permission for changes), or this IP is " +
        "not on the key's allow list"
    case -2014:
      return `the API key is malformed: check ${VARS.apiKey} (or the profile's apiKey) for stray spaces or quotes`
    case -1022:
      return `the signature does not match the API key: ${VARS.apiSecret} (or the private key) belongs to a different ` +
        "key or was copied incompletely"
    case -1021:
    case -5028:
      return clockHint(d)
    case -1121:
    case -1122:
      return `${sym(d)} is not a symbol of this exchange; \`marginctl margin-type get\` lists them`
  }
  return null
}

const clockHint = (d: Detail): string => {
  if (d.offsetMs === undefined) {
    return "Binance refused the request's timestamp even after marginctl resynced its clock; sync your system clock " +
      "(e.g. `timedatectl set-ntp true`) or raise --recv-window; `marginctl time` shows the offset"
  }
  const { side, text } = ServerClock.describeOffset(d.offsetMs)
  return side === "in-sync"
    ? `${text}, so the request took longer than the ${d.recvWindow ?? 5000} ms receive window to arrive; ` +
      "raise --recv-window (up to 60000) or retry on a faster connection"
    : `${text}; marginctl corrected for it once and Binance still refused the timestamp: sync your system clock ` +
      "(e.g. `timedatectl set-ntp true`) and run the command again (`marginctl time` shows the offset)"
}

const seconds = (n: number): string => `${n} s`

const byTag = (tag: string, d: Detail): string | null => {
  switch (tag) {
    case "RateLimited":
      return d.source === "budget"
        ? "marginctl's request-weight budget for this minute is used up and waiting would take too long; " +
          `retry${d.retryAfterSeconds ? ` in ${seconds(d.retryAfterSeconds)}` : " in a minute"}`
        : d.source === "firewall"
        ? "Binance's web application firewall refused this IP (HTTP 403), which it does after too many requests; " +
          `send nothing for ${d.retryAfterSeconds ? seconds(d.retryAfterSeconds) : "a few minutes"}, then retry one command at a time`
        : "Binance rate-limited this IP (HTTP 429) and marginctl already waited once; " +
          `wait ${d.retryAfterSeconds ? seconds(d.retryAfterSeconds) : "a minute"} before retrying, and avoid running many commands at once`
    case "IpBanned": {
      const until = d.until ? ` until ${new Date(d.until).toISOString()}` : ""
      const wait = d.retryAfterSeconds ? ` (${seconds(d.retryAfterSeconds)} from now)` : ""
      return `Binance banned this IP${until}${wait} for sending after a 429; send nothing before then, since every ` +
        "request during a ban makes the next one longer"
    }
    case "ExecutionUnknown":
      return "Binance did not say whether the change was made, and re-reading the account did not settle it; check with " +
        "`marginctl status`, then run the same command again (it only changes what is not yet as asked)"
    case "ServiceUnavailable":
      return "Binance is unavailable or overloaded and did not execute the request; retry in a minute"
    case "Transport":
      return `could not reach ${d.baseUrl ?? "the exchange"}: check --env / --base-url and the network; ` +
        "to use the local simulator, start it first with `marginctl sim`"
    case "InvalidApiKey":
      return "Binance does not accept this API key for this call: check the key, its permissions and its IP allow list"
    case "SignerError":
      return `check the signing key: ${VARS.apiSecret} holds an HMAC secret; ${VARS.privateKeyFile} an RSA or Ed25519 ` +
        `PEM private key (with ${VARS.passphrase} when it is encrypted)`
    case "UnexpectedResponse":
      return "the answer is not what Binance documents; check that the target is a Binance USDⓈ-M Futures API"
    case "InvalidParameter":
      return "Binance refused a parameter marginctl sent; please report this with the command you ran"
    case "UnknownSymbol":
      return `${sym(d)} is not a symbol of this exchange; \`marginctl margin-type get\` lists them`
    case "MarginTypeBlocked":
      return d.reason === "multi-assets" ? byCode(-4168, d) : d.reason === "position" ? byCode(-4048, d) : byCode(-4047, d)
    case "MultiAssetsBlocked":
      return d.reason === "isolated-symbols"
        ? byCode(-4167, d)
        : d.reason === "open-orders"
        ? byCode(-4170, d)
        : d.reason === "negative-balance"
        ? byCode(-4172, d)
        : byCode(-4169, d)
  }
  return null
}

/** The sentence for an error with this tag and Binance code, or null when there is nothing to add. */
export const hint = (tag: string, code: number | null, detail: Detail = {}): string | null =>
  (code === null ? null : byCode(code, detail)) ?? byTag(tag, detail)
