import { and, eq, isNull } from "drizzle-orm";
import { type MutationContext, runAudited } from "../../audit/mutation.ts";
import type { Database } from "../../db/client.ts";
import { oauthCodes, oauthGrants, oauthRefreshTokens, type UserRole, users } from "../../db/schema.ts";
import { randomBase64Url, sha256Hex } from "../crypto.ts";
import { OAuthError } from "./errors.ts";
import { serverIdOfResource } from "./resource.ts";
import { type ReadTicket, spendTicket } from "./ticket.ts";
import type { AppEnv } from "../../env.ts";
import { pushUserChange } from "../../users/live-sessions.ts";

/** RFC 9700 §2.1.1 asks for short-lived codes: a client redeems its code as soon as the redirect arrives. */
export const AUTHORIZATION_CODE_TTL_SECONDS = 120;
/** Each refresh token lasts this long unless used; using one replaces it, so an active client never expires. */
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

/** A grant as the audit chain and the token endpoint see it: whose, to which client, for what. */
export interface GrantSubject {
  grantId: string;
  userId: string;
  role: UserRole;
  clientId: string;
  resource: string;
}

/** The admin-chain record of an OAuth event: `oauth/<NAME>`, by the user whose grant it is; never a token. */
export function oauthMutation(name: string, grant: GrantSubject, ip: string | null, extra: Record<string, unknown> = {}): MutationContext {
  return {
    method: `oauth/${name}`,
    name,
    serverId: serverIdOfResource(grant.resource),
    principal: { via: "oauth", role: grant.role, userId: grant.userId, grantId: grant.grantId, clientId: grant.clientId },
    ip,
    arguments: { clientId: grant.clientId, grantId: grant.grantId, resource: grant.resource, ...extra },
  };
}

/**
 * The user approved: the consent ticket spent, a new grant (a new refresh-token family) and its single-use
 * code, audited as one change; a replayed ticket is refused and recorded as a failed GRANT.
 */
export async function grantConsent(
  db: Database,
  ticket: ReadTicket,
  user: { userId: string; role: UserRole; apiKeyId: string | null },
  ip: string | null,
): Promise<string> {
  const { request } = ticket;
  const grant: GrantSubject = { grantId: `grt_${randomBase64Url(12)}`, userId: user.userId, role: user.role, clientId: request.clientId, resource: request.resource };
  const code = randomBase64Url(32);
  const context = oauthMutation("GRANT", grant, ip, { redirectUri: request.redirectUri, scope: request.scope });
  await runAudited(db, context, async (tx) => {
    await spendTicket(tx, ticket);
    await tx.insert(oauthGrants).values({ id: grant.grantId, userId: user.userId, clientId: request.clientId, apiKeyId: user.apiKeyId, resource: request.resource, scope: request.scope });
    await tx.insert(oauthCodes).values({
      codeHash: await sha256Hex(code),
      grantId: grant.grantId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      expiresAt: new Date(Date.now() + AUTHORIZATION_CODE_TTL_SECONDS * 1000),
    });
  });
  return code;
}

/** Ends a grant: its refresh tokens stop working at once, its access tokens on their next request. */
export async function revokeGrantRow(tx: Database, grantId: string, reason: string, userId?: string): Promise<boolean> {
  const revoked = await tx
    .update(oauthGrants)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(and(eq(oauthGrants.id, grantId), isNull(oauthGrants.revokedAt), userId === undefined ? undefined : eq(oauthGrants.userId, userId)))
    .returning({ id: oauthGrants.id });
  return revoked.length > 0;
}

/** Revokes a grant in an audited change, then ends the MCP sessions opened with it (they check no grant per request). */
export async function revokeGrant(env: AppEnv, db: Database, grant: GrantSubject, name: string, reason: string, ip: string | null): Promise<void> {
  await runAudited(db, oauthMutation(name, grant, ip, { reason }), (tx) => revokeGrantRow(tx, grant.grantId, reason));
  await pushUserChange(env, grant.userId, { kind: "grant-revoked", grantId: grant.grantId });
}

/** Thrown inside a redemption when its code or refresh token was already used: someone else may hold it. */
export class CredentialReused extends OAuthError {
  constructor(what: string) {
    super("invalid_grant", `This ${what} was already used; every token of its grant is now revoked`);
  }
}

/**
 * Runs a single-use redemption. A reuse (RFC 9700 §4.14.2, §4.5.3) rolls the attempt back, then revokes the
 * whole grant in its own audited change, since the thief and the rightful client cannot be told apart.
 */
export async function redeemOnce<T>(env: AppEnv, db: Database, grant: GrantSubject, names: { use: string; reuse: string }, ip: string | null, run: (tx: Database) => Promise<T>): Promise<T> {
  try {
    return await runAudited(db, oauthMutation(names.use, grant, ip), run);
  } catch (error) {
    if (error instanceof CredentialReused) await revokeGrant(env, db, grant, names.reuse, error.message, ip);
    throw error;
  }
}

/** A new refresh token of a grant's family; only its hash is stored. */
export async function issueRefreshToken(tx: Database, grantId: string): Promise<string> {
  const token = `prt_${randomBase64Url(32)}`;
  await tx.insert(oauthRefreshTokens).values({
    tokenHash: await sha256Hex(token),
    grantId,
    expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000),
  });
  return token;
}

/** The live grant with this id, as an audit subject; null once revoked or gone. */
export async function liveGrant(db: Database, grantId: string): Promise<GrantSubject | null> {
  const [row] = await db
    .select({ grantId: oauthGrants.id, userId: oauthGrants.userId, role: users.role, clientId: oauthGrants.clientId, resource: oauthGrants.resource })
    .from(oauthGrants)
    .innerJoin(users, eq(users.id, oauthGrants.userId))
    .where(and(eq(oauthGrants.id, grantId), isNull(oauthGrants.revokedAt)))
    .limit(1);
  return row ?? null;
}
