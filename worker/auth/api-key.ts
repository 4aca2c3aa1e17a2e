import { randomBase64Url, sha256Hex } from "./crypto.ts";

const KEY_PATTERN = /^pk_([A-Za-z0-9_-]{16})_([A-Za-z0-9_-]{43})$/;

export interface IssuedApiKey {
  /** The full key, shown to its user once and never stored. */
  apiKey: string;
  keyId: string;
  secretHash: string;
}

/** `pk_<16-char id>_<43-char secret>`: the secret alone carries 256 bits of randomness. */
export async function issueApiKey(): Promise<IssuedApiKey> {
  const keyId = randomBase64Url(12);
  const secret = randomBase64Url(32);
  return { apiKey: `pk_${keyId}_${secret}`, keyId, secretHash: await sha256Hex(secret) };
}

export interface ParsedApiKey {
  keyId: string;
  secret: string;
}

export function parseApiKey(candidate: string): ParsedApiKey | null {
  const match = KEY_PATTERN.exec(candidate);
  if (!match?.[1] || !match[2]) return null;
  return { keyId: match[1], secret: match[2] };
}

export function looksLikeApiKey(candidate: string): boolean {
  return candidate.startsWith("pk_");
}
