import type { AppEnv } from "../env.ts";
import { SERVER_ID_PATTERN } from "../mcp/names.ts";
import type { AcceptedAudiences, TokenAudience } from "./access-token.ts";

/** Which tokens a route accepts: their audiences, and whether a token issued to an OAuth client counts. */
export interface CredentialScope extends AcceptedAudiences {
  delegated: boolean;
}

export function issuerOf(env: AppEnv, requestUrl: string): string {
  return (env.PUBLIC_URL || new URL(requestUrl).origin).replace(/\/+$/, "");
}

/**
 * The issuer is the gateway's public URL when configured, else the origin the request came to, so a
 * token minted for one deployment is refused by another.
 */
export function tokenAudience(env: AppEnv, requestUrl: string): TokenAudience {
  const issuer = issuerOf(env, requestUrl);
  return { issuer, audience: mcpResource(issuer, null) };
}

/** The RFC 8707 resource of `/mcp` (every server) or `/mcp/<serverId>` (one). */
export function mcpResource(issuer: string, serverId: string | null): string {
  return serverId === null ? `${issuer}/mcp` : `${issuer}/mcp/${serverId}`;
}

/** The server a `/mcp…` path names: null for the aggregate, undefined for a path that names no MCP resource. */
export function serverIdOfMcpPath(pathname: string): string | null | undefined {
  const match = /^\/mcp(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!match) return undefined;
  const serverId = match[1];
  if (serverId === undefined) return null;
  return SERVER_ID_PATTERN.test(serverId) ? serverId : undefined;
}

/**
 * /admin and /user: the user's own tokens only. A token an OAuth client obtained was consented to for MCP,
 * so it must not reach the user's settings or, for an admin, the whole gateway.
 */
export function apiCredentialScope(env: AppEnv, requestUrl: string): CredentialScope {
  const issuer = issuerOf(env, requestUrl);
  return { issuer, audiences: [mcpResource(issuer, null)], delegated: false };
}

/** `/mcp` accepts tokens for `/mcp`; `/mcp/<id>` also those for exactly that server, and no other's. */
export function mcpCredentialScope(env: AppEnv, requestUrl: string): CredentialScope {
  const issuer = issuerOf(env, requestUrl);
  const serverId = serverIdOfMcpPath(new URL(requestUrl).pathname);
  const audiences = [mcpResource(issuer, null)];
  if (serverId) audiences.push(mcpResource(issuer, serverId));
  return { issuer, audiences, delegated: true };
}
