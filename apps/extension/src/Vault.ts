/**
 * The credential vault: API keys, secrets, PEM keys and gateway tokens are kept in
 * `chrome.storage.local` only as AES-GCM ciphertext (256-bit key, random 96-bit IV per value, the
 * value's purpose as additional data), under a key derived from a passphrase with PBKDF2-SHA256
 * (310,000 iterations, random 128-bit salt). The passphrase itself is never stored; the derived key
 * is kept in `chrome.storage.session` (memory only, gone when the browser closes), so the passphrase
 * is asked once per browser session.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { base64ToBytes, bytesToBase64, randomBytes } from "./Bytes.js"
import { LocalStore, SessionStore } from "./ChromeStorage.js"

/** OWASP's recommendation for PBKDF2-HMAC-SHA256; never go below it. */
export const PBKDF2_ITERATIONS = 310_000
export const MIN_PASSPHRASE_LENGTH = 8
const SALT_BYTES = 16
const IV_BYTES = 12
const CHECK_TEXT = "marginctl vault check v1"
const CHECK_PURPOSE = "marginctl/vault-check"

const META_KEY = "vault"
const SESSION_KEY = "vault.key"

/** One encrypted value: base64 IV and base64 ciphertext (with its GCM tag). */
export const Sealed = Schema.Struct({ iv: Schema.String, data: Schema.String }).annotations({ identifier: "Sealed" })
export type Sealed = typeof Sealed.Type

export const VaultMeta = Schema.Struct({
  version: Schema.Literal(1),
  kdf: Schema.Literal("PBKDF2-SHA256"),
  iterations: Schema.Int.pipe(Schema.greaterThanOrEqualTo(PBKDF2_ITERATIONS)),
  salt: Schema.String,
  /** A known text sealed with the key: tells a wrong passphrase at unlock time. */
  check: Sealed
})
export type VaultMeta = typeof VaultMeta.Type

const SessionKey = Schema.Struct({ salt: Schema.String, key: Schema.String })

export type VaultStatus = "missing" | "locked" | "unlocked"

// ---------------------------------------------------------------------------------------------
// Errors (messages are plain words and never contain the passphrase or a secret)

export class VaultMissing extends Schema.TaggedError<VaultMissing>()("VaultMissing", {}) {
  get message() {
    return "no passphrase has been set up yet"
  }
}

export class VaultLocked extends Schema.TaggedError<VaultLocked>()("VaultLocked", {}) {
  get message() {
    return "the vault is locked: enter your passphrase"
  }
}

export class WrongPassphrase extends Schema.TaggedError<WrongPassphrase>()("WrongPassphrase", {}) {
  get message() {
    return "the passphrase is not correct"
  }
}

export class WeakPassphrase extends Schema.TaggedError<WeakPassphrase>()("WeakPassphrase", {
  minLength: Schema.Number
}) {
  get message() {
    return `the passphrase must be at least ${this.minLength} characters long`
  }
}

export class VaultExists extends Schema.TaggedError<VaultExists>()("VaultExists", {}) {
  get message() {
    return "a passphrase is already set up"
  }
}

/** Stored data that cannot be read back (storage failure, tampering, a value sealed for another purpose). */
export class VaultCorrupt extends Schema.TaggedError<VaultCorrupt>()("VaultCorrupt", { detail: Schema.String }) {
  get message() {
    return `stored credentials cannot be read (${this.detail})`
  }
}

export type VaultError = VaultMissing | VaultLocked | WrongPassphrase | WeakPassphrase | VaultExists | VaultCorrupt

// ---------------------------------------------------------------------------------------------
// Crypto (pure, WebCrypto; also runs on Node 20 for tests)

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const subtle = <A>(f: () => Promise<A>, detail: string): Effect.Effect<A, VaultCorrupt> =>
  Effect.tryPromise({ try: f, catch: () => new VaultCorrupt({ detail }) })

/** PBKDF2-SHA256 → 32 raw key bytes. */
export const deriveKeyBytes = (
  passphrase: Redacted.Redacted<string>,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number = PBKDF2_ITERATIONS
): Effect.Effect<Uint8Array<ArrayBuffer>, VaultCorrupt> =>
  subtle(async () => {
    const base = await crypto.subtle.importKey("raw", encoder.encode(Redacted.value(passphrase)), "PBKDF2", false, [
      "deriveBits"
    ])
    const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, 256)
    return new Uint8Array(bits)
  }, "the key could not be derived")

/** Imports raw key bytes as a non-extractable AES-GCM key. */
export const importKey = (raw: Uint8Array<ArrayBuffer>): Effect.Effect<CryptoKey, VaultCorrupt> =>
  subtle(
    () => crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]),
    "the stored key is not usable"
  )

/** Encrypts `plaintext` under `key`, binding it to `purpose` (additional authenticated data). */
export const seal = (key: CryptoKey, plaintext: string, purpose: string): Effect.Effect<Sealed, VaultCorrupt> =>
  subtle(async () => {
    const iv = randomBytes(IV_BYTES)
    const data = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(purpose) },
      key,
      encoder.encode(plaintext)
    )
    return { iv: bytesToBase64(iv), data: bytesToBase64(new Uint8Array(data)) }
  }, "the value could not be encrypted")

/**
 * Decrypts a sealed value. Fails with WrongPassphrase when the key (or the purpose) does not match:
 * AES-GCM authenticates, so a wrong key never yields garbage.
 */
export const open = (
  key: CryptoKey,
  sealed: Sealed,
  purpose: string
): Effect.Effect<Redacted.Redacted<string>, WrongPassphrase | VaultCorrupt> =>
  Effect.gen(function*() {
    const decoded = yield* Effect.try({
      try: () => ({ iv: base64ToBytes(sealed.iv), data: base64ToBytes(sealed.data) }),
      catch: () => new VaultCorrupt({ detail: "the stored value is not valid base64" })
    })
    if (decoded.iv.length !== IV_BYTES) return yield* new VaultCorrupt({ detail: "the stored IV has the wrong length" })
    const plain = yield* Effect.tryPromise({
      try: () => crypto.subtle.decrypt({ name: "AES-GCM", iv: decoded.iv, additionalData: encoder.encode(purpose) }, key, decoded.data),
      catch: () => new WrongPassphrase()
    })
    return Redacted.make(decoder.decode(plain))
  })

/** A new vault description for `passphrase`: fresh salt, check value sealed with the derived key. */
export const create = (
  passphrase: Redacted.Redacted<string>,
  iterations: number = PBKDF2_ITERATIONS
): Effect.Effect<{ readonly meta: VaultMeta; readonly keyBytes: Uint8Array<ArrayBuffer> }, WeakPassphrase | VaultCorrupt> =>
  Effect.gen(function*() {
    if ([...Redacted.value(passphrase)].length < MIN_PASSPHRASE_LENGTH) {
      return yield* new WeakPassphrase({ minLength: MIN_PASSPHRASE_LENGTH })
    }
    const salt = randomBytes(SALT_BYTES)
    const keyBytes = yield* deriveKeyBytes(passphrase, salt, iterations)
    const check = yield* seal(yield* importKey(keyBytes), CHECK_TEXT, CHECK_PURPOSE)
    const meta: VaultMeta = { version: 1, kdf: "PBKDF2-SHA256", iterations, salt: bytesToBase64(salt), check }
    return { meta, keyBytes }
  })

/** Derives the key of an existing vault from `passphrase`; WrongPassphrase when it does not open the check value. */
export const unlockWith = (
  meta: VaultMeta,
  passphrase: Redacted.Redacted<string>
): Effect.Effect<Uint8Array<ArrayBuffer>, WrongPassphrase | VaultCorrupt> =>
  Effect.gen(function*() {
    const salt = yield* Effect.try({
      try: () => base64ToBytes(meta.salt),
      catch: () => new VaultCorrupt({ detail: "the stored salt is not valid base64" })
    })
    const keyBytes = yield* deriveKeyBytes(passphrase, salt, meta.iterations)
    const text = yield* open(yield* importKey(keyBytes), meta.check, CHECK_PURPOSE)
    if (Redacted.value(text) !== CHECK_TEXT) return yield* new WrongPassphrase()
    return keyBytes
  })

// ---------------------------------------------------------------------------------------------
// Service

const corrupt = (detail: string) => () => new VaultCorrupt({ detail })

export class Vault extends Effect.Service<Vault>()("@marginctl/extension/Vault", {
  effect: Effect.gen(function*() {
    const local = (yield* LocalStore).forSchema(VaultMeta)
    const session = (yield* SessionStore).forSchema(SessionKey)

    const readMeta: Effect.Effect<Option.Option<VaultMeta>, VaultCorrupt> = local.get(META_KEY).pipe(
      Effect.mapError(corrupt("the vault settings cannot be read"))
    )

    const requireMeta: Effect.Effect<VaultMeta, VaultMissing | VaultCorrupt> = Effect.flatMap(
      readMeta,
      Option.match({ onNone: () => Effect.fail(new VaultMissing()), onSome: Effect.succeed })
    )

    /** The session key, only when it belongs to the current vault (same salt). */
    const sessionKey = (meta: VaultMeta): Effect.Effect<Option.Option<Uint8Array<ArrayBuffer>>> =>
      session.get(SESSION_KEY).pipe(
        Effect.map(Option.filter((s) => s.salt === meta.salt)),
        Effect.flatMap(Option.match({
          onNone: () => Effect.succeedNone,
          onSome: (s) => Effect.try(() => Option.some(base64ToBytes(s.key)))
        })),
        Effect.orElseSucceed(() => Option.none())
      )

    const keep = (meta: VaultMeta, keyBytes: Uint8Array) =>
      session.set(SESSION_KEY, { salt: meta.salt, key: bytesToBase64(keyBytes) }).pipe(
        Effect.mapError(corrupt("the session key cannot be kept"))
      )

    const status: Effect.Effect<VaultStatus, VaultCorrupt> = Effect.gen(function*() {
      const meta = yield* readMeta
      if (Option.isNone(meta)) return "missing"
      return Option.isSome(yield* sessionKey(meta.value)) ? "unlocked" : "locked"
    })

    /** The AES key, or VaultLocked / VaultMissing. */
    const key: Effect.Effect<CryptoKey, VaultMissing | VaultLocked | VaultCorrupt> = Effect.gen(function*() {
      const meta = yield* requireMeta
      const raw = yield* sessionKey(meta)
      if (Option.isNone(raw)) return yield* new VaultLocked()
      return yield* importKey(raw.value)
    })

    return {
      status,
      /** Sets up the vault with a new passphrase (and unlocks it for this session). */
      setup: (passphrase: Redacted.Redacted<string>): Effect.Effect<void, VaultExists | WeakPassphrase | VaultCorrupt> =>
        Effect.gen(function*() {
          if (Option.isSome(yield* readMeta)) return yield* new VaultExists()
          const { keyBytes, meta } = yield* create(passphrase)
          yield* local.set(META_KEY, meta).pipe(Effect.mapError(corrupt("the vault settings cannot be saved")))
          yield* keep(meta, keyBytes)
        }),
      /** Checks the passphrase and keeps the derived key for this browser session. */
      unlock: (passphrase: Redacted.Redacted<string>): Effect.Effect<void, VaultMissing | WrongPassphrase | VaultCorrupt> =>
        Effect.gen(function*() {
          const meta = yield* requireMeta
          const keyBytes = yield* unlockWith(meta, passphrase)
          yield* keep(meta, keyBytes)
        }),
      /** Forgets the session key. */
      lock: session.remove(SESSION_KEY).pipe(Effect.ignore),
      /** Removes the vault settings and the session key (stored ciphertext becomes unreadable). */
      reset: Effect.all([local.remove(META_KEY), session.remove(SESSION_KEY)], { discard: true }).pipe(
        Effect.mapError(corrupt("the vault could not be removed"))
      ),
      seal: (plaintext: Redacted.Redacted<string>, purpose: string) =>
        Effect.flatMap(key, (k) => seal(k, Redacted.value(plaintext), purpose)),
      open: (sealed: Sealed, purpose: string): Effect.Effect<Redacted.Redacted<string>, VaultError> =>
        Effect.flatMap(key, (k) =>
          open(k, sealed, purpose).pipe(
            // The check value opened, so the key is right: a failure here is a damaged or swapped value.
            Effect.catchTag("WrongPassphrase", () => Effect.fail(new VaultCorrupt({ detail: "a stored value does not match its account" })))
          ))
    } as const
  })
}) {}
