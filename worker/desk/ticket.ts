import { decodeJwt } from "jose";
import { signOwnJwt, verifyOwnJwt } from "../auth/own-jwt.ts";
import { issuerOf } from "../auth/token-audience.ts";
import type { AppEnv } from "../env.ts";

/** Long enough to open a socket right after asking; short enough that a ticket in a log or history is worthless. */
export const DESK_TICKET_TTL_SECONDS = 30;
const TICKET_TYP = "desk-ticket+jwt";

export interface IssuedTicket {
  ticket: string;
  /** The ticket's id, which the desk keeps until the ticket is used or expires. */
  ticketId: string;
  expiresAt: number;
}

function deskAudience(env: AppEnv, requestUrl: string): { issuer: string; audience: string } {
  const issuer = issuerOf(env, requestUrl);
  return { issuer, audience: `${issuer}/desk` };
}

/**
 * A ticket is a JWT we sign naming its desk (the subject), so the Worker routes a connection without the
 * database and a forged one wakes no object. That alone would be reusable for 30 s: the desk also keeps
 * its id and deletes it on first use, which makes it one-time.
 */
export async function signDeskTicket(env: AppEnv, requestUrl: string, desk: string): Promise<IssuedTicket> {
  const { issuer, audience } = deskAudience(env, requestUrl);
  const ticket = await signOwnJwt(env.JWT_SIGNING_KEY, {}, { typ: TICKET_TYP, issuer, audience, subject: desk, ttlSeconds: DESK_TICKET_TTL_SECONDS });
  const claims = decodeJwt(ticket);
  return { ticket, ticketId: claims.jti!, expiresAt: claims.exp! * 1000 };
}

/** The desk and ticket id of a ticket we signed that has not expired, or null. */
export async function readDeskTicket(env: AppEnv, requestUrl: string, ticket: string): Promise<{ desk: string; ticketId: string } | null> {
  const { issuer, audience } = deskAudience(env, requestUrl);
  const payload = await verifyOwnJwt(env.JWT_SIGNING_KEY, ticket, { typ: TICKET_TYP, issuer, audiences: [audience], maxLifetimeSeconds: DESK_TICKET_TTL_SECONDS });
  if (!payload?.sub || !payload.jti) return null;
  return { desk: payload.sub, ticketId: payload.jti };
}
