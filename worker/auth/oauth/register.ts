import { Hono } from "hono";
import type { HonoEnv } from "../../http/context.ts";
import { AppError } from "../../http/errors.ts";
import { readJsonBody } from "../../http/json-body.ts";
import { randomBase64Url } from "../crypto.ts";
import { oauthClients } from "../../db/schema.ts";
import { parseClientMetadata } from "./client-metadata.ts";
import { OAuthError, oauthEndpoint, OAuthRateLimited } from "./errors.ts";
import { takeForClientIp } from "../../policy/client-ip-limit.ts";
import { clientIp } from "../../policy/ip-allowlist-middleware.ts";

const MAX_REGISTRATION_BYTES = 16 * 1024;
/** A client registers once per installation; more than this from one address is a flood. */
export const REGISTRATIONS_PER_MINUTE = 10;

/**
 * `POST /register` (RFC 7591), open as MCP clients expect. A registration grants nothing by itself: the
 * user still signs in and consents, and the consent page marks the self-declared name as unverified.
 * Registrations are limited per address, and one never used is pruned (prune.ts).
 */
export const registerRoute = new Hono<HonoEnv>().post("/", (c) =>
  oauthEndpoint(async () => {
    const taken = await takeForClientIp(c.env, clientIp(c), "register", REGISTRATIONS_PER_MINUTE);
    if (!taken.ok) throw new OAuthRateLimited(`Too many registrations from this address (at most ${REGISTRATIONS_PER_MINUTE} a minute)`, taken.retryAfterMs);
    let body: unknown;
    try {
      body = await readJsonBody(c.req.raw, { maxBytes: MAX_REGISTRATION_BYTES });
    } catch (error) {
      if (error instanceof AppError) throw new OAuthError("invalid_client_metadata", error.message);
      throw error;
    }
    const metadata = parseClientMetadata(body);
    const clientId = `dcr_${randomBase64Url(18)}`;
    const [row] = await c.get("db")().insert(oauthClients).values({ clientId, kind: "dcr", ...metadata }).returning();
    if (!row) throw new AppError("INTERNAL", "The client could not be registered");
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        client_id: clientId,
        client_id_issued_at: Math.floor(row.createdAt.getTime() / 1000),
        redirect_uris: row.redirectUris,
        ...(row.clientName ? { client_name: row.clientName } : {}),
        ...(row.clientUri ? { client_uri: row.clientUri } : {}),
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        // Whatever was asked for: the client is public and holds no secret (RFC 7591 §3.2.1 lets us say so).
        token_endpoint_auth_method: "none",
      },
      201,
    );
  }),
);
