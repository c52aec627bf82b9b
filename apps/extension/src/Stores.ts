/**
 * The accounts and the vault over the browser's storage (`chrome.storage.local` and `.session`): the
 * services the worker and the options page both use, wired once here.
 */
import * as Layer from "effect/Layer"
import { AccountStore } from "./Accounts.js"
import * as ChromeStorage from "./ChromeStorage.js"
import { Vault } from "./Vault.js"

export const layerChrome: Layer.Layer<AccountStore | Vault> = AccountStore.Default.pipe(
  Layer.provideMerge(Vault.Default),
  Layer.provide(ChromeStorage.layerChrome)
)
