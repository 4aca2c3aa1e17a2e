import { Hono } from "hono";
import type { HonoEnv } from "../http/context.ts";
import { loadSigningKeys } from "./signing-keys.ts";
import { tokenAudience } from "./token-audience.ts";

export const PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource";

export function resourceMetadataUrl(issuer: string): string {
  return `${issuer}${PROTECTED_RESOURCE_PATH}`;
}

/** Public discovery documents: the token verification keys, and the RFC 9728 protected-resource metadata. */
export const wellKnownRoutes = new Hono<HonoEnv>()
  .get("/jwks.json", async (c) => {
    const { publicJwks } = await loadSigningKeys(c.env.JWT_SIGNING_KEY);
    c.header("Cache-Control", "public, max-age=300");
    return c.json({ keys: publicJwks });
  })
  // RFC 9728 §3.1 also allows the resource's path as a suffix; both name the same resource.
  .get("/oauth-protected-resource/:resource{.*}?", (c) => {
    const { issuer, audience } = tokenAudience(c.env, c.req.url);
    // No authorization_servers: tokens come from exchanging an API key at /auth/token, not from an OAuth flow.
    return c.json({
      resource: audience,
      bearer_methods_supported: ["header"],
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      resource_name: "Peta Core",
    });
  });
