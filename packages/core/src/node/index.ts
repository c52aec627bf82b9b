export * as NodeClient from "./NodeClient.js"
export * as NodeSigner from "./NodeSigner.js"
export * as UndiciHttpClient from "./UndiciHttpClient.js"
export * as EncryptedPem from "./EncryptedPem.js"
