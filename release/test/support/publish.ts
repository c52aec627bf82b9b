/**
 * The publishing half of `pnpm release`, against the local registry: `changeset publish` from the
 * workspace (already built), without git tags.
 */
import { ok } from "./processes.js"
import { ROOT } from "./paths.js"
import type { Registry } from "./registry.js"

export const publishAll = (registry: Registry) =>
  ok("pnpm", ["exec", "changeset", "publish", "--no-git-tag"], { cwd: ROOT, env: registry.env, timeoutMs: 300_000 })
