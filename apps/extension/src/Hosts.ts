/**
 * Which origins the extension may reach. The manifest grants Binance's futures REST hosts and
 * loopback (the simulator, a local gateway); any other origin (a team's gateway) is an optional
 * host permission requested when the account is added. Plain http is accepted for loopback only, so
 * that a token or a signed request never travels unencrypted over a network.
 */
import { BASE_URLS, BINANCE_FUTURES_HOSTS } from "@marginctl/core/Domain"

export type Environment = "prod" | "testnet" | "demo" | "custom"

export const ENVIRONMENTS: ReadonlyArray<{ readonly value: Environment; readonly label: string }> = [
  { value: "prod", label: "Production (fapi.binance.com)" },
  { value: "testnet", label: "Testnet (testnet.binancefuture.com)" },
  { value: "demo", label: "Demo trading (demo-fapi.binance.com)" },
  { value: "custom", label: "Custom URL (simulator, proxy)" }
]

export const baseUrlOf = (environment: Exclude<Environment, "custom">): string => BASE_URLS[environment]

/** The loopback hosts of the manifest's `host_permissions` and content security policy (plain http, any port). */
const LOOPBACK = new Set(["127.0.0.1", "localhost"])

export const isLoopback = (url: URL): boolean => LOOPBACK.has(url.hostname)

/**
 * The origins the manifest's `host_permissions` cover: Binance's futures hosts over https, loopback
 * over http. Anything else (https on loopback included) is requested as an optional permission.
 */
export const isGranted = (url: URL): boolean =>
  (url.protocol === "http:" && isLoopback(url)) ||
  (url.protocol === "https:" && (BINANCE_FUTURES_HOSTS as ReadonlyArray<string>).includes(url.hostname))

export type UrlCheck =
  | { readonly _tag: "Ok"; readonly url: string; readonly origin: string; readonly granted: boolean }
  | { readonly _tag: "Invalid"; readonly reason: string }

/**
 * Checks a URL typed by a person: http(s), no credentials, query or fragment; https unless loopback.
 * Returns it without a trailing slash, its origin and whether the manifest already covers it.
 */
export const checkUrl = (raw: string): UrlCheck => {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return { _tag: "Invalid", reason: "is not a URL (e.g. https://gateway.example.com or http://127.0.0.1:8080)" }
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { _tag: "Invalid", reason: "must start with https:// (or http:// for 127.0.0.1 and localhost)" }
  }
  if (url.protocol === "http:" && !isLoopback(url)) {
    return { _tag: "Invalid", reason: "must use https:// unless it points at 127.0.0.1 or localhost" }
  }
  if (url.username !== "" || url.password !== "") return { _tag: "Invalid", reason: "must not contain a user name or password" }
  if (url.search !== "" || url.hash !== "") return { _tag: "Invalid", reason: "must not contain a query (?…) or fragment (#…)" }
  return {
    _tag: "Ok",
    url: url.toString().replace(/\/+$/, ""),
    origin: url.origin,
    granted: isGranted(url)
  }
}

/** The match pattern to request for an origin (`https://gw.example.com/*`). */
export const originPattern = (origin: string): string => `${origin}/*`

/** `https://host:port` → `host:port`, for messages. */
export const hostOf = (url: string): string => {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}
