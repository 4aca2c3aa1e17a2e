import { base64Url } from "../auth/crypto.ts";
import { decodeBase64Url } from "../vault/base64.ts";
import { derivedMac } from "../auth/derived-mac.ts";

/** 22 random bytes and a 10-byte MAC of them: 32 bytes, 43 base64url characters, as session ids always were. */
const RANDOM_BYTES = 22;
const MAC_BYTES = 10;
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The MAC key is derived from JWT_SIGNING_KEY, a secret every deployment has; rotating that secret
 * therefore ends open sessions, and clients start new ones as after any 404.
 */
async function mac(secret: string, random: Uint8Array): Promise<Uint8Array> {
  return (await derivedMac(secret, "peta-core mcp session id", random)).subarray(0, MAC_BYTES);
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
