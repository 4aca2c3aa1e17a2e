import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { type OAuthClientRow, servers, users } from "../../db/schema.ts";
import type { AppContext } from "../../http/context.ts";
import { clientDisplay } from "./clients.ts";
import { OAuthError } from "./errors.ts";
import { consentPage, PAGE_HEADERS } from "./pages.ts";
import { serverIdOfResource } from "./resource.ts";
import { type AuthorizationRequest, signTicket, type TicketHolder } from "./ticket.ts";
import { refuseOffListAddress } from "./user-address.ts";

/** After a sign-in, by API key or upstream provider: the consent page, with a ticket that names the user. */
export async function showConsent(c: AppContext, db: Database, issuer: string, request: AuthorizationRequest, client: OAuthClientRow, signedIn: TicketHolder & { subject: string }): Promise<Response> {
  const user = await activeUser(db, signedIn.subject);
  if (!user) throw new OAuthError("access_denied", "Your user is disabled");
  await refuseOffListAddress(c, signedIn.subject);
  const ticket = await signTicket(c.env.JWT_SIGNING_KEY, issuer, request, signedIn);
  const redirect = new URL(request.redirectUri);
  return c.html(
    consentPage({
      ticket,
      userName: user.name,
      client: clientView(client),
      redirectUri: request.redirectUri,
      redirectHost: redirect.host || redirect.protocol,
      reaches: await describeResource(db, request.resource),
    }),
    200,
    PAGE_HEADERS,
  );
}

export async function activeUser(db: Database, userId: string) {
  const [user] = await db.select({ name: users.name, role: users.role }).from(users).where(and(eq(users.id, userId), eq(users.status, "active"))).limit(1);
  return user;
}

export function clientView(client: OAuthClientRow) {
  return { ...clientDisplay(client), id: client.clientId };
}

async function describeResource(db: Database, resource: string): Promise<string> {
  const serverId = serverIdOfResource(resource);
  if (serverId === null) return `every MCP server you may use through this gateway (${resource})`;
  const [server] = await db.select({ name: servers.name }).from(servers).where(eq(servers.serverId, serverId)).limit(1);
  return `only the MCP server "${server?.name ?? serverId}" (${resource})`;
}
