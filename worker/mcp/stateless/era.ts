import { classifyInboundRequest } from "@modelcontextprotocol/server";
import type { ClientCapabilities, Implementation } from "@modelcontextprotocol/sdk/types.js";
import { errorResponse, type JsonRpcRequest, type RequestId } from "../protocol.ts";
import { SESSION_HEADER } from "../session/responses.ts";
import { standardHeaderMismatch } from "./headers.ts";

/** The stateless revision this gateway speaks (MCP 2026-07-28): no session, `_meta` on every request. */
export const STATELESS_PROTOCOL_VERSION = "2026-07-28";
export const PROTOCOL_VERSION_META_KEY = "io.modelcontextprotocol/protocolVersion";
export const CLIENT_INFO_META_KEY = "io.modelcontextprotocol/clientInfo";
export const CLIENT_CAPABILITIES_META_KEY = "io.modelcontextprotocol/clientCapabilities";
/**
 * Taken off before the core sees the request. The client's capabilities stay: a 2026 downstream server
 * reads them to ask only what this client can answer (modern-transport.ts); a 2025 one ignores them.
 */
const RESERVED_META_KEYS = [PROTOCOL_VERSION_META_KEY, CLIENT_INFO_META_KEY, "io.modelcontextprotocol/logLevel"];

/** Versions from the stateless revision on; any such version is the 2026 era's to accept or refuse (-32022). */
export function isStatelessEraVersion(version: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= STATELESS_PROTOCOL_VERSION;
}

/** The 2026 era's own error codes (SEP-2243 and the 2026-07-28 schema). */
export const STATELESS_ERRORS = {
  HEADER_MISMATCH: -32020,
  MISSING_CLIENT_CAPABILITY: -32021,
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
} as const;

/** What a stateless request says of its client, from its own `_meta`: the session record's part, per request. */
export interface StatelessClient {
  clientInfo: Implementation;
  clientCapabilities: ClientCapabilities;
}

export type EraDecision =
  | { era: "legacy" }
  /** A 2026 notification: nothing to answer, and no session for it to act on. */
  | { era: "stateless-notification" }
  | { era: "stateless"; request: JsonRpcRequest; client: StatelessClient }
  | { era: "refused"; response: Response };

/**
 * Which era one POST belongs to, decided from its body first (`_meta` claims the 2026 envelope) with the
 * `MCP-Protocol-Version` header as the cross-check, as the SDK's dual-era entry classifies it. Signals
 * of both eras in one message (a 2026 envelope with a session id, `initialize` under a 2026 header, a
 * header naming one version and the body another) are refused, never guessed at.
 */
export function decideEra(headers: Headers, body: unknown): EraDecision {
  const protocolVersionHeader = headers.get("mcp-protocol-version") ?? undefined;
  const route = classifyInboundRequest({
    httpMethod: "POST",
    body,
    ...(protocolVersionHeader !== undefined ? { protocolVersionHeader } : {}),
    ...(headers.has("mcp-method") ? { mcpMethodHeader: headers.get("mcp-method")! } : {}),
    ...(headers.has("mcp-name") ? { mcpNameHeader: headers.get("mcp-name")! } : {}),
  });
  // A message that is not JSON-RPC at all claims no era: the session path refuses it as it always has.
  if (route.kind === "legacy" || (route.kind === "reject" && route.rung === "jsonrpc-shape" && route.cell !== "batch-with-modern-element")) return { era: "legacy" };
  // A refusal names the request it refuses when its id can be read (2026-07-28 asks it of every error).
  const refusal = (status: number, code: number, message: string, data?: unknown) => refused(idOf(body), status, code, message, data);
  if (route.kind === "reject") return { era: "refused", response: refusal(route.httpStatus, route.code, route.message, route.data) };
  const revision = route.classification.revision ?? protocolVersionHeader;
  if (headers.has(SESSION_HEADER)) {
    return { era: "refused", response: refusal(400, STATELESS_ERRORS.HEADER_MISMATCH, `Bad Request: a ${STATELESS_PROTOCOL_VERSION} request has no session, but this one carries ${SESSION_HEADER}: send one era's signals, not both`) };
  }
  if (revision !== STATELESS_PROTOCOL_VERSION) return { era: "refused", response: unsupportedVersion(idOf(body), revision) };
  if (route.messageKind === "notification") return { era: "stateless-notification" };
  const request = route.message as JsonRpcRequest;
  const mismatch = standardHeaderMismatch(headers, request);
  if (mismatch) return { era: "refused", response: refusal(400, STATELESS_ERRORS.HEADER_MISMATCH, `Bad Request: the request headers and body disagree: ${mismatch}`) };
  return { era: "stateless", request: withoutEnvelope(request), client: clientOf(request) };
}

/** -32022 names what the gateway speaks, so the client can pick a version without another round trip. */
function unsupportedVersion(id: RequestId | null, requested: string | undefined): Response {
  const supported = [STATELESS_PROTOCOL_VERSION];
  return refused(id, 400, STATELESS_ERRORS.UNSUPPORTED_PROTOCOL_VERSION, `Unsupported protocol version${requested ? ` ${requested}` : ""}: this gateway speaks ${STATELESS_PROTOCOL_VERSION} statelessly and 2024-11-05 to 2025-11-25 in sessions`, {
    supported,
    ...(requested ? { requested } : {}),
  });
}

function refused(id: RequestId | null, status: number, code: number, message: string, data?: unknown): Response {
  return Response.json(errorResponse(id, code, message, data), { status });
}

function idOf(body: unknown): RequestId | null {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === "string" || (typeof id === "number" && Number.isInteger(id)) ? id : null;
}

function metaOf(request: JsonRpcRequest): Record<string, unknown> {
  return ((request.params ?? {})._meta ?? {}) as Record<string, unknown>;
}

function clientOf(request: JsonRpcRequest): StatelessClient {
  const meta = metaOf(request);
  return {
    clientInfo: (meta[CLIENT_INFO_META_KEY] as Implementation | undefined) ?? { name: "unknown", version: "unknown" },
    clientCapabilities: (meta[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? {},
  };
}

/**
 * The request as the gateway core and a downstream server of either era should see it: the envelope's
 * version and client are the front door's business (a 2026 server would read them as a claim about a
 * connection they do not describe; the downstream connection makes its own).
 */
function withoutEnvelope(request: JsonRpcRequest): JsonRpcRequest {
  const params = request.params;
  if (!params?._meta) return request;
  const meta = Object.fromEntries(Object.entries(params._meta as Record<string, unknown>).filter(([key]) => !RESERVED_META_KEYS.includes(key)));
  const { _meta: _dropped, ...rest } = params;
  return { ...request, params: Object.keys(meta).length > 0 ? { ...rest, _meta: meta } : rest };
}

