// The extension popup: JavaScript size (raw and gzipped) and time from opening the popup to
// Multi-Assets Mode being shown, against a local simulator, in Debian's Chromium.
//
//   node bench/extension-bundle.mjs [--build] [--runs 5]
//
// --build rebuilds apps/extension/dist first (it is also built when missing). Needs
// packages/simulator/dist/main.js (`pnpm --filter @marginctl/simulator build`) and /usr/bin/chromium.
// Two timings, each the median of --runs: "warm" opens the popup again in a running browser (the
// worker keeps the account's client, clock offset and exchangeInfo); "cold" launches a new browser
// with a configured profile each time (the worker starts, decrypts the key and syncs the clock).
/* global chrome -- evaluated inside the extension worker, where chrome.storage exists */
import { spawn, spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? fallback : args[i + 1]
}
const runs = Number(option("runs", "5"))
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const app = path.join(root, "apps/extension")
const dist = path.join(app, "dist")
const { chromium } = createRequire(path.join(app, "package.json"))("playwright-core")
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

// ---------------------------------------------------------------------------------------------
// Size

if (args.includes("--build") || !existsSync(path.join(dist, "popup.html"))) {
  const built = spawnSync(path.join(app, "node_modules/.bin/vite"), ["build", "--logLevel", "warn"], { cwd: app, stdio: "inherit" })
  if (built.status !== 0) throw new Error("vite build failed")
}

/** A page's or the worker's scripts and every chunk they import, as paths under dist/. */
const scriptsOf = (entries) => {
  const queue = [...entries]
  const seen = new Set()
  while (queue.length > 0) {
    const file = queue.shift()
    if (seen.has(file)) continue
    seen.add(file)
    const code = readFileSync(path.join(dist, file), "utf8")
    for (const m of code.matchAll(/(?:import|from)\s*\(?\s*["']\.\/([^"']+\.js)["']/g)) queue.push(path.join(path.dirname(file), m[1]))
  }
  return [...seen]
}

const pageScripts = (page) =>
  [...readFileSync(path.join(dist, page), "utf8").matchAll(/<script[^>]+src="\.\/([^"]+)"/g)].map((m) => m[1])

const kb = (n) => `${(n / 1024).toFixed(1)} KB`
const sizes = (files, quiet = false) => {
  let raw = 0
  let gz = 0
  for (const file of files) {
    const bytes = readFileSync(path.join(dist, file))
    raw += bytes.length
    gz += gzipSync(bytes).length
    if (!quiet) console.log(`  ${file}: ${kb(bytes.length)} raw, ${kb(gzipSync(bytes).length)} gzipped`)
  }
  return { raw, gz }
}
// The popup page is the UI only; the core (client, signer, clock, budget, planner) runs in the
// service worker, which the popup reaches through messages.
const popup = sizes(scriptsOf(pageScripts("popup.html")))
console.log(`popup JavaScript: ${kb(popup.raw)} raw, ${kb(popup.gz)} gzipped (budget 60.0 KB gzipped)`)
const worker = sizes(scriptsOf(["background.js"]))
console.log(`service worker JavaScript (the core): ${kb(worker.raw)} raw, ${kb(worker.gz)} gzipped`)
const all = sizes([...new Set([...scriptsOf(pageScripts("popup.html")), ...scriptsOf(["background.js"]), ...scriptsOf(pageScripts("options.html"))])], true)
console.log(`whole extension JavaScript (popup, worker, options page): ${kb(all.raw)} raw, ${kb(all.gz)} gzipped`)

// ---------------------------------------------------------------------------------------------
// Time to mode

const simMain = path.join(root, "packages/simulator/dist/main.js")
if (!existsSync(simMain)) {
  console.log(`time to mode: skipped (${path.relative(root, simMain)} missing: pnpm --filter @marginctl/simulator build)`)
  process.exit(0)
}
if (!existsSync(CHROMIUM)) {
  console.log(`time to mode: skipped (${CHROMIUM} missing: apt-get install -y chromium)`)
  process.exit(0)
}

const apiKey = "benchExtensionKey0123456789"
const secret = "benchExtensionSecret0123456789abcdef"
const work = mkdtempSync(path.join(tmpdir(), "marginctl-ext-bench-"))
const seedFile = path.join(work, "seed.json")
writeFileSync(seedFile, JSON.stringify({
  accounts: [{ name: "bench", apiKey, secret, balances: { USDT: 10000 }, marginTypes: { BNBUSDT: "ISOLATED" } }]
}))
const sim = spawn(process.execPath, [simMain, "--port", "0", "--seed", seedFile, "--admin-token", "bench-admin"], {
  stdio: ["ignore", "pipe", "inherit"]
})
const simUrl = await new Promise((resolve, reject) => {
  let out = ""
  sim.stdout.on("data", (d) => {
    out += d
    const m = /listening on (http:\/\/\S+)/.exec(out)
    if (m) resolve(m[1])
  })
  sim.on("exit", (code) => reject(new Error(`simulator exited with ${code}`)))
})

const launch = (profile) =>
  chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--disable-extensions-except=${dist}`,
      `--load-extension=${dist}`,
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"
    ]
  })

const extensionId = async (context) => {
  const sw = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker"))
  return new URL(sw.url()).host
}

/** Records, inside the page, when the mode first reads on or off (ms since navigation start). */
const WATCH = `(() => {
  const check = () => {
    const el = document.querySelector("[data-testid=multi-assets-state]")
    if (el && /^(on|off)$/.test(el.textContent ?? "") && globalThis.__modeShownAt === undefined) globalThis.__modeShownAt = performance.now()
  }
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true })
})()`

const timeToMode = async (context, id) => {
  const page = await context.newPage()
  await page.addInitScript(WATCH)
  await page.goto(`chrome-extension://${id}/popup.html`)
  await page.waitForFunction(() => globalThis.__modeShownAt !== undefined, null, { timeout: 20_000 })
  const ms = await page.evaluate(() => globalThis.__modeShownAt)
  await page.close()
  return ms
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`

const profile = path.join(work, "profile")
try {
  // Configure the account once, through the options page.
  let context = await launch(profile)
  let id = await extensionId(context)
  const options = await context.newPage()
  await options.goto(`chrome-extension://${id}/options.html`)
  await options.fill("#setup-passphrase", "bench passphrase 123")
  await options.fill("#setup-confirm", "bench passphrase 123")
  await options.click("#vault-setup button[type=submit]")
  await options.getByTestId("vault-status").filter({ hasText: "unlocked" }).waitFor()
  await options.fill("#name", "bench")
  await options.selectOption("#environment", "custom")
  await options.fill("#custom-url", simUrl)
  await options.fill("#api-key", apiKey)
  await options.fill("#secret", secret)
  await options.click("#save")
  await options.locator("[data-testid=account-row]").waitFor()
  await options.close()

  const first = await timeToMode(context, id)
  const warm = []
  for (let i = 0; i < runs; i++) warm.push(await timeToMode(context, id))
  const sessionKey = await context.serviceWorkers()[0].evaluate(() => chrome.storage.session.get(null))
  await context.close()

  // Cold: a new browser on a copy of the configured profile (session storage is gone with the browser,
  // so the derived key is put back as an unlock in this session would).
  const cold = []
  for (let i = 0; i < runs; i++) {
    const copy = path.join(work, `profile-${i}`)
    cpSync(profile, copy, { recursive: true })
    context = await launch(copy)
    id = await extensionId(context)
    await context.serviceWorkers()[0].evaluate((items) => chrome.storage.session.set(items), sessionKey)
    cold.push(await timeToMode(context, id))
    await context.close()
  }

  console.log(`time from opening the popup to the mode shown (simulator on ${simUrl}):`)
  console.log(`  first open after setup: ${first.toFixed(0)} ms`)
  console.log(`  warm worker: ${fmt(warm)}`)
  console.log(`  new browser: ${fmt(cold)}`)
} finally {
  sim.kill()
  rmSync(work, { recursive: true, force: true })
}
