import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { NEVER_CACHED } from "../db/never-cached.ts";
import { apiKeys, oauthGrants, users } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { type GrantTokenClaims, verifyAccessToken } from "./access-token.ts";
import { looksLikeApiKey, parseApiKey } from "./api-key.ts";
import { secretsEqual, sha256Hex } from "./crypto.ts";
import type { DelegatedPrincipal, KeyPrincipal, Principal, UserPrincipal } from "./principal.ts";
import type { CredentialScope } from "./token-audience.ts";

/** A guessable owner key would be worse than none: a shorter one authenticates nobody (fail closed). */
export const MIN_OWNER_KEY_LENGTH = 32;

export type AuthFailure = "missing" | "invalid";
export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: AuthFailure };

export function bearerToken(authorization: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match?.[1] ?? null;
}

/**
 * Accepts the owner key, a user's API key, or an access token minted from one. Users and keys are
 * looked up on every request, so disabling a user or rotating a key takes effect at once.
 */
export async function authenticate(
  env: AppEnv,
  db: () => Database,
  where: CredentialScope,
  authorization: string | null | undefined,
): Promise<AuthResult> {
  const token = bearerToken(authorization);
  if (!token) return { ok: false, reason: "missing" };

  // A missing or short owner key authenticates nobody; it must not break every other credential either.
  const ownerKey = env.OWNER_KEY ?? "";
  if (ownerKey.length >= MIN_OWNER_KEY_LENGTH && (await secretsEqual(token, ownerKey))) {
    return { ok: true, principal: { via: "owner-key", role: "owner", userId: null } };
  }
  const principal = looksLikeApiKey(token)
    ? await authenticateApiKey(db(), token)
    : await authenticateAccessToken(env, db, where, token);
  return principal ? { ok: true, principal } : { ok: false, reason: "invalid" };
}

/** Verifies an API key and returns its active user, or null. */
export async function authenticateApiKey(db: Database, token: string): Promise<KeyPrincipal | null> {
  const parsed = parseApiKey(token);
  if (!parsed) return null;
  const row = await findActiveKey(db, parsed.keyId);
  if (!row || !(await secretsEqual(await sha256Hex(parsed.secret), row.secretHash))) return null;
  return { via: "api-key", role: row.role, userId: row.userId, keyId: parsed.keyId };
}

async function authenticateAccessToken(
  env: AppEnv,
  db: () => Database,
  where: CredentialScope,
  token: string,
): Promise<UserPrincipal | null> {
  const claims = await verifyAccessToken(env.JWT_SIGNING_KEY, where, token);
  if (!claims) return null;
  if ("grantId" in claims) return where.delegated ? authenticateGrant(db(), claims) : null;
  const row = await findActiveKey(db(), claims.keyId);
  if (!row || row.userId !== claims.userId) return null;
  return { via: "access-token", role: row.role, userId: row.userId, keyId: claims.keyId };
}

async function findActiveKey(db: Database, keyId: string) {
  const [row] = await db
    .select({ userId: users.id, role: users.role, secretHash: apiKeys.secretHash })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(and(eq(apiKeys.id, keyId), eq(users.status, "active"), NEVER_CACHED))
    .limit(1);
  return row;
}

/** A client's token holds while its grant is unrevoked, its user active, and the client the one it was issued to. */
async function authenticateGrant(db: Database, claims: GrantTokenClaims): Promise<DelegatedPrincipal | null> {
  const [row] = await db
    .select({ role: users.role, clientId: oauthGrants.clientId })
    .from(oauthGrants)
    .innerJoin(users, eq(users.id, oauthGrants.userId))
    .where(and(eq(oauthGrants.id, claims.grantId), eq(oauthGrants.userId, claims.userId), isNull(oauthGrants.revokedAt), eq(users.status, "active"), NEVER_CACHED))
    .limit(1);
  if (!row || row.clientId !== claims.clientId) return null;
  return { via: "oauth", role: row.role, userId: claims.userId, grantId: claims.grantId, clientId: claims.clientId };
}
