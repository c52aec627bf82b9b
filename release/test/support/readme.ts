/**
 * The code blocks of the packages' READMEs, so that the docs cannot rot: TypeScript blocks are
 * type-checked against the installed packages (and those marked ```ts run are run), JSON blocks
 * parsed (jsonc: with `//` comments).
 */
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { RELEASED, ROOT } from "./paths.js"

export const READMES = RELEASED.map((dir) => `${dir}/README.md`)

export interface Block {
  readonly readme: string
  /** 1-based line of the opening fence. */
  readonly line: number
  readonly lang: string
  readonly run: boolean
  readonly code: string
  /** A file name for the block: readme-<package>-<line>.<ext>. */
  readonly file: string
}

export const blocks = (): ReadonlyArray<Block> =>
  READMES.flatMap((readme) => {
    const lines = readFileSync(path.join(ROOT, readme), "utf8").split("\n")
    const found: Array<Block> = []
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(\S*)\s*(.*)$/.exec(lines[i]!)
      if (open === null) continue
      const end = lines.findIndex((l, j) => j > i && l.startsWith("```"))
      const lang = open[1]!
      const name = readme.split("/")[1]!
      found.push({
        readme,
        line: i + 1,
        lang,
        run: /\brun\b/.test(open[2]!),
        code: lines.slice(i + 1, end).join("\n"),
        file: `readme-${name}-${i + 1}.${lang === "ts" ? "ts" : "txt"}`
      })
      i = end
    }
    return found
  })
