import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import type { HonoEnv } from "../http/context.ts";
import { AppError } from "../http/errors.ts";
import { authorizationServerMetadata } from "./oauth/metadata.ts";
import { loadSigningKeys } from "./signing-keys.ts";
import { issuerOf, mcpResource, serverIdOfMcpPath } from "./token-audience.ts";

export const PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource";

/** Where a client discovers how to get a token for the `/mcp…` resource that `requestUrl` names. */
export function resourceMetadataUrl(env: AppEnv, requestUrl: string): string {
  const issuer = issuerOf(env, requestUrl);
  const serverId = serverIdOfMcpPath(new URL(requestUrl).pathname);
  return serverId ? `${issuer}${PROTECTED_RESOURCE_PATH}/mcp/${serverId}` : `${issuer}${PROTECTED_RESOURCE_PATH}`;
}

/** Public discovery documents: the token verification keys, and the RFC 9728 / RFC 8414 metadata. */
export const wellKnownRoutes = new Hono<HonoEnv>()
  .get("/jwks.json", async (c) => {
    const { publicJwks } = await loadSigningKeys(c.env.JWT_SIGNING_KEY);
    c.header("Cache-Control", "public, max-age=300");
    return c.json({ keys: publicJwks });
  })
  .get("/oauth-authorization-server", (c) => c.json(authorizationServerMetadata(issuerOf(c.env, c.req.url))))
  // RFC 9728 §3.1: the resource's path as a suffix names that resource; none (or `/mcp`) is the aggregate.
  .get("/oauth-protected-resource/:resource{.*}?", (c) => {
    const issuer = issuerOf(c.env, c.req.url);
    const suffix = c.req.param("resource");
    const serverId = suffix ? serverIdOfMcpPath(`/${suffix}`) : null;
    if (serverId === undefined) throw new AppError("NOT_FOUND", `No protected resource at /${suffix}`);
    return c.json({
      resource: mcpResource(issuer, serverId),
      authorization_servers: [issuer],
      bearer_methods_supported: ["header"],
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      resource_name: serverId ? `Peta Core: ${serverId}` : "Peta Core",
    });
  });
