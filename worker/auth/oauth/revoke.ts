import { decodeJwt } from "jose";
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import type { Database } from "../../db/client.ts";
import { oauthRefreshTokens } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import type { HonoEnv } from "../../http/context.ts";
import { verifyAccessToken } from "../access-token.ts";
import { sha256Hex } from "../crypto.ts";
import { issuerOf } from "../token-audience.ts";
import { OAuthError, oauthEndpoint } from "./errors.ts";
import { readForm } from "./form.ts";
import { liveGrant, revokeGrant } from "./grants.ts";

/**
 * `POST /revoke` (RFC 7009). Either token of a grant ends the whole grant: a client signing out means
 * every token it holds. The answer is 200 whatever the token was, so it tells a caller nothing.
 */
export const revokeEndpoint = new Hono<HonoEnv>().post("/", (c) =>
  oauthEndpoint(async () => {
    const form = await readForm(c.req.raw);
    if (!form.token) throw new OAuthError("invalid_request", "token is required");
    const db = c.get("db")();
    const grantId = await grantOfToken(db, c.env, issuerOf(c.env, c.req.url), form.token);
    const grant = grantId ? await liveGrant(db, grantId) : null;
    // A client may only revoke its own tokens (a public client identifies itself by client_id).
    if (grant && (form.client_id === undefined || form.client_id === grant.clientId)) {
      await revokeGrant(c.env, db, grant, "REVOKE", "revoked by the client", c.req.header("cf-connecting-ip") ?? null);
    }
    c.header("Cache-Control", "no-store");
    return c.body(null, 200);
  }),
);

async function grantOfToken(db: Database, env: AppEnv, issuer: string, token: string): Promise<string | null> {
  if (token.startsWith("prt_")) {
    const [row] = await db.select({ grantId: oauthRefreshTokens.grantId }).from(oauthRefreshTokens).where(eq(oauthRefreshTokens.tokenHash, await sha256Hex(token))).limit(1);
    return row?.grantId ?? null;
  }
  let audience: unknown;
  try {
    audience = decodeJwt(token).aud;
  } catch {
    return null;
  }
  // The signature is still checked below, for whichever of our resources the token names.
  if (typeof audience !== "string" || !audience.startsWith(`${issuer}/mcp`)) return null;
  const claims = await verifyAccessToken(env.JWT_SIGNING_KEY, { issuer, audiences: [audience] }, token);
  return claims && "grantId" in claims ? claims.grantId : null;
}
