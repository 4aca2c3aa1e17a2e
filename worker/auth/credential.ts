import type { AppEnv } from "../env.ts";
import { verifyAccessToken } from "./access-token.ts";
import { looksLikeApiKey, parseApiKey } from "./api-key.ts";
import { secretsEqual, sha256Hex } from "./crypto.ts";
import type { CredentialScope } from "./token-audience.ts";

/** A guessable owner key would be worse than none: a shorter one authenticates nobody (fail closed). */
export const MIN_OWNER_KEY_LENGTH = 32;

/**
 * A credential as far as it can be checked without the database: the owner key compared, an API key
 * parsed and its secret hashed, a token's signature, audience, type and lifetime verified. Whether the
 * key still exists and its user is active is the database's to say, once, when a session opens; an open
 * session compares what is presented with what it recorded then.
 */
export type PresentedCredential =
  | { via: "owner-key" }
  | { via: "api-key"; keyId: string; secretHash: string }
  | { via: "access-token"; keyId: string; userId: string }
  /** A token an OAuth client obtained with the user's consent: it holds while its grant does. */
  | { via: "oauth"; grantId: string; clientId: string; userId: string };

export type AuthFailure = "missing" | "invalid";

/** Why a presented credential was refused, in the same words on every endpoint (it never says which check failed). */
export const INVALID_CREDENTIAL = "Invalid credential: the key or token is wrong, expired, revoked, or its user is disabled";
export type Presented = { ok: true; credential: PresentedCredential } | { ok: false; reason: AuthFailure };

export function bearerToken(authorization: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match?.[1] ?? null;
}

export async function presentCredential(env: AppEnv, where: CredentialScope, authorization: string | null | undefined): Promise<Presented> {
  const token = bearerToken(authorization);
  if (!token) return { ok: false, reason: "missing" };
  // A missing or short owner key authenticates nobody; it must not break every other credential either.
  const ownerKey = env.OWNER_KEY ?? "";
  if (ownerKey.length >= MIN_OWNER_KEY_LENGTH && (await secretsEqual(token, ownerKey))) return { ok: true, credential: { via: "owner-key" } };
  if (looksLikeApiKey(token)) {
    const parsed = parseApiKey(token);
    return parsed ? { ok: true, credential: { via: "api-key", keyId: parsed.keyId, secretHash: await sha256Hex(parsed.secret) } } : { ok: false, reason: "invalid" };
  }
  const claims = await verifyAccessToken(env.JWT_SIGNING_KEY, where, token);
  if (!claims) return { ok: false, reason: "invalid" };
  if ("grantId" in claims) return where.delegated ? { ok: true, credential: { via: "oauth", ...claims } } : { ok: false, reason: "invalid" };
  return { ok: true, credential: { via: "access-token", ...claims } };
}

const encoder = new TextEncoder();

/** Both are SHA-256 hex digests, of one length: compared in constant time as they are, with no hashing again. */
function hashesEqual(a: string, b: string): boolean {
  const [x, y] = [encoder.encode(a), encoder.encode(b)];
  return x.length === y.length && crypto.subtle.timingSafeEqual(x, y);
}

/** Whether a credential presented in an open session is the one that opened it (a new token from the same key or grant is). */
export function sameCredential(recorded: PresentedCredential, presented: PresentedCredential): boolean {
  if (recorded.via === "owner-key" || presented.via === "owner-key") return recorded.via === presented.via;
  if (recorded.via === "oauth" || presented.via === "oauth") {
    return recorded.via === "oauth" && presented.via === "oauth" && recorded.grantId === presented.grantId && recorded.userId === presented.userId;
  }
  if (recorded.keyId !== presented.keyId) return false;
  if (recorded.via === "api-key" && presented.via === "api-key") return hashesEqual(recorded.secretHash, presented.secretHash);
  if (recorded.via === "access-token" && presented.via === "access-token") return recorded.userId === presented.userId;
  // A session opened with a key may go on with a token minted from that key, and the reverse: both name the key.
  return true;
}
