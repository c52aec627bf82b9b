/**
 * Small helpers shared by the benchmarks: percentiles, timing, options, and the JSON result file
 * every benchmark writes. (No marginctl or Effect import here: worker processes of peers load it.)
 */
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"

export const percentile = (sorted: ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]!
}

export const median = (xs: ReadonlyArray<number>): number => percentile([...xs].sort((a, b) => a - b), 50)

/** Milliseconds since `t0` (from `process.hrtime.bigint()`). */
export const msSince = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6

/** Command-line options: `--name value`, `--flag`. */
export const args = (argv: ReadonlyArray<string> = process.argv.slice(2)) => {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`)
    return i === -1 ? undefined : argv[i + 1]
  }
  return {
    has: (name: string) => argv.includes(`--${name}`),
    get,
    num: (name: string, fallback: number) => {
      const v = get(name)
      return v === undefined ? fallback : Number(v)
    },
    str: (name: string, fallback: string) => get(name) ?? fallback
  }
}

/** Writes a benchmark's result where the runner asked (`--out FILE`), or prints it. */
export const writeResult = (out: string | undefined, result: unknown): void => {
  const text = JSON.stringify(result, null, 2)
  if (out === undefined) {
    process.stdout.write(`${text}\n`)
    return
  }
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, text)
}

export const log = (...parts: ReadonlyArray<unknown>): void => {
  process.stderr.write(`${parts.join(" ")}\n`)
}
