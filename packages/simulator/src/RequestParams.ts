/**
 * Reading a request as Binance does: the target split into path and raw query, and parameters as
 * `key=value` pairs from the raw query string and the raw form body, percent-decoded as UTF-8 (`+` is a space), duplicates detected per source, the query
 * value winning over the body. The signature payload is the raw query immediately followed by the
 * raw body, without the `signature` parameter, which must come last.
 */

export interface Param {
  readonly name: string
  readonly value: string
  readonly source: "query" | "body"
  /** Index of the segment's first character in its source text. */
  readonly start: number
  /** Only empty segments follow it in its source text. */
  readonly last: boolean
}

export interface Params {
  /** Effective values: query over body. */
  readonly values: Map<string, Param>
  /** A name appeared twice in the query, or twice in the body. */
  readonly duplicate: boolean
  /** A name or value was not valid percent-encoded UTF-8. */
  readonly illegal: boolean
  /** Number of non-empty segments of the body. */
  readonly bodyCount: number
}

const decode = (s: string): string | undefined => {
  if (s.indexOf("%") === -1 && s.indexOf("+") === -1) return s
  try {
    return decodeURIComponent(s.indexOf("+") === -1 ? s : s.replace(/\+/g, " "))
  } catch {
    return undefined
  }
}

interface Scan {
  duplicate: boolean
  illegal: boolean
  count: number
}

const scan = (text: string, source: "query" | "body", into: Map<string, Param>, skipExisting: boolean, out: Scan): void => {
  const seen = new Set<string>()
  let pos = 0
  const n = text.length
  let lastParam: { name: string; param: Param } | undefined
  while (pos <= n) {
    let end = text.indexOf("&", pos)
    if (end === -1) end = n
    if (end > pos) {
      const seg = text.slice(pos, end)
      const eq = seg.indexOf("=")
      const name = decode(eq === -1 ? seg : seg.slice(0, eq))
      const value = decode(eq === -1 ? "" : seg.slice(eq + 1))
      if (name === undefined || value === undefined) out.illegal = true
      else {
        out.count++
        if (seen.has(name)) out.duplicate = true
        seen.add(name)
        const param: Param = { name, value, source, start: pos, last: false }
        lastParam = { name, param }
        if (!(skipExisting && into.has(name))) into.set(name, param)
      }
    }
    pos = end + 1
  }
  if (lastParam !== undefined && into.get(lastParam.name) === lastParam.param) {
    into.set(lastParam.name, { ...lastParam.param, last: true })
  }
}

/** Parses the query string and (when given) the form body. */
export const parse = (query: string, body: string | undefined): Params => {
  const values = new Map<string, Param>()
  const q: Scan = { duplicate: false, illegal: false, count: 0 }
  if (query !== "") scan(query, "query", values, false, q)
  const b: Scan = { duplicate: false, illegal: false, count: 0 }
  if (body !== undefined && body !== "") scan(body, "body", values, true, b)
  return { values, duplicate: q.duplicate || b.duplicate, illegal: q.illegal || b.illegal, bodyCount: b.count }
}

/**
 * The signed payload, or undefined when `signature` is not the last parameter of query ‖ body
 * (in the query with a non-empty body, or followed by another parameter).
 */
export const signedPayload = (query: string, body: string, params: Params): string | undefined => {
  const sig = params.values.get("signature")
  if (sig === undefined || !sig.last) return undefined
  if (sig.source === "query") {
    if (params.bodyCount > 0) return undefined
    return query.slice(0, Math.max(0, sig.start - 1)) + body
  }
  return query + body.slice(0, Math.max(0, sig.start - 1))
}

/** Whether a request with this content type carries form parameters in its body. */
export const isFormBody = (contentType: string | undefined): boolean =>
  contentType === undefined || contentType === "" || contentType.toLowerCase().includes("application/x-www-form-urlencoded")

/** Splits a request target (`/path?query`) into path and raw query. */
export const splitTarget = (target: string): { readonly path: string; readonly query: string } => {
  const q = target.indexOf("?")
  return q === -1 ? { path: target, query: "" } : { path: target.slice(0, q), query: target.slice(q + 1) }
}
