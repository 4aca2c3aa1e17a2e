import { and, eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { NEVER_CACHED } from "../db/never-cached.ts";
import { apiKeys, users } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import type { TokenAudience } from "./access-token.ts";
import { parseApiKey } from "./api-key.ts";
import { type AuthFailure, type PresentedCredential, presentCredential } from "./credential.ts";
import { secretsEqual, sha256Hex } from "./crypto.ts";
import type { Principal, UserPrincipal } from "./principal.ts";

export type AuthResult = { ok: true; principal: Principal; credential: PresentedCredential } | { ok: false; reason: AuthFailure };

/**
 * Accepts the owner key, a user's API key, or an access token minted from one. The key is looked up
 * with its user, so a disabled user or a rotated key is refused at once; open sessions are told of such
 * changes instead (worker/users/live-sessions.ts), so their requests need not ask the database.
 */
export async function authenticate(env: AppEnv, db: () => Database, where: TokenAudience, authorization: string | null | undefined): Promise<AuthResult> {
  const presented = await presentCredential(env, where, authorization);
  if (!presented.ok) return presented;
  const { credential } = presented;
  if (credential.via === "owner-key") return { ok: true, principal: { via: "owner-key", role: "owner", userId: null }, credential };
  const row = await findActiveKey(db(), credential.keyId);
  const valid =
    row !== undefined && (credential.via === "api-key" ? await secretsEqual(credential.secretHash, row.secretHash) : row.userId === credential.userId);
  if (!valid) return { ok: false, reason: "invalid" };
  return { ok: true, principal: { via: credential.via, role: row.role, userId: row.userId, keyId: credential.keyId }, credential };
}

/** Verifies an API key and returns its active user, or null. */
export async function authenticateApiKey(db: Database, token: string): Promise<UserPrincipal | null> {
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
