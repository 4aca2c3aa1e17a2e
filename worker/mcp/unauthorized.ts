import { JSONRPC_ERRORS } from "./protocol.ts";

/** MCP's 401: a JSON-RPC error body plus the RFC 9728 challenge that tells clients where to discover auth. */
export function mcpUnauthorized(reason: "missing" | "invalid", resourceMetadataUrl: string): Response {
  const message = reason === "missing" ? "Authentication required" : "Invalid or expired credential";
  const challenge =
    reason === "missing"
      ? `Bearer resource_metadata="${resourceMetadataUrl}"`
      : `Bearer error="invalid_token", resource_metadata="${resourceMetadataUrl}"`;
  return Response.json(
    { jsonrpc: "2.0", id: null, error: { code: JSONRPC_ERRORS.UNAUTHORIZED, message } },
    { status: 401, headers: { "WWW-Authenticate": challenge } },
  );
}
