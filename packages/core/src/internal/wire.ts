/**
 * Wire encoding of Binance requests: `key=value` pairs joined by `&`, values percent-encoded as
 * UTF-8 (`encodeURIComponent`), in the order given. The signature is computed over exactly these
 * bytes and appended last.
 * @internal
 */

/** @internal */
export const toQuery = (pairs: ReadonlyArray<readonly [string, string]>): string =>
  pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")

/** @internal Strips the query string from a URL or path, for logs and errors. */
export const withoutQuery = (url: string): string => {
  const i = url.indexOf("?")
  return i === -1 ? url : url.slice(0, i)
}

/** @internal Reads a non-negative integer header value. */
export const intHeader = (headers: Readonly<Record<string, string | undefined>>, name: string): number | null => {
  const raw = headers[name]
  if (raw === undefined) return null
  const n = Number(raw.trim())
  return Number.isFinite(n) && n >= 0 ? n : null
}
