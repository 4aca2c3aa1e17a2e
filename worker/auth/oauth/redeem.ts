import type { AppEnv } from "../../env.ts";
import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { oauthCodes, oauthGrants, oauthRefreshTokens, users } from "../../db/schema.ts";
import { sha256Hex } from "../crypto.ts";
import { OAuthError } from "./errors.ts";
import { CredentialReused, type GrantSubject, issueRefreshToken, redeemOnce } from "./grants.ts";
import { verifierMatches } from "./pkce.ts";

export interface Redeemed {
  grant: GrantSubject;
  refreshToken: string;
}

export interface CodeRedemption {
  code: string;
  clientId: string;
  redirectUri: string;
  codeVerifier: string;
  /** RFC 8707 at the token endpoint: if given, it must be the resource the user consented to. */
  resource: string | null;
}

const grantColumns = {
  grantId: oauthGrants.id,
  userId: oauthGrants.userId,
  role: users.role,
  clientId: oauthGrants.clientId,
  resource: oauthGrants.resource,
  userStatus: users.status,
};

const unknownCode = () => new OAuthError("invalid_grant", "The authorization code is unknown or expired");

/** `grant_type=authorization_code`: a code, once, by the client it was issued to, with its PKCE verifier. */
/** Refuses (throws) a redemption for a user who may not act from this request's address: before anything is spent. */
export type AdmitUser = (userId: string) => Promise<void>;

export async function redeemCode(env: AppEnv, db: Database, redemption: CodeRedemption, ip: string | null, admit: AdmitUser): Promise<Redeemed> {
  const codeHash = await sha256Hex(redemption.code);
  const [found] = await db
    .select(grantColumns)
    .from(oauthCodes)
    .innerJoin(oauthGrants, eq(oauthGrants.id, oauthCodes.grantId))
    .innerJoin(users, eq(users.id, oauthGrants.userId))
    .where(eq(oauthCodes.codeHash, codeHash))
    .limit(1);
  if (!found) throw unknownCode();
  const grant = subjectOf(found);
  await admit(grant.userId);
  return redeemOnce(env, db, grant, { use: "REDEEM_CODE", reuse: "CODE_REPLAY" }, ip, async (tx) => {
    const [code] = await tx.select().from(oauthCodes).where(eq(oauthCodes.codeHash, codeHash)).for("update");
    if (!code) throw unknownCode();
    if (code.usedAt) throw new CredentialReused("authorization code");
    if (code.expiresAt.getTime() <= Date.now()) throw unknownCode();
    // Each check names its failure: a client author can fix what they see, and none of it is secret.
    if (grant.clientId !== redemption.clientId) throw new OAuthError("invalid_grant", "The code was issued to another client");
    if (code.redirectUri !== redemption.redirectUri) throw new OAuthError("invalid_grant", "redirect_uri is not the one of the authorization request");
    if (!(await verifierMatches(redemption.codeVerifier, code.codeChallenge))) throw new OAuthError("invalid_grant", "code_verifier does not match the code_challenge");
    if (redemption.resource !== null && redemption.resource !== grant.resource) throw new OAuthError("invalid_target", "resource is not the one the user consented to");
    await assertUsable(tx, grant.grantId, found.userStatus);
    await tx.update(oauthCodes).set({ usedAt: new Date() }).where(eq(oauthCodes.codeHash, codeHash));
    return { grant, refreshToken: await issueRefreshToken(tx, grant.grantId) };
  });
}

/** `grant_type=refresh_token`: rotation; the presented token is spent and a new one of the same family returned. */
export async function redeemRefreshToken(env: AppEnv, db: Database, token: string, clientId: string, resource: string | null, ip: string | null, admit: AdmitUser): Promise<Redeemed> {
  const tokenHash = await sha256Hex(token);
  const [found] = await db
    .select(grantColumns)
    .from(oauthRefreshTokens)
    .innerJoin(oauthGrants, eq(oauthGrants.id, oauthRefreshTokens.grantId))
    .innerJoin(users, eq(users.id, oauthGrants.userId))
    .where(eq(oauthRefreshTokens.tokenHash, tokenHash))
    .limit(1);
  const unknown = () => new OAuthError("invalid_grant", "The refresh token is unknown, expired or revoked");
  if (!found) throw unknown();
  const grant = subjectOf(found);
  await admit(grant.userId);
  return redeemOnce(env, db, grant, { use: "REFRESH", reuse: "REFRESH_REUSE" }, ip, async (tx) => {
    const [row] = await tx.select().from(oauthRefreshTokens).where(eq(oauthRefreshTokens.tokenHash, tokenHash)).for("update");
    if (!row) throw unknown();
    const revoked = await lockGrant(tx, grant.grantId);
    // A spent token of a live family: the family may be in two hands. Of a revoked one: nothing left to end.
    if (row.usedAt) throw revoked ? unknown() : new CredentialReused("refresh token");
    if (row.expiresAt.getTime() <= Date.now()) throw unknown();
    if (grant.clientId !== clientId) throw new OAuthError("invalid_grant", "The refresh token was issued to another client");
    if (resource !== null && resource !== grant.resource) throw new OAuthError("invalid_target", "resource is not the one the user consented to");
    await assertUsable(tx, grant.grantId, found.userStatus);
    await tx.update(oauthRefreshTokens).set({ usedAt: new Date() }).where(eq(oauthRefreshTokens.tokenHash, tokenHash));
    await tx.update(oauthGrants).set({ lastUsedAt: new Date() }).where(eq(oauthGrants.id, grant.grantId));
    return { grant, refreshToken: await issueRefreshToken(tx, grant.grantId) };
  });
}

function subjectOf(row: GrantSubject): GrantSubject {
  return { grantId: row.grantId, userId: row.userId, role: row.role, clientId: row.clientId, resource: row.resource };
}

/** Locks the grant row, so a revocation running alongside either lands first or waits for this redemption. */
async function lockGrant(tx: Database, grantId: string): Promise<boolean> {
  const [row] = await tx.select({ revokedAt: oauthGrants.revokedAt }).from(oauthGrants).where(eq(oauthGrants.id, grantId)).for("update");
  return !row || row.revokedAt !== null;
}

async function assertUsable(tx: Database, grantId: string, userStatus: string): Promise<void> {
  if (await lockGrant(tx, grantId)) throw new OAuthError("invalid_grant", "This authorization was revoked");
  if (userStatus !== "active") throw new OAuthError("invalid_grant", "The user is disabled");
}
