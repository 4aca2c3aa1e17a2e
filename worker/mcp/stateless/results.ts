import type { McpConfig } from "../config.ts";
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
