/**
 * Launches Debian's Chromium (never a downloaded browser) with the built extension loaded, the way
 * reference/toolchain.md says: a persistent context in a temporary profile, headless=new, the
 * extension allowed explicitly, outside hosts unresolvable.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { type BrowserContext, chromium, type ConsoleMessage, type Page, type Worker } from "playwright-core"

export const APP = resolve(import.meta.dirname, "../..")
export const DIST = join(APP, "dist")
export const ARTIFACTS = join(APP, "test-results")
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

export interface Browser {
  readonly context: BrowserContext
  readonly worker: Worker
  readonly id: string
  /** Every console line of pages and the worker (checked for secrets). */
  readonly consoleLines: Array<string>
  readonly open: (page: "popup.html" | "options.html") => Promise<Page>
  readonly close: () => Promise<void>
}

export interface LaunchOptions {
  /**
   * Lets Playwright inject scripts (axe-core) despite the extension's CSP. Only the accessibility test
   * uses it; every other test runs under the CSP the manifest declares.
   */
  readonly bypassCSP?: boolean
}

export const launch = async (options: LaunchOptions = {}): Promise<Browser> => {
  const profile = await mkdtemp(join(tmpdir(), "marginctl-ext-"))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 420, height: 720 },
    bypassCSP: options.bypassCSP ?? false,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--disable-extensions-except=${DIST}`,
      `--load-extension=${DIST}`,
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"
    ]
  })
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 20_000 }))
  const id = new URL(worker.url()).host
  const consoleLines: Array<string> = []
  const record = (m: ConsoleMessage) => consoleLines.push(`${m.type()}: ${m.text()}`)
  worker.on("console", record)
  context.on("page", (p) => p.on("console", record))
  const open = async (page: "popup.html" | "options.html") => {
    const p = await context.newPage()
    // The popup is 380 px wide, as Chrome shows it; the options page is a normal tab.
    if (page === "popup.html") await p.setViewportSize({ width: 380, height: 600 })
    p.on("console", record)
    p.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`))
    await p.goto(`chrome-extension://${id}/${page}`)
    return p
  }
  return {
    context,
    worker,
    id,
    consoleLines,
    open,
    close: async () => {
      await context.close().catch(() => undefined)
      await rm(profile, { recursive: true, force: true })
    }
  }
}

/** Saves a screenshot under test-results/screenshots/ and returns its path. */
export const screenshot = async (page: Page, name: string): Promise<string> => {
  const dir = join(ARTIFACTS, "screenshots")
  await mkdir(dir, { recursive: true })
  const path = join(dir, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}
