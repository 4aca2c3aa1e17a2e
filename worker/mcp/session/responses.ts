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
