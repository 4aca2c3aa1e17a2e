import type { JSONRPCErrorResponse, JSONRPCNotification, JSONRPCRequest, JSONRPCResultResponse, RequestId } from "@modelcontextprotocol/sdk/types.js";

/** The protocol versions this gateway speaks upstream, oldest first; the last is preferred. */
export const SUPPORTED_PROTOCOL_VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] as const;
export type ProtocolVersion = (typeof SUPPORTED_PROTOCOL_VERSIONS)[number];
export const LATEST_PROTOCOL_VERSION: ProtocolVersion = "2025-11-25";

/** JSON-RPC batches exist only in this revision: 2025-06-18 removed them again. */
export const BATCH_PROTOCOL_VERSION: ProtocolVersion = "2025-03-26";

export function isSupportedVersion(version: string): version is ProtocolVersion {
  return (SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(version);
}

/** Answers the client's version if we speak it, else our latest, as the spec's negotiation prescribes. */
export function negotiateVersion(requested: unknown): ProtocolVersion {
  return typeof requested === "string" && isSupportedVersion(requested) ? requested : LATEST_PROTOCOL_VERSION;
}

export const JSONRPC_ERRORS = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** Server-defined range: the caller's credential is missing or not valid (not -32001: the SDK's RequestTimeout). */
  UNAUTHORIZED: -32010,
  /** Server-defined range: the session id is unknown, expired, or belongs to someone else. */
  SESSION_NOT_FOUND: -32002,
  /** Server-defined range: a downstream server failed or timed out. */
  DOWNSTREAM_ERROR: -32003,
  /** Server-defined range: policy refused the call; the message names the layer or rule and the reason. */
  POLICY_DENIED: -32011,
  /** Server-defined range: the database is unreachable and the request needs it; retry after `data.retryAfterMs`. */
  SERVICE_UNAVAILABLE: -32012,
  /** Server-defined range: a safety cap (batch size, calls in flight, sessions per user) was reached. */
  LIMIT_EXCEEDED: -32013,
  /** Server-defined range: a rate limit refused the call; `data.retryAfterMs` says when to try again. */
  RATE_LIMITED: -32029,
  /** Server-defined range, audit only: the client cancelled the request, so it got no response. */
  REQUEST_CANCELLED: -32800,
} as const;

// The SDK's own JSON-RPC types: the wire shapes are defined once, where the protocol is.
export type { RequestId } from "@modelcontextprotocol/sdk/types.js";
export type JsonRpcRequest = JSONRPCRequest;
export type JsonRpcNotification = JSONRPCNotification;
/** An error about a request whose id could not be read carries `id: null`, as JSON-RPC 2.0 prescribes. */
export type JsonRpcResponse = JSONRPCResultResponse | (Omit<JSONRPCErrorResponse, "id"> & { id: RequestId | null });
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export function isRequest(message: JsonRpcMessage): message is JsonRpcRequest {
  return "method" in message && "id" in message;
}

export function isNotification(message: JsonRpcMessage): message is JsonRpcNotification {
  return "method" in message && !("id" in message);
}

export function isResponse(message: JsonRpcMessage): message is JsonRpcResponse {
  return !("method" in message) && ("result" in message || "error" in message);
}

export function errorResponse(id: RequestId | null, code: number, message: string, data?: unknown): JsonRpcResponse {
  return { jsonrpc: "2.0", id, error: data === undefined ? { code, message } : { code, message, data } };
}

/** A failure that becomes a JSON-RPC error response, never a stack trace. */
export class RpcFailure extends Error {
  readonly code: number;
  /** The error's `data`, passed to the client as it is (a downstream's, already scrubbed). */
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "RpcFailure";
    this.code = code;
    this.data = data;
  }
}

/**
 * Checks the shape of one JSON-RPC message, returning a description of what is wrong or the message.
 * Anything else the client sends is answered with an Invalid Request error naming the problem.
 */
export function validateMessage(value: unknown): JsonRpcMessage | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "a message must be a JSON object";
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== "2.0") return '"jsonrpc" must be "2.0"';
  if ("id" in message && !isValidId(message.id)) return '"id" must be a string or an integer';
  if ("method" in message) {
    if (typeof message.method !== "string" || message.method === "") return '"method" must be a non-empty string';
    if ("params" in message && (typeof message.params !== "object" || message.params === null || Array.isArray(message.params))) {
      return '"params" must be an object';
    }
    return message as unknown as JsonRpcMessage;
  }
  if (!("id" in message)) return 'a message needs "method" or "id"';
  if ("result" in message === "error" in message) return 'a response carries exactly one of "result" and "error"';
  return message as unknown as JsonRpcMessage;
}

function isValidId(id: unknown): id is RequestId {
  return typeof id === "string" || (typeof id === "number" && Number.isInteger(id));
}

/** What a client is told when a pushed change may have changed what it can list. */
export const LIST_CHANGED = ["notifications/tools/list_changed", "notifications/prompts/list_changed", "notifications/resources/list_changed"] as const;
