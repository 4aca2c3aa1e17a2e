import { decodeBase64Url, encodeBase64Url } from "./base64.ts";
import { VaultError } from "./errors.ts";
import { KEY_ID_PATTERN, type KeyRing } from "./keyring.ts";

/** Where a record lives. Bound into the ciphertext, so a value copied to another place will not open. */
export interface RecordPlace {
  kind: "server-secret" | "user-value" | "server-config" | "instance-launch";
  owner: string;
  name: string;
}

const VERSION = "pv1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }); // keep a leading U+FEFF: round trips are exact

/** Encrypts with the ring's active key: `pv1.<keyId>.<iv>.<ciphertext+tag>`, base64url parts. */
export async function encryptRecord(ring: KeyRing, place: RecordPlace, plaintext: string): Promise<string> {
  // A fresh random 96-bit IV per record: GCM's security rests on never reusing one under a key.
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: aad(ring.activeKeyId, place) },
    ring.encryptKey,
    encoder.encode(plaintext),
  );
  return [VERSION, ring.activeKeyId, encodeBase64Url(iv), encodeBase64Url(new Uint8Array(sealed))].join(".");
}

/** Opens a record written for exactly this place, under any key still in the ring; fails closed otherwise. */
export async function decryptRecord(ring: KeyRing, place: RecordPlace, envelope: string): Promise<string> {
  const parts = parseEnvelope(envelope);
  const key = ring.decryptKey(parts.keyId);
  if (!key) throw new VaultError(`cannot decrypt ${place.kind} ${place.name}: encrypted with key ${parts.keyId}, which is not in VAULT_KEYS`);
  let opened: ArrayBuffer;
  try {
    opened = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: parts.iv, additionalData: aad(parts.keyId, place) },
      key,
      parts.sealed,
    );
  } catch {
    // GCM cannot tell these apart, and the message must not hint at more than it knows.
    throw new VaultError(`cannot decrypt ${place.kind} ${place.name}: wrong key, tampered, or moved from another record`);
  }
  try {
    return decoder.decode(opened);
  } catch {
    throw new VaultError(`cannot decrypt ${place.kind} ${place.name}: the plaintext is not UTF-8`);
  }
}

/** The id of the key that sealed an envelope, or null when it is not a pv1 envelope. Lets rotation find stale records. */
export function envelopeKeyId(envelope: string): string | null {
  const parts = envelope.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) return null;
  const keyId = parts[1] as string;
  return KEY_ID_PATTERN.test(keyId) ? keyId : null;
}

function parseEnvelope(envelope: string): { keyId: string; iv: Uint8Array; sealed: Uint8Array } {
  const parts = envelope.split(".");
  if (parts.length >= 1 && /^pv\d+$/.test(parts[0] as string) && parts[0] !== VERSION) {
    throw new VaultError(`cannot decrypt: unknown envelope version "${parts[0]}"`);
  }
  if (parts.length !== 4 || parts[0] !== VERSION) throw malformed("it is not pv1.<keyId>.<iv>.<ciphertext>");
  const [, keyId, ivText, sealedText] = parts as [string, string, string, string];
  if (!KEY_ID_PATTERN.test(keyId)) throw malformed("the key id is invalid");
  const iv = decodeBase64Url(ivText);
  if (iv === null || iv.length !== IV_BYTES) throw malformed(`the IV is not ${IV_BYTES} bytes of base64url`);
  const sealed = decodeBase64Url(sealedText);
  if (sealed === null || sealed.length < TAG_BYTES) throw malformed("the ciphertext is not base64url or is too short");
  return { keyId, iv, sealed };
}

// Never echoes the envelope: it is ciphertext, but there is no reason to spread it into logs.
function malformed(why: string): VaultError {
  return new VaultError(`cannot decrypt: malformed envelope (${why})`);
}

/**
 * Additional authenticated data: version, key id and place. JSON array encoding keeps the fields
 * unambiguous, so owner "a|b" + name "c" cannot collide with owner "a" + name "b|c".
 */
function aad(keyId: string, place: RecordPlace): Uint8Array {
  return encoder.encode(JSON.stringify([VERSION, keyId, place.kind, place.owner, place.name]));
}
