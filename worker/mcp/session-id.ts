import { base64Url } from "../auth/crypto.ts";
import { decodeBase64Url } from "../vault/base64.ts";

/** 22 random bytes and a 10-byte MAC of them: 32 bytes, 43 base64url characters, as session ids always were. */
const RANDOM_BYTES = 22;
const MAC_BYTES = 10;
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const encoder = new TextEncoder();
// One derived key per secret text, per isolate: importing is the costly part of an HMAC.
const keys = new Map<string, Promise<CryptoKey>>();

/**
 * The MAC key is derived (HKDF) from JWT_SIGNING_KEY, a secret every deployment has; rotating that secret
 * therefore ends open sessions, and clients start new ones as after any 404.
 */
function macKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode("peta-core mcp session id") },
          base,
          { name: "HMAC", hash: "SHA-256", length: 256 },
          false,
          ["sign"],
        ),
      );
    keys.set(secret, key);
  }
  return key;
}

async function mac(secret: string, random: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await macKey(secret), random)).subarray(0, MAC_BYTES);
}

/** A new unguessable session id that this deployment's Workers can recognise without waking any object. */
export async function newSessionId(secret: string): Promise<string> {
  const random = crypto.getRandomValues(new Uint8Array(RANDOM_BYTES));
  const id = new Uint8Array(RANDOM_BYTES + MAC_BYTES);
  id.set(random);
  id.set(await mac(secret, random), RANDOM_BYTES);
  return base64Url(id);
}

/** Whether an id was issued here. A forged or random one is refused before any Durable Object (and its storage) exists. */
export async function isIssuedSessionId(secret: string, candidate: string): Promise<boolean> {
  if (!ID_PATTERN.test(candidate)) return false;
  const bytes = decodeBase64Url(candidate);
  if (!bytes || bytes.length !== RANDOM_BYTES + MAC_BYTES) return false;
  const expected = await mac(secret, bytes.subarray(0, RANDOM_BYTES));
  return crypto.subtle.timingSafeEqual(expected, bytes.subarray(RANDOM_BYTES));
}
