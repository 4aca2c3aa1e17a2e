import { lt } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { oauthCodes, oauthRefreshTokens, oauthSpentTickets } from "../../db/schema.ts";

/**
 * Codes and refresh tokens past their expiry can never be redeemed, and a spent refresh token or consent
 * ticket is kept only as long as its reuse could still be attempted (until it would have expired). Grants
 * stay: they are the user's consents, and the audit trail keeps their history.
 */
export async function pruneExpiredOAuth(db: Database, now: Date): Promise<{ codes: number; refreshTokens: number; spentTickets: number }> {
  const codes = await db.delete(oauthCodes).where(lt(oauthCodes.expiresAt, now)).returning({ codeHash: oauthCodes.codeHash });
  const refreshTokens = await db.delete(oauthRefreshTokens).where(lt(oauthRefreshTokens.expiresAt, now)).returning({ tokenHash: oauthRefreshTokens.tokenHash });
  const spentTickets = await db.delete(oauthSpentTickets).where(lt(oauthSpentTickets.expiresAt, now)).returning({ ticketId: oauthSpentTickets.ticketId });
  return { codes: codes.length, refreshTokens: refreshTokens.length, spentTickets: spentTickets.length };
}
