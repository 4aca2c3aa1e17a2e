import { INVALID_CREDENTIAL } from "../auth/credential.ts";
import { JSONRPC_ERRORS } from "./protocol.ts";

/** What /mcp accepts and where each comes from: a person reading a client's error must be able to act on it. */
function whatToSend(resourceMetadataUrl: string): string {
  return (
    "Send Authorization: Bearer with an API key (pk_…, which an admin creates with CREATE_USER or ROTATE_USER_KEY), " +
    "an access token from POST /auth/token (with the API key as the bearer), " +
    `or a token from this gateway's OAuth flow (an MCP client finds it from ${resourceMetadataUrl})`
  );
}

/** MCP's 401: a JSON-RPC error body plus the RFC 9728 challenge that tells clients where to discover auth. */
export function mcpUnauthorized(reason: "missing" | "invalid", resourceMetadataUrl: string): Response {
  const message = `${reason === "missing" ? "Authentication required" : INVALID_CREDENTIAL}. ${whatToSend(resourceMetadataUrl)}`;
  const challenge =
    reason === "missing"
      ? `Bearer resource_metadata="${resourceMetadataUrl}"`
      : `Bearer error="invalid_token", resource_metadata="${resourceMetadataUrl}"`;
  return Response.json(
    { jsonrpc: "2.0", id: null, error: { code: JSONRPC_ERRORS.UNAUTHORIZED, message } },
    { status: 401, headers: { "WWW-Authenticate": challenge } },
  );
}
