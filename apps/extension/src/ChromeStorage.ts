/**
 * `KeyValueStore` over a `chrome.storage` area. Strings are stored as they are; byte arrays as
 * `{ "$bytes": "<base64>" }` (chrome.storage keeps JSON values only). Works in extension pages and in
 * the service worker (which has no `localStorage`).
 *
 * Two areas are used: `local` (accounts, the vault's salt and check value, the selected account) and
 * `session` (the key derived from the passphrase: memory only, cleared when the browser closes).
 */
import * as PlatformError from "@effect/platform/Error"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { base64ToBytes, bytesToBase64 } from "./Bytes.js"

/** The subset of `chrome.storage.StorageArea` used here (a fake implements it in tests). */
export interface StorageArea {
  get(keys: string | Array<string> | null): Promise<Record<string, unknown>>
  set(items: Record<string, unknown>): Promise<void>
  remove(keys: string | Array<string>): Promise<void>
  clear(): Promise<void>
}

interface BytesValue {
  readonly $bytes: string
}

const isBytesValue = (u: unknown): u is BytesValue =>
  typeof u === "object" && u !== null && typeof (u as { $bytes?: unknown }).$bytes === "string"

const failure = (method: string, cause: unknown) =>
  new PlatformError.SystemError({
    reason: "Unknown",
    module: "KeyValueStore",
    method,
    description: "chrome.storage refused the operation",
    cause
  })

const attempt = <A>(method: string, f: () => Promise<A>): Effect.Effect<A, PlatformError.PlatformError> =>
  Effect.tryPromise({ try: f, catch: (cause) => failure(method, cause) })

/** A KeyValueStore over `area`. */
export const make = (area: StorageArea): KeyValueStore.KeyValueStore =>
  KeyValueStore.make({
    get: (key) =>
      attempt("get", () => area.get(key)).pipe(
        Effect.flatMap((items) => {
          const value = items[key]
          if (typeof value === "string") return Effect.succeed(Option.some(value))
          if (!isBytesValue(value)) return Effect.succeedNone
          return Effect.try({
            try: () => Option.some(new TextDecoder().decode(base64ToBytes(value.$bytes))),
            catch: (cause) => failure("get", cause)
          })
        })
      ),
    getUint8Array: (key) =>
      attempt("getUint8Array", () => area.get(key)).pipe(
        Effect.flatMap((items) => {
          const value = items[key]
          if (typeof value === "string") return Effect.succeed(Option.some<Uint8Array>(new TextEncoder().encode(value)))
          if (!isBytesValue(value)) return Effect.succeedNone
          return Effect.try({
            try: () => Option.some<Uint8Array>(base64ToBytes(value.$bytes)),
            catch: (cause) => failure("getUint8Array", cause)
          })
        })
      ),
    set: (key, value) =>
      attempt("set", () =>
        area.set({ [key]: typeof value === "string" ? value : ({ $bytes: bytesToBase64(value) } satisfies BytesValue) })),
    remove: (key) => attempt("remove", () => area.remove(key)),
    clear: attempt("clear", () => area.clear()),
    size: Effect.map(attempt("size", () => area.get(null)), (items) => Object.keys(items).length)
  })

/** The persistent store (`chrome.storage.local`). */
export class LocalStore extends Context.Tag("@marginctl/extension/LocalStore")<LocalStore, KeyValueStore.KeyValueStore>() {}

/** The per-browser-session store (`chrome.storage.session`, memory only). */
export class SessionStore extends Context.Tag("@marginctl/extension/SessionStore")<SessionStore, KeyValueStore.KeyValueStore>() {}

/** Both stores over the real `chrome.storage` areas. */
export const layerChrome: Layer.Layer<LocalStore | SessionStore> = Layer.mergeAll(
  Layer.sync(LocalStore, () => make(chrome.storage.local)),
  Layer.sync(SessionStore, () => make(chrome.storage.session))
)

/** Both stores over given areas (tests use in-memory fakes). */
export const layerAreas = (areas: { readonly local: StorageArea; readonly session: StorageArea }): Layer.Layer<
  LocalStore | SessionStore
> =>
  Layer.mergeAll(
    Layer.succeed(LocalStore, make(areas.local)),
    Layer.succeed(SessionStore, make(areas.session))
  )
