import { z } from "zod";
import type { Database } from "../../db/client.ts";
import { oauthSpentTickets } from "../../db/schema.ts";
import { signOwnJwt, verifyOwnJwt } from "../own-jwt.ts";
import { OAuthError } from "./errors.ts";

/** Long enough to read a consent page; short enough that a leaked page is soon worthless. */
const TICKET_TTL_SECONDS = 600;
/** A ticket of one step is never accepted at another: a sign-in page's is not an upstream sign-in's. */
const TICKET_TYPS = { "sign-in": "oauth-authz-request+jwt", upstream: "oidc-state+jwt" } as const;
export type TicketKind = keyof typeof TICKET_TYPS;

/** An authorization request after it was checked: what the sign-in and consent forms carry between steps. */
export const authorizationRequestSchema = z.object({
  clientId: z.string().describe("The client that asked"),
  redirectUri: z.string().describe("The exact redirect URI the client asked for"),
  codeChallenge: z.string().describe("The PKCE S256 challenge"),
  resource: z.string().describe("The RFC 8707 resource, the tokens' audience"),
  state: z.string().nullable().describe("The client's state, returned unchanged"),
  scope: z.string().nullable().describe("The scope asked for, recorded and echoed"),
});
export type AuthorizationRequest = z.infer<typeof authorizationRequestSchema>;

const ticketSchema = z.object({
  request: authorizationRequestSchema.describe("The checked authorization request"),
  key: z.string().nullable().optional().describe("The API key the user signed in with; null through the OIDC provider"),
  sub: z.string().describe("'anonymous' before sign-in, then the user who signed in; upstream: the attempt it belongs to"),
  jti: z.string().describe("The ticket's own id, which spends it"),
  exp: z.number().describe("When it expires, in seconds since the epoch"),
});

/** A ticket as read back: what it carries, and what identifies it for spending. */
export interface ReadTicket {
  request: AuthorizationRequest;
  subject: string | null;
  keyId: string | null;
  ticketId: string;
  expiresAt: Date;
}

/**
 * The pages keep no server-side state: each form carries the request signed by the gateway. A consent
 * ticket names the user who signed in, and only that sign-in produced it, so a forged consent POST (CSRF)
 * has no ticket to send.
 */
export interface TicketHolder {
  /** Null before sign-in; then the user; for an upstream sign-in, the attempt. */
  subject: string | null;
  keyId?: string | null;
}

export function signTicket(signingKey: string, issuer: string, request: AuthorizationRequest, holder: TicketHolder, kind: TicketKind = "sign-in"): Promise<string> {
  const { subject, keyId = null } = holder;
  return signOwnJwt(signingKey, { request, key: keyId }, { typ: TICKET_TYPS[kind], issuer, audience: `${issuer}/authorize`, subject: subject ?? "anonymous", ttlSeconds: TICKET_TTL_SECONDS });
}

export async function readTicket(signingKey: string, issuer: string, ticket: string, kind: TicketKind = "sign-in"): Promise<ReadTicket> {
  const payload = await verifyOwnJwt(signingKey, ticket, { typ: TICKET_TYPS[kind], issuer, audiences: [`${issuer}/authorize`] });
  const parsed = ticketSchema.safeParse(payload);
  if (!parsed.success) throw new OAuthError("invalid_request", "This sign-in page has expired or was altered: start again from your client");
  const { request, sub, key, jti, exp } = parsed.data;
  return { request, subject: sub === "anonymous" ? null : sub, keyId: key ?? null, ticketId: jti, expiresAt: new Date(exp * 1000) };
}

/**
 * Spends a consent ticket, once: a concurrent second attempt waits on the first's row, then finds it.
 * Run inside the transaction of what the decision makes, so a decision that fails spends nothing.
 */
export async function spendTicket(db: Database, ticket: Pick<ReadTicket, "ticketId" | "expiresAt">): Promise<void> {
  const spent = await db.insert(oauthSpentTickets).values(ticket).onConflictDoNothing().returning({ ticketId: oauthSpentTickets.ticketId });
  if (spent.length === 0) throw new OAuthError("invalid_request", "This consent page was already used: start again from your client");
}
