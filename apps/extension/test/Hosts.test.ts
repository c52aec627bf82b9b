import { assert, describe, it } from "@effect/vitest"
import { streamUrl } from "@marginctl/core/UserDataStream"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { checkUrl, isGranted } from "../src/Hosts.js"

const manifest = JSON.parse(readFileSync(path.join(__dirname, "../public/manifest.json"), "utf8")) as {
  host_permissions: Array<string>
  optional_host_permissions: Array<string>
  content_security_policy: { extension_pages: string }
}

/** Chrome's match patterns as the manifest uses them: `scheme://host/*`, `*` for any host (port ignored). */
const matches = (pattern: string, url: URL): boolean => {
  const m = /^(https?):\/\/([^/]+)\/\*$/.exec(pattern)
  if (m === null) throw new Error(`unexpected pattern ${pattern}`)
  return `${m[1]}:` === url.protocol && (m[2] === "*" || m[2] === url.hostname)
}

/** The CSP's connect-src sources: `https:`, `wss:`, `http://host:*`, `ws://host:*` and 'self'. */
const connectSrc = manifest.content_security_policy.extension_pages
  .split(";").map((d) => d.trim().split(/\s+/)).find((d) => d[0] === "connect-src")!.slice(1)
const connectAllowed = (url: URL): boolean =>
  connectSrc.some((s) => s === url.protocol || (s.endsWith(":*") && s.slice(0, -2) === `${url.protocol}//${url.hostname}`))

const urls = FastCheck.record({
  scheme: FastCheck.constantFrom("http", "https"),
  host: FastCheck.constantFrom(
    "127.0.0.1", "localhost", "[::1]", "fapi.binance.com", "testnet.binancefuture.com", "demo-fapi.binance.com",
    "gateway.example.com", "127.0.0.2", "fapi.binance.com.example.com"
  ),
  port: FastCheck.option(FastCheck.integer({ min: 1, max: 65535 }), { nil: undefined }),
  path: FastCheck.constantFrom("", "/", "/v1", "/api/")
}).map(({ host, path, port, scheme }) => `${scheme}://${host}${port === undefined ? "" : `:${port}`}${path}`)

describe("Hosts", () => {
  it("an origin counted as granted is covered by the manifest's host_permissions and its CSP, and so is its user-data stream", () => {
    FastCheck.assert(FastCheck.property(urls, (raw) => {
      const check = checkUrl(raw)
      if (check._tag === "Invalid") return
      const url = new URL(check.url)
      if (check.granted) {
        assert.isTrue(manifest.host_permissions.some((p) => matches(p, url)), `${raw} granted but not in host_permissions`)
      } else {
        // Anything else is requested at run time: it must be requestable.
        assert.isTrue(manifest.optional_host_permissions.some((p) => matches(p, url)), `${raw} cannot be requested`)
      }
      assert.isTrue(connectAllowed(url), `${raw} is blocked by connect-src`)
      // The account's user-data stream (the popup's live view), derived from the REST URL by the core.
      const stream = new URL(Effect.runSync(streamUrl(check.url, {}))("listenKey"))
      assert.isTrue(connectAllowed(stream), `${stream.origin}, the stream of ${raw}, is blocked by connect-src`)
    }), { numRuns: 500 })
  })

  it("plain http only for 127.0.0.1 and localhost; https loopback is requested, not assumed", () => {
    assert.strictEqual(checkUrl("http://127.0.0.1:7357")._tag, "Ok")
    assert.strictEqual(checkUrl("http://localhost:8080/")._tag, "Ok")
    assert.strictEqual(checkUrl("http://[::1]:8080")._tag, "Invalid")
    assert.strictEqual(checkUrl("http://gateway.example.com")._tag, "Invalid")
    assert.isFalse(isGranted(new URL("https://127.0.0.1:8443")))
    assert.isTrue(isGranted(new URL("https://fapi.binance.com")))
    assert.isFalse(isGranted(new URL("http://fapi.binance.com")))
  })
})
