/**
 * Accounts as the options page configures them, stored in `chrome.storage.local`. Every credential
 * (API key with HMAC secret or PEM private key; gateway token) is sealed by the Vault, bound to its
 * account id; the record itself holds only names, URLs and the key type.
 */
import * as Signer from "@marginctl/core/Signer"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { LocalStore } from "./ChromeStorage.js"
import { baseUrlOf, checkUrl, type Environment } from "./Hosts.js"
import { Sealed, Vault, type VaultError } from "./Vault.js"

export const EnvironmentSchema = Schema.Literal("prod", "testnet", "demo", "custom")

export const DirectAccount = Schema.TaggedStruct("direct", {
  id: Schema.String,
  name: Schema.String,
  environment: EnvironmentSchema,
  /** Binance base URL (from the environment, or the custom URL). */
  baseUrl: Schema.String,
  keyType: Schema.Literal("HMAC", "RSA", "ED25519"),
  /** Sealed JSON of DirectCredentials. */
  credentials: Sealed
})
export type DirectAccount = typeof DirectAccount.Type

export const GatewayAccount = Schema.TaggedStruct("gateway", {
  id: Schema.String,
  name: Schema.String,
  gatewayUrl: Schema.String,
  /** The account's name on the gateway. */
  gatewayAccount: Schema.String,
  /** Sealed bearer token. */
  credentials: Sealed
})
export type GatewayAccount = typeof GatewayAccount.Type

export const Account = Schema.Union(DirectAccount, GatewayAccount)
export type Account = typeof Account.Type

const AccountList = Schema.Array(Account)

/** What the sealed credentials of a direct account decrypt to. */
export const DirectCredentials = Schema.Struct({ apiKey: Schema.String, key: Schema.String })

const ACCOUNTS_KEY = "accounts"
const SELECTED_KEY = "selectedAccount"

export const purposeOf = (id: string): string => `marginctl/credentials/${id}`

/** A field the person typed is not acceptable: names the field and says what is. */
export class InvalidField extends Schema.TaggedError<InvalidField>()("InvalidField", {
  field: Schema.String,
  reason: Schema.String
}) {
  get message() {
    return `${this.field} ${this.reason}`
  }
}

export class AccountNotFound extends Schema.TaggedError<AccountNotFound>()("AccountNotFound", { id: Schema.String }) {
  get message() {
    return "this account no longer exists"
  }
}

export class StorageFailed extends Schema.TaggedError<StorageFailed>()("StorageFailed", { action: Schema.String }) {
  get message() {
    return `the browser's storage could not ${this.action}`
  }
}

export interface NewDirectAccount {
  readonly backend: "direct"
  readonly name: string
  readonly environment: Environment
  readonly customUrl?: string | undefined
  readonly apiKey: Redacted.Redacted<string>
  /** An HMAC secret or a PEM private key (RSA or Ed25519): the key itself decides. */
  readonly key: Redacted.Redacted<string>
}

export interface NewGatewayAccount {
  readonly backend: "gateway"
  readonly name: string
  readonly gatewayUrl: string
  readonly gatewayAccount: string
  readonly token: Redacted.Redacted<string>
}

export type NewAccount = NewDirectAccount | NewGatewayAccount

const NAME_MAX = 40
const GATEWAY_ACCOUNT = /^[A-Za-z0-9_.-]{1,64}$/
const API_KEY = /^[\x21-\x7e]{1,256}$/

/** The origin a new account will talk to, and whether the manifest already grants it. */
export const targetOf = (input: NewAccount): Either.Either<{ url: string; origin: string; granted: boolean }, InvalidField> => {
  if (input.backend === "gateway") {
    const check = checkUrl(input.gatewayUrl)
    return check._tag === "Ok" ? Either.right(check) : Either.left(new InvalidField({ field: "Gateway URL", reason: check.reason }))
  }
  if (input.environment !== "custom") {
    const url = baseUrlOf(input.environment)
    return Either.right({ url, origin: url, granted: true })
  }
  const check = checkUrl(input.customUrl ?? "")
  return check._tag === "Ok" ? Either.right(check) : Either.left(new InvalidField({ field: "Custom URL", reason: check.reason }))
}

/** Checks everything but the name's uniqueness; returns the key type of a direct account's key. */
export const validate = (input: NewAccount): Either.Either<Signer.KeyType | null, InvalidField> => {
  const name = input.name.trim()
  if (name.length === 0) return Either.left(new InvalidField({ field: "Name", reason: "is required" }))
  if (name.length > NAME_MAX) return Either.left(new InvalidField({ field: "Name", reason: `must be at most ${NAME_MAX} characters` }))
  const target = targetOf(input)
  if (Either.isLeft(target)) return Either.left(target.left)
  if (input.backend === "gateway") {
    if (!GATEWAY_ACCOUNT.test(input.gatewayAccount.trim())) {
      return Either.left(new InvalidField({ field: "Gateway account", reason: "must be 1-64 characters of A-Z a-z 0-9 - _ ." }))
    }
    if (Redacted.value(input.token).trim().length === 0) return Either.left(new InvalidField({ field: "Token", reason: "is required" }))
    return Either.right(null)
  }
  if (!API_KEY.test(Redacted.value(input.apiKey).trim())) {
    return Either.left(new InvalidField({ field: "API key", reason: "is required and must not contain spaces" }))
  }
  const key = Redacted.value(input.key).trim()
  if (key.length === 0) return Either.left(new InvalidField({ field: "Secret or private key", reason: "is required" }))
  if (!key.startsWith("-----BEGIN")) return Either.right("HMAC")
  return Either.mapLeft(
    Signer.detectKeyType(key),
    (e) => new InvalidField({ field: "Private key", reason: `cannot be used: ${e.detail}` })
  )
}

export interface AccountSummary {
  readonly id: string
  readonly name: string
  readonly backend: "direct" | "gateway"
  /** "Production", "Testnet", "Demo", the custom host, or the gateway host. */
  readonly where: string
}

export const summaryOf = (a: Account): AccountSummary => ({
  id: a.id,
  name: a.name,
  backend: a._tag,
  where: a._tag === "gateway"
    ? `gateway ${new URL(a.gatewayUrl).host}`
    : a.environment === "custom"
    ? new URL(a.baseUrl).host
    : a.environment === "prod"
    ? "Production"
    : a.environment === "testnet"
    ? "Testnet"
    : "Demo"
})

export class AccountStore extends Effect.Service<AccountStore>()("@marginctl/extension/AccountStore", {
  effect: Effect.gen(function*() {
    const store = yield* LocalStore
    const vault = yield* Vault
    const accounts = store.forSchema(AccountList)

    const list: Effect.Effect<ReadonlyArray<Account>, StorageFailed> = accounts.get(ACCOUNTS_KEY).pipe(
      Effect.map(Option.getOrElse(() => [])),
      Effect.mapError(() => new StorageFailed({ action: "read the accounts" }))
    )

    const save = (all: ReadonlyArray<Account>) =>
      accounts.set(ACCOUNTS_KEY, all).pipe(Effect.mapError(() => new StorageFailed({ action: "save the accounts" })))

    const get = (id: string): Effect.Effect<Account, AccountNotFound | StorageFailed> =>
      Effect.flatMap(list, (all) => {
        const found = all.find((a) => a.id === id)
        return found === undefined ? Effect.fail(new AccountNotFound({ id })) : Effect.succeed(found)
      })

    const add = (input: NewAccount): Effect.Effect<Account, InvalidField | StorageFailed | VaultError> =>
      Effect.gen(function*() {
        const keyType = yield* validate(input)
        const all = yield* list
        const name = input.name.trim()
        if (all.some((a) => a.name.toLowerCase() === name.toLowerCase())) {
          return yield* new InvalidField({ field: "Name", reason: `"${name}" is already used by another account` })
        }
        const target = yield* targetOf(input)
        const id = crypto.randomUUID()
        let account: Account
        if (input.backend === "gateway") {
          account = {
            _tag: "gateway",
            id,
            name,
            gatewayUrl: target.url,
            gatewayAccount: input.gatewayAccount.trim(),
            credentials: yield* vault.seal(Redacted.make(Redacted.value(input.token).trim()), purposeOf(id))
          }
        } else {
          const plaintext = JSON.stringify({ apiKey: Redacted.value(input.apiKey).trim(), key: Redacted.value(input.key).trim() })
          account = {
            _tag: "direct",
            id,
            name,
            environment: input.environment,
            baseUrl: target.url,
            keyType: keyType ?? "HMAC",
            credentials: yield* vault.seal(Redacted.make(plaintext), purposeOf(id))
          }
        }
        yield* save([...all, account])
        return account
      })

    const remove = (id: string): Effect.Effect<void, StorageFailed> =>
      Effect.flatMap(list, (all) => save(all.filter((a) => a.id !== id)))

    /** Removes every account (after a forgotten passphrase their credentials cannot be opened anyway). */
    const removeAll: Effect.Effect<void, StorageFailed> = Effect.all([
      store.remove(ACCOUNTS_KEY),
      store.remove(SELECTED_KEY)
    ], { discard: true }).pipe(Effect.mapError(() => new StorageFailed({ action: "remove the accounts" })))

    /** The selected account (the first one when none is selected or the selected one was removed). */
    const selected: Effect.Effect<Option.Option<Account>, StorageFailed> = Effect.gen(function*() {
      const all = yield* list
      const id = yield* store.get(SELECTED_KEY).pipe(Effect.orElseSucceed(() => Option.none<string>()))
      return Option.orElse(
        Option.flatMap(id, (i) => Option.fromNullable(all.find((a) => a.id === i))),
        () => Option.fromNullable(all[0])
      )
    })

    const select = (id: string): Effect.Effect<void, AccountNotFound | StorageFailed> =>
      Effect.zipRight(
        get(id),
        store.set(SELECTED_KEY, id).pipe(Effect.mapError(() => new StorageFailed({ action: "remember the selected account" })))
      )

    /** The decrypted credentials of a direct account. */
    const directCredentials = (a: DirectAccount) =>
      vault.open(a.credentials, purposeOf(a.id)).pipe(
        Effect.flatMap((text) =>
          Schema.decodeUnknown(Schema.parseJson(DirectCredentials))(Redacted.value(text)).pipe(
            Effect.mapError(() => new StorageFailed({ action: "read the stored credentials" }))
          )
        ),
        Effect.map((c) => ({ apiKey: Redacted.make(c.apiKey), key: Redacted.make(c.key) }))
      )

    /** The decrypted token of a gateway account. */
    const gatewayToken = (a: GatewayAccount) => vault.open(a.credentials, purposeOf(a.id))

    return { list, get, add, remove, removeAll, selected, select, directCredentials, gatewayToken } as const
  })
}) {}
