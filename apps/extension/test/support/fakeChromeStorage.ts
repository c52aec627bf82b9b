/** An in-memory stand-in for a `chrome.storage` area: values are copied through JSON, as Chrome does. */
import type { StorageArea } from "../../src/ChromeStorage.js"

export interface FakeArea extends StorageArea {
  /** What is stored, as Chrome would hand it out. */
  readonly dump: () => Record<string, unknown>
  /** Makes every following call fail (to check error handling). */
  failing: boolean
}

export const fakeArea = (initial: Record<string, unknown> = {}): FakeArea => {
  const items = new Map<string, string>(Object.entries(initial).map(([k, v]) => [k, JSON.stringify(v)]))
  const area: FakeArea = {
    failing: false,
    dump: () => Object.fromEntries([...items].map(([k, v]) => [k, JSON.parse(v)])),
    get: async (keys) => {
      if (area.failing) throw new Error("QUOTA_BYTES quota exceeded")
      const wanted = keys === null ? [...items.keys()] : typeof keys === "string" ? [keys] : keys
      const out: Record<string, unknown> = {}
      for (const k of wanted) {
        const v = items.get(k)
        if (v !== undefined) out[k] = JSON.parse(v)
      }
      return out
    },
    set: async (values) => {
      if (area.failing) throw new Error("QUOTA_BYTES quota exceeded")
      for (const [k, v] of Object.entries(values)) items.set(k, JSON.stringify(v))
    },
    remove: async (keys) => {
      if (area.failing) throw new Error("QUOTA_BYTES quota exceeded")
      for (const k of typeof keys === "string" ? [keys] : keys) items.delete(k)
    },
    clear: async () => {
      if (area.failing) throw new Error("QUOTA_BYTES quota exceeded")
      items.clear()
    }
  }
  return area
}
