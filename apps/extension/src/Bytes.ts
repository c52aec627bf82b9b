/** Base64 helpers for byte arrays (storage and the vault). */

type Bytes = Uint8Array<ArrayBuffer>

export const bytesToBase64 = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/** Standard base64 → bytes; throws on malformed input (callers decode stored values they wrote). */
export const base64ToBytes = (text: string): Bytes => {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

export const randomBytes = (length: number): Bytes => crypto.getRandomValues(new Uint8Array(length))
