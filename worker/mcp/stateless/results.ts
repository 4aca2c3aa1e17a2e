import type { McpConfig } from "../config.ts";
import { JSONRPC_ERRORS, type JsonRpcRequest, RpcFailure } from "../protocol.ts";
import { STATELESS_PROTOCOL_VERSION } from "./era.ts";

const SERVER_INFO_META_KEY = "io.modelcontextprotocol/serverInfo";

/** How long a client may reuse a list before asking again: short, since a policy change applies at once. */
const LIST_TTL_MS = 60_000;

/**
 * 2026-07-28 caching hints. Everything the gateway lists or reads depends on who asks: lists are
 * filtered by that user's policy, and reads go through a connection carrying that user's vault
 * values. So nothing is `public`, which would let a shared cache hand one user's answer to another.
 */
export function cacheHints(config: McpConfig, ttlMs = Math.min(LIST_TTL_MS, config.catalogTtlMs)): { ttlMs: number; cacheScope: "private" } {
  return { ttlMs, cacheScope: "private" };
}

/** `server/discover`: what initialize told a 2025 client, in the 2026 shape, with the one version spoken statelessly. */
export function discoverResult(initialize: Record<string, unknown>): Record<string, unknown> {
  const { capabilities, serverInfo, instructions } = initialize as { capabilities: Record<string, unknown>; serverInfo: unknown; instructions?: string };
  // Tasks and resource subscriptions belong to sessions; the 2026 client listens with subscriptions/listen.
  const { tasks: _tasks, logging: _logging, ...stateless } = capabilities;
  return {
    supportedVersions: [STATELESS_PROTOCOL_VERSION],
    capabilities: stateless,
    ...(instructions ? { instructions } : {}),
    ttlMs: LIST_TTL_MS,
    cacheScope: "private",
    _meta: { [SERVER_INFO_META_KEY]: serverInfo },
  };
}

/** 2025-11-25's code for "resource not found", which 2026-07-28 replaced with -32602 (SEP-2164). */
const LEGACY_RESOURCE_NOT_FOUND = -32002;

/**
 * A downstream failure in the 2026 shape: a 2025 server's "resource not found" (-32002) is -32602 with
 * `data.uri`, the URI as the client asked for it (on `/mcp`, its `peta://` form, not the server's own);
 * a -32602 of its own gets that `data.uri` too, as SEP-2164 asks.
 */
export function statelessFailure(request: JsonRpcRequest, error: unknown): unknown {
  if (request.method !== "resources/read" || !(error instanceof RpcFailure)) return error;
  const data = (error.data ?? {}) as Record<string, unknown>;
  if (error.code !== LEGACY_RESOURCE_NOT_FOUND && error.code !== JSONRPC_ERRORS.INVALID_PARAMS) return error;
  return new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, error.message, { ...data, uri: request.params?.uri });
}
