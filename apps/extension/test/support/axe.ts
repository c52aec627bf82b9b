/** axe-core inside the test's Chromium (the page must be opened with `bypassCSP` for its script to load). */
import { createRequire } from "node:module"
import type { Page } from "playwright-core"

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js")

interface Violation {
  readonly id: string
  readonly impact: string | null
  readonly help: string
  readonly nodes: ReadonlyArray<{ readonly target: ReadonlyArray<string> }>
}

/** Runs axe on the page and returns the serious and critical violations (id, help, targets). */
export const seriousViolations = async (page: Page): Promise<Array<string>> => {
  await page.addScriptTag({ path: AXE })
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (o: unknown) => Promise<{ violations: Array<Violation> }> } }).axe
    const result = await axe.run({ resultTypes: ["violations"] })
    return result.violations
  })
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)
}
