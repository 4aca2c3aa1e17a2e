import type { AppEnv } from "../env.ts";

/** The gateway's MCP tunables, read from `[vars]` in wrangler.toml (documented there and in docs/). */
export interface McpConfig {
  allowedOrigins: string[];
  allowedHosts: string[];
  sessionIdleMs: number;
  connectTimeoutMs: number;
  callTimeoutMs: number;
  catalogTtlMs: number;
  /** How long an open session reuses a server's row and vault records before reading them again; 0: every call. */
  serverRecheckMs: number;
  /**
   * How long an open session trusts who its caller is (user active, key or grant unrevoked, role, IP
   * list) before a request starts a new read in the background: the safety net for a push that failed.
   */
  identityRecheckMs: number;
  eventRetentionCount: number;
  eventRetentionMs: number;
  listPageSize: number;
  /** Messages in one JSON-RPC batch (2025-03-26 only): each may be a downstream call. */
  maxBatch: number;
  /** Requests one session may have in flight at once. */
  maxCallsInFlight: number;
  /** Open sessions one user may hold; the owner key has no user and no cap. */
  maxSessionsPerUser: number;
  /** The largest body one POST to /mcp may carry; a larger one is refused before it is read. */
  maxBodyBytes: number;
  /** Request-body bytes one user may send to /mcp per minute, across all their sessions; never below `maxBodyBytes`. */
  bytesPerMinute: number;
  /** How long a call waits for approval when its rule names no TTL. */
  approvalTtlMs: number;
  /** A waiting call whose client sent a progress token hears that it still waits this often. */
  approvalProgressMs: number;
}

/** The documented defaults of MCP_MAX_BODY_BYTES (1 MiB) and RATE_LIMIT_BYTES_PER_MINUTE (8 MiB). */
const DEFAULT_MAX_BODY_BYTES = 1_048_576;
const DEFAULT_BYTES_PER_MINUTE = 8_388_608;

// The bindings object lives as long as the isolate: the variables are parsed once, not on every request.
const parsed = new WeakMap<AppEnv, McpConfig>();

export function readMcpConfig(env: AppEnv): McpConfig {
  let config = parsed.get(env);
  if (!config) {
    config = parseMcpConfig(env);
    parsed.set(env, config);
  }
  return config;
}

function parseMcpConfig(env: AppEnv): McpConfig {
  const maxBodyBytes = positive(env.MCP_MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES);
  return {
    allowedOrigins: list(env.MCP_ALLOWED_ORIGINS),
    allowedHosts: list(env.MCP_ALLOWED_HOSTS),
    sessionIdleMs: positive(env.MCP_SESSION_IDLE_SECONDS, 1800) * 1000,
    connectTimeoutMs: positive(env.MCP_CONNECT_TIMEOUT_MS, 10_000),
    callTimeoutMs: positive(env.MCP_CALL_TIMEOUT_MS, 120_000),
    catalogTtlMs: positive(env.MCP_CATALOG_TTL_SECONDS, 300) * 1000,
    serverRecheckMs: atLeastZero(env.MCP_SERVER_RECHECK_SECONDS, 30) * 1000,
    identityRecheckMs: atLeastZero(env.MCP_IDENTITY_RECHECK_SECONDS, 30) * 1000,
    eventRetentionCount: positive(env.MCP_EVENT_RETENTION_COUNT, 1000),
    eventRetentionMs: positive(env.MCP_EVENT_RETENTION_SECONDS, 3600) * 1000,
    listPageSize: positive(env.MCP_LIST_PAGE_SIZE, 500),
    maxBatch: positive(env.MCP_MAX_BATCH, 50),
    maxCallsInFlight: positive(env.MCP_MAX_CALLS_IN_FLIGHT, 64),
    maxSessionsPerUser: positive(env.MCP_MAX_SESSIONS_PER_USER, 50),
    maxBodyBytes,
    // A budget smaller than one allowed body would refuse that body forever instead of for a while.
    bytesPerMinute: Math.max(maxBodyBytes, positive(env.RATE_LIMIT_BYTES_PER_MINUTE, DEFAULT_BYTES_PER_MINUTE)),
    approvalTtlMs: positive(env.APPROVAL_TTL_SECONDS, 600) * 1000,
    approvalProgressMs: positive(env.APPROVAL_PROGRESS_SECONDS, 10) * 1000,
  };
}

function list(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

// A typo in a var must not become NaN or 0 (an instant timeout); it falls back to the default.
function positive(raw: string | undefined, fallback: number): number {
  const value = Number(raw);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function atLeastZero(raw: string | undefined, fallback: number): number {
  const value = raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}
