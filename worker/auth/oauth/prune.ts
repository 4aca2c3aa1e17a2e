import { and, eq, lt, notExists, or } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { oauthClients, oauthCodes, oauthGrants, oauthRefreshTokens, oauthSpentTickets } from "../../db/schema.ts";

/**
 * A client is registered (or its document fetched) right before its user signs in; one that no user
 * consented to within a day never will be, and /register is open to anyone.
 */
export const UNUSED_CLIENT_TTL_SECONDS = 24 * 3600;

/**
 * Codes and refresh tokens past their expiry can never be redeemed, and a spent refresh token or consent
 * ticket is kept only as long as its reuse could still be attempted (until it would have expired). Grants
 * stay: they are the user's consents, and the audit trail keeps their history. A client with no grant,
 * revoked or not, was never used (every code and token belongs to a grant): a registration older than
 * UNUSED_CLIENT_TTL_SECONDS goes, and so does a metadata document cached that long ago (fetched again if
 * its client comes back).
 */
export async function pruneExpiredOAuth(db: Database, now: Date): Promise<{ codes: number; refreshTokens: number; spentTickets: number; unusedClients: number }> {
  const codes = await db.delete(oauthCodes).where(lt(oauthCodes.expiresAt, now)).returning({ codeHash: oauthCodes.codeHash });
  const refreshTokens = await db.delete(oauthRefreshTokens).where(lt(oauthRefreshTokens.expiresAt, now)).returning({ tokenHash: oauthRefreshTokens.tokenHash });
  const spentTickets = await db.delete(oauthSpentTickets).where(lt(oauthSpentTickets.expiresAt, now)).returning({ ticketId: oauthSpentTickets.ticketId });
  const cutoff = new Date(now.getTime() - UNUSED_CLIENT_TTL_SECONDS * 1000);
  const unusedClients = await db
    .delete(oauthClients)
    .where(
      and(
        or(and(eq(oauthClients.kind, "dcr"), lt(oauthClients.createdAt, cutoff)), and(eq(oauthClients.kind, "cimd"), lt(oauthClients.fetchedAt, cutoff))),
        notExists(db.select({ id: oauthGrants.id }).from(oauthGrants).where(eq(oauthGrants.clientId, oauthClients.clientId))),
      ),
    )
    .returning({ clientId: oauthClients.clientId });
  return { codes: codes.length, refreshTokens: refreshTokens.length, spentTickets: spentTickets.length, unusedClients: unusedClients.length };
}
