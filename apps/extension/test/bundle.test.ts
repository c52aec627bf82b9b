/**
 * The built extension as shipped: the manifest's permissions and content security policy, and the
 * popup's JavaScript budget (60 KB gzipped, every script popup.html loads, with its imports).
 */
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { gzipSync } from "node:zlib"
import { describe, expect, it } from "vitest"
import { DIST } from "./support/browser.js"

const manifest = JSON.parse(readFileSync(join(DIST, "manifest.json"), "utf8"))

/** popup.html's scripts and, transitively, the chunks they import. */
const popupScripts = (): Array<string> => {
  const html = readFileSync(join(DIST, "popup.html"), "utf8")
  const queue = [...html.matchAll(/<script[^>]+src="\.\/([^"]+)"/g)].map((m) => m[1]!)
  const seen = new Set<string>()
  while (queue.length > 0) {
    const file = queue.shift()!
    if (seen.has(file)) continue
    seen.add(file)
    const code = readFileSync(join(DIST, file), "utf8")
    for (const m of code.matchAll(/(?:import|from)\s*\(?\s*["']\.\/([^"']+\.js)["']/g)) queue.push(join(dirname(file), m[1]!))
  }
  return [...seen]
}

describe("built extension", () => {
  it("asks only for Binance's futures hosts and loopback; other origins are optional", () => {
    expect(manifest.manifest_version).toBe(3)
    expect(manifest.permissions).toEqual(["storage"])
    expect(manifest.host_permissions).toEqual([
      "https://fapi.binance.com/*",
      "https://testnet.binancefuture.com/*",
      "https://demo-fapi.binance.com/*",
      "http://127.0.0.1/*",
      "http://localhost/*"
    ])
    expect(manifest.optional_host_permissions).toEqual(["https://*/*"])
    expect(manifest.background).toEqual({ service_worker: "background.js", type: "module" })
  })

  it("has a strict content security policy for its pages", () => {
    const csp: string = manifest.content_security_policy.extension_pages
    const directives = new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]))
    expect(directives.get("script-src")).toEqual(["'self'"])
    expect(directives.get("object-src")).toEqual(["'none'"])
    expect(directives.get("default-src")).toEqual(["'none'"])
    expect(directives.get("base-uri")).toEqual(["'none'"])
    expect(directives.get("frame-ancestors")).toEqual(["'none'"])
    expect(csp).not.toContain("unsafe")
  })

  it("keeps the popup's JavaScript within 60 KB gzipped", () => {
    const files = popupScripts()
    expect(files.length).toBeGreaterThan(0)
    const gzipped = files.reduce((n, f) => n + gzipSync(readFileSync(join(DIST, f))).length, 0)
    expect(gzipped).toBeLessThanOrEqual(60 * 1024)
  })

  it("loads no script from outside the extension and no inline script", () => {
    for (const page of ["popup.html", "options.html"]) {
      const html = readFileSync(join(DIST, page), "utf8")
      for (const m of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
        expect(m[1]).toMatch(/src="\.\//)
        expect(m[2]!.trim()).toBe("")
      }
    }
  })
})
