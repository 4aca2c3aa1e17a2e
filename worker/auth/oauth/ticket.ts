import { z } from "zod";
import { signOwnJwt, verifyOwnJwt } from "../own-jwt.ts";
import { OAuthError } from "./errors.ts";

/** Long enough to read a consent page; short enough that a leaked page is soon worthless. */
const TICKET_TTL_SECONDS = 600;
const TICKET_TYP = "oauth-authz-request+jwt";

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
  sub: z.string().describe("'anonymous' before sign-in, then the user who signed in"),
});

/**
 * The pages keep no server-side state: each form carries the request signed by the gateway. A consent
 * ticket names the user who signed in, and only that sign-in produced it, so a forged consent POST (CSRF)
 * has no ticket to send.
 */
export function signTicket(signingKey: string, issuer: string, request: AuthorizationRequest, userId: string | null): Promise<string> {
  return signOwnJwt(signingKey, { request }, { typ: TICKET_TYP, issuer, audience: `${issuer}/authorize`, subject: userId ?? "anonymous", ttlSeconds: TICKET_TTL_SECONDS });
}

export async function readTicket(signingKey: string, issuer: string, ticket: string): Promise<{ request: AuthorizationRequest; userId: string | null }> {
  const payload = await verifyOwnJwt(signingKey, ticket, { typ: TICKET_TYP, issuer, audiences: [`${issuer}/authorize`] });
  const parsed = ticketSchema.safeParse(payload);
  if (!parsed.success) throw new OAuthError("invalid_request", "This sign-in page has expired or was altered: start again from your client");
  return { request: parsed.data.request, userId: parsed.data.sub === "anonymous" ? null : parsed.data.sub };
}
