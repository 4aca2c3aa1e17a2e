import { decodeBase64Lenient } from "./base64.ts";
import { VaultError } from "./errors.ts";

export interface KeyRing {
  /** The newest key: every new record is encrypted with it. */
  activeKeyId: string;
  /** Every key id, newest first. */
  keyIds: string[];
  encryptKey: CryptoKey;
  /** Older keys stay here so records written before a rotation still open. */
  decryptKey(id: string): CryptoKey | undefined;
}

export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_BYTES = 32;

let cached: { source: string | undefined; ring: Promise<KeyRing> } | undefined;

/**
 * `VAULT_KEYS` is a JSON array of `{ "id", "key" }`, newest first; `key` is 32 random bytes in base64.
 * Parsing and importing happens once per isolate (per distinct source string).
 */
export function loadKeyRing(source: string | undefined): Promise<KeyRing> {
  // Compare through `cached === undefined` too: an unset source must not match an empty cache.
  if (cached === undefined || cached.source !== source) cached = { source, ring: importRing(source) };
  return cached.ring;
}

async function importRing(source: string | undefined): Promise<KeyRing> {
  const entries = parseEntries(source);
  const decryptKeys = new Map<string, CryptoKey>();
  for (const { id, bytes } of entries) decryptKeys.set(id, await importAesKey(bytes, "decrypt"));
  // parseEntries guarantees at least one entry.
  const active = entries[0] as { id: string; bytes: Uint8Array };
  // Only the active key may encrypt: a retired key can open old records but never write new ones.
  const encryptKey = await importAesKey(active.bytes, "encrypt");
  return {
    activeKeyId: active.id,
    keyIds: entries.map((entry) => entry.id),
    encryptKey,
    decryptKey: (id) => decryptKeys.get(id),
  };
}

function importAesKey(bytes: Uint8Array, usage: "encrypt" | "decrypt"): Promise<CryptoKey> {
  // Non-extractable: nothing that gets hold of the CryptoKey can read the bytes back.
  return crypto.subtle.importKey("raw", bytes, { name: "AES-GCM" }, false, [usage]);
}

function parseEntries(source: string | undefined): { id: string; bytes: Uint8Array }[] {
  if (source === undefined || source.trim() === "") throw misconfigured("it is not set");
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    throw misconfigured("it is not JSON");
  }
  if (!Array.isArray(parsed)) throw misconfigured('it must be a JSON array of {"id","key"}, newest first');
  if (parsed.length === 0) throw misconfigured("it holds no key");
  const seen = new Set<string>();
  return parsed.map((entry: unknown, index) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw misconfigured(`entry ${index} is not an object`);
    }
    const { id, key } = entry as { id?: unknown; key?: unknown };
    if (typeof id !== "string" || !KEY_ID_PATTERN.test(id)) {
      throw misconfigured(`entry ${index} needs an "id" of 1 to 32 letters, digits, "_" or "-"`);
    }
    if (seen.has(id)) throw misconfigured(`entry ${index} repeats the id "${id}"`);
    seen.add(id);
    if (typeof key !== "string") throw misconfigured(`entry ${index} ("${id}") has no "key" string`);
    const bytes = decodeBase64Lenient(key);
    if (bytes === null) throw misconfigured(`entry ${index} ("${id}") has a "key" that is not base64`);
    if (bytes.length !== KEY_BYTES) {
      throw misconfigured(`entry ${index} ("${id}") has a ${bytes.length}-byte key; it must be ${KEY_BYTES} bytes`);
    }
    return { id, bytes };
  });
}

// The message names what is wrong and where, never the key material.
function misconfigured(why: string): VaultError {
  return new VaultError(`VAULT_KEYS is misconfigured: ${why}`);
}
