// Counts of a vitest JSON report (`--reporter=json --outputFile.json=FILE`) for the closing line
// "N passed, N failed". A file that fails to load has no failed test of its own: it counts as one
// failure; a run that exited non-zero with nothing counted as failed counts as one failure too.
import { existsSync, readFileSync } from "node:fs"

export const vitestCounts = (file, exitStatus) => {
  const report = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { testResults: [] }
  const brokenFiles = (report.testResults ?? []).filter((r) =>
    r.status === "failed" && !(r.assertionResults ?? []).some((a) => a.status === "failed")
  ).length
  const passed = report.numPassedTests ?? 0
  let failed = (report.numFailedTests ?? 0) + brokenFiles
  if (exitStatus !== 0 && failed === 0) failed = 1
  return { passed, failed, report }
}
