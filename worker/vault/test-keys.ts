// Test-only helpers: fresh random keys in VAULT_KEYS format.
import { encodeBase64 } from "./base64.ts";

export function randomKey(bytes = 32): string {
  return encodeBase64(crypto.getRandomValues(new Uint8Array(bytes)));
}

export function vaultKeys(...entries: { id: string; key: string }[]): string {
  return JSON.stringify(entries);
}
