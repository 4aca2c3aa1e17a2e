import { RETRY_AFTER_SECONDS } from "../../db/errors.ts";
import { errorResponse, JSONRPC_ERRORS, type JsonRpcResponse } from "../protocol.ts";

export const SESSION_HEADER = "Mcp-Session-Id";

export function jsonRpcReply(body: JsonRpcResponse | JsonRpcResponse[], status = 200, sessionId?: string): Response {
  return Response.json(body, { status, headers: sessionId ? { [SESSION_HEADER]: sessionId } : {} });
}

/** The answer to a request whose JSON-RPC id is unknown or absent. */
export function transportError(status: number, code: number, message: string): Response {
  return jsonRpcReply(errorResponse(null, code, message), status);
}

/** A user's own IP allow-list refused the request: 403, with the message /user gives. */
export function addressRefused(message: string): Response {
  return transportError(403, JSONRPC_ERRORS.POLICY_DENIED, message);
}

/** 404 tells a client its session is gone, so it starts a new one; the spec asks for exactly that. */
export function sessionNotFound(): Response {
  return transportError(404, JSONRPC_ERRORS.SESSION_NOT_FOUND, "Session not found: it expired, was closed, or belongs to another identity");
}

/** The request needs the database and it is down: worth retrying soon, unlike a 500. */
export function databaseUnavailable(): Response {
  const response = transportError(503, JSONRPC_ERRORS.SERVICE_UNAVAILABLE, "The gateway's database is unreachable; open sessions keep working, retry this shortly");
  response.headers.set("Retry-After", String(RETRY_AFTER_SECONDS));
  return response;
}
