/**
 * Last: everything the suite captured — CLI stdout and stderr, gateway logs, every gateway answer,
 * the audit rows, the core's errors, the extension's DOM, console and storage, the simulator's control
 * answers — in one buffer, scanned for every secret the suite used: API keys, the HMAC secret, the
 * lines of the RSA and Ed25519 private keys, gateway tokens, the admin token, the vault passphrase,
 * and any signed query (`signature=`).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { flush, OUT, record, secrets } from "./support/env.js"

const REQUIRED = [
  "CLI stdout",
  "CLI stderr",
  "core errors",
  "gateway log (stdout and stderr)",
  "gateway HTTP answers",
  "gateway audit rows (SQLite)",
  "extension DOM (options page)",
  "extension console",
  "simulator control API"
]

describe("secrets", () => {
  it("no secret, private key or signed URL in anything the suite captured", () => {
    const dir = path.join(OUT, "captured")
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort() : []
    const items: Array<{ file: string; source: string; text: string }> = files.flatMap((f) =>
      (JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Array<{ source: string; text: string }>).map((c) => ({ file: f, ...c }))
    )
    const buffer = items.map((i) => i.text).join("\n\u0000\n")
    const bySource = new Map<string, { items: number; bytes: number }>()
    for (const i of items) {
      const s = bySource.get(i.source) ?? { items: 0, bytes: 0 }
      bySource.set(i.source, { items: s.items + 1, bytes: s.bytes + i.text.length })
    }
    const patterns = [
      ...secrets().map((s) => ({ name: s.name, test: (t: string) => t.includes(s.value) })),
      { name: "signed query (signature=)", test: (t: string) => /signature=/i.test(t) },
      // A PEM block with a body (the options page's placeholder "-----BEGIN PRIVATE KEY-----" has none).
      { name: "PEM private key", test: (t: string) => /-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=]{16}/.test(t) }
    ]
    // The simulator plays the exchange: its control API lists the API keys it knows (never a secret).
    const allowed = (source: string, name: string) => source === "simulator control API" && name.startsWith("API key")
    const leaks = patterns.filter((p) => p.test(buffer)).map((p) => ({
      secret: p.name,
      in: [...new Set(items.filter((i) => !allowed(i.source, p.name) && p.test(i.text)).map((i) => `${i.source} (${i.file})`))]
    })).filter((l) => l.in.length > 0)
    const exchangeSide = patterns.filter((p) => items.some((i) => allowed(i.source, p.name) && p.test(i.text))).map((p) => p.name)
    const missing = REQUIRED.filter((r) => !bySource.has(r))
    record({
      section: "secrets",
      files,
      bytes: buffer.length,
      items: items.length,
      sources: Object.fromEntries(bySource),
      secretsLookedFor: patterns.length,
      leaks,
      exchangeSide,
      missing,
      pass: leaks.length === 0 && missing.length === 0
    })
    flush("9-secrets")
    expect(leaks).toEqual([])
    expect(missing).toEqual([])
  })
})
