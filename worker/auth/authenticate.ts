import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { NEVER_CACHED } from "../db/never-cached.ts";
import { apiKeys, oauthGrants, users } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { parseApiKey } from "./api-key.ts";
import { type AuthFailure, type PresentedCredential, presentCredential } from "./credential.ts";
import { secretsEqual, sha256Hex } from "./crypto.ts";
import type { DelegatedPrincipal, KeyPrincipal, Principal } from "./principal.ts";
import type { CredentialScope } from "./token-audience.ts";

export type AuthResult = { ok: true; principal: Principal; credential: PresentedCredential } | { ok: false; reason: AuthFailure };

/**
 * Accepts the owner key, a user's API key, an access token minted from one, or (where the scope allows)
 * a token an OAuth client obtained. The key or grant is looked up with its user, so a disabled user, a
 * rotated key or a revoked grant is refused at once; open MCP sessions are told of such changes instead
 * (worker/users/live-sessions.ts), so their requests need not ask the database.
 */
export async function authenticate(env: AppEnv, db: () => Database, where: CredentialScope, authorization: string | null | undefined): Promise<AuthResult> {
  const presented = await presentCredential(env, where, authorization);
  if (!presented.ok) return presented;
  const { credential } = presented;
  const principal = await principalOf(db, credential);
  return principal ? { ok: true, principal, credential } : { ok: false, reason: "invalid" };
}

/** Who a credential names now, if it is still valid: also how an open session re-checks the one that opened it. */
export async function principalOf(db: () => Database, credential: PresentedCredential): Promise<Principal | null> {
  switch (credential.via) {
    case "owner-key":
      return { via: "owner-key", role: "owner", userId: null };
    case "oauth":
      return authenticateGrant(db(), credential);
    case "api-key":
    case "access-token": {
      const row = await findActiveKey(db(), credential.keyId);
      const valid = row !== undefined && (credential.via === "api-key" ? await secretsEqual(credential.secretHash, row.secretHash) : row.userId === credential.userId);
      return valid ? { via: credential.via, role: row.role, userId: row.userId, keyId: credential.keyId } : null;
    }
  }
}

/** Verifies an API key and returns its active user, or null. */
export async function authenticateApiKey(db: Database, token: string): Promise<KeyPrincipal | null> {
  const parsed = parseApiKey(token);
  if (!parsed) return null;
  const row = await findActiveKey(db, parsed.keyId);
  if (!row || !(await secretsEqual(await sha256Hex(parsed.secret), row.secretHash))) return null;
  return { via: "api-key", role: row.role, userId: row.userId, keyId: parsed.keyId };
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
async function authenticateGrant(db: Database, claims: { grantId: string; clientId: string; userId: string }): Promise<DelegatedPrincipal | null> {
  const [row] = await db
    .select({ role: users.role, clientId: oauthGrants.clientId, apiKeyId: oauthGrants.apiKeyId })
    .from(oauthGrants)
    .innerJoin(users, eq(users.id, oauthGrants.userId))
    .where(and(eq(oauthGrants.id, claims.grantId), eq(oauthGrants.userId, claims.userId), isNull(oauthGrants.revokedAt), eq(users.status, "active"), NEVER_CACHED))
    .limit(1);
  if (!row || row.clientId !== claims.clientId) return null;
  return { via: "oauth", role: row.role, userId: claims.userId, grantId: claims.grantId, clientId: claims.clientId, keyId: row.apiKeyId };
}
