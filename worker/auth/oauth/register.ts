import { Hono } from "hono";
import type { HonoEnv } from "../../http/context.ts";
import { AppError } from "../../http/errors.ts";
import { readJsonBody } from "../../http/json-body.ts";
import { randomBase64Url } from "../crypto.ts";
import { oauthClients } from "../../db/schema.ts";
import { parseClientMetadata } from "./client-metadata.ts";
import { OAuthError, oauthEndpoint } from "./errors.ts";

const MAX_REGISTRATION_BYTES = 16 * 1024;

/**
 * `POST /register` (RFC 7591), open as MCP clients expect. A registration grants nothing by itself: the
 * user still signs in and consents, and the consent page marks the self-declared name as unverified.
 */
export const registerRoute = new Hono<HonoEnv>().post("/", (c) =>
  oauthEndpoint(async () => {
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
