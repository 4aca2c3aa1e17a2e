import { mcpResource, serverIdOfMcpPath } from "../token-audience.ts";
import { OAuthError } from "./errors.ts";

/**
 * The RFC 8707 resource a client asks for, as the audience its tokens get: `<issuer>/mcp` (the default,
 * every server) or `<issuer>/mcp/<serverId>`. Anything else is not ours to issue tokens for.
 */
export function requestedResource(issuer: string, value: string | undefined): string {
  if (value === undefined || value === "") return mcpResource(issuer, null);
  const refuse = () => new OAuthError("invalid_target", `resource must be ${issuer}/mcp or ${issuer}/mcp/<serverId>`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse();
  }
  if (url.origin !== new URL(issuer).origin || url.search !== "" || url.hash !== "") throw refuse();
  const serverId = serverIdOfMcpPath(url.pathname);
  if (serverId === undefined) throw refuse();
  return mcpResource(issuer, serverId);
}

/** The server a resource is limited to, or null for all of them. */
export function serverIdOfResource(resource: string): string | null {
  return serverIdOfMcpPath(new URL(resource).pathname) ?? null;
}
