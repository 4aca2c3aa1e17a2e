import { sql } from "drizzle-orm";
import { boolean, check, index, integer, jsonb, pgTable, text, timestamp, unique } from "drizzle-orm/pg-core";
import { exactJsonb } from "./exact-jsonb.ts";
import { APPROVAL_CHANNELS, APPROVAL_STATUSES } from "../approvals/types.ts";

export const USER_ROLES = ["owner", "admin", "user"] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const USER_STATUSES = ["active", "disabled"] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const SERVER_TRANSPORTS = ["streamable-http", "sse", "stdio"] as const;
export type ServerTransport = (typeof SERVER_TRANSPORTS)[number];

const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
};

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  email: text("email").unique(),
  role: text("role", { enum: USER_ROLES }).notNull().default("user"),
  status: text("status", { enum: USER_STATUSES }).notNull().default("active"),
  attributes: jsonb("attributes").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  /** Calls per minute across all of the user's sessions; null means the gateway's default. */
  rateLimitPerMinute: integer("rate_limit_per_minute"),
  ...timestamps,
}, (table) => [
  check("users_role_check", sql`${table.role} in ('owner', 'admin', 'user')`),
  check("users_status_check", sql`${table.status} in ('active', 'disabled')`),
]);

/**
 * A user's API key is `pk_<id>_<secret>`. Only the SHA-256 of the secret is kept: the id finds the row
 * without a secret-dependent index lookup, and the hash is then compared in constant time.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    secretHash: text("secret_hash").notNull(),
    createdAt: timestamps.createdAt,
  },
  (table) => [index("api_keys_user_id_idx").on(table.userId)],
);

/** A value each user must supply for a server, e.g. a personal access token. */
export interface UserInput {
  name: string;
  description: string;
  required: boolean;
}

/**
 * The connection settings (URL and headers, or a stdio server's command, arguments and environment, which
 * may carry `{{secret:…}}` placeholders or literal credentials) are stored only as a vault envelope in `config`. `url` and `headers` are the plaintext
 * columns of rows written before the vault existed; reading still accepts them, and ROTATE_VAULT_KEY
 * encrypts them and clears them.
 */
export const servers = pgTable("servers", {
  serverId: text("server_id").primaryKey(),
  name: text("name").notNull(),
  transport: text("transport", { enum: SERVER_TRANSPORTS }).notNull(),
  config: text("config"),
  configKeyId: text("config_key_id"),
  url: text("url"),
  headers: jsonb("headers").$type<Record<string, string>>(),
  userInputs: jsonb("user_inputs").$type<UserInput[]>().notNull().default(sql`'[]'::jsonb`),
  enabled: boolean("enabled").notNull().default(true),
  /** Open to every active user without a grant (the grant layer of worker/policy). */
  publicAccess: boolean("public_access").notNull().default(true),
  /**
   * What sessions, bridges and the admin probe last saw when connecting (worker/mcp/connect-outcomes.ts):
   * the last failure, scrubbed and with the URL stripped of its secrets, and the back-off's next try.
   */
  lastConnectError: text("last_connect_error"),
  lastConnectErrorAt: timestamp("last_connect_error_at", { withTimezone: true }),
  nextConnectTryAt: timestamp("next_connect_try_at", { withTimezone: true }),
  lastConnectedAt: timestamp("last_connected_at", { withTimezone: true }),
  ...timestamps,
}, (table) => [
  check("servers_server_id_check", sql`${table.serverId} ~ '^[a-z0-9][a-z0-9-]{0,31}$'`),
  check("servers_transport_check", sql`${table.transport} in ('streamable-http', 'sse', 'stdio')`),
  check("servers_config_check", sql`${table.config} is not null or ${table.url} is not null`),
]);

/**
 * Encrypted values: a server's own secrets (`user_id` null, set by an admin) and each user's personal
 * values for a server (set through /user). Only vault envelopes are stored; `key_id` finds the records
 * a key rotation still has to re-encrypt.
 */
export const vaultRecords = pgTable(
  "vault_records",
  {
    id: text("id").primaryKey(),
    serverId: text("server_id")
      .notNull()
      .references(() => servers.serverId, { onDelete: "cascade" }),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    ciphertext: text("ciphertext").notNull(),
    keyId: text("key_id").notNull(),
    updatedAt: timestamps.updatedAt,
  },
  (table) => [
    unique("vault_records_place").on(table.serverId, table.userId, table.name).nullsNotDistinct(),
    index("vault_records_key_id_idx").on(table.keyId),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type ServerRow = typeof servers.$inferSelect;

/** What a downstream server offers, as last fetched: kept in Postgres so a new session need not fan out. */
export interface ServerCatalogData {
  serverInfo: Record<string, unknown>;
  instructions?: string;
  capabilities: Record<string, unknown>;
  tools: Record<string, unknown>[];
  prompts: Record<string, unknown>[];
  resources: Record<string, unknown>[];
  resourceTemplates: Record<string, unknown>[];
}

/**
 * One row per view of a server. A server reached with each user's own credentials (it declares
 * `userInputs`) may list different tools, prompts and resources to each of them, so its catalogs are
 * kept per user: `user_id` is the user whose view it is. A server without user inputs has one catalog
 * shared by all (`user_id` null), and so has a per-user server seen through the owner key, which carries
 * no user. A server may also list tools only to clients that can answer them (roots, sampling,
 * elicitation), so `client_capabilities` names those the gateway declared when it fetched the catalog.
 */
export const serverCatalogs = pgTable(
  "server_catalogs",
  {
    serverId: text("server_id")
      .notNull()
      .references(() => servers.serverId, { onDelete: "cascade" }),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    clientCapabilities: text("client_capabilities").notNull().default(""),
    catalog: jsonb("catalog").$type<ServerCatalogData>().notNull(),
    fetchedAt: timestamp("fetched_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [unique("server_catalogs_view").on(table.serverId, table.userId, table.clientCapabilities).nullsNotDistinct()],
);

/**
 * The audit trail. Records are hash-chained per chain (one per MCP session, plus one for admin and
 * self-service changes): `hash` covers the record's canonical form including `prev_hash`, and `seq`
 * counts up from 1 without gaps, so an edited, inserted or deleted row breaks verification.
 */
export const auditRecords = pgTable(
  "audit_records",
  {
    id: text("id").primaryKey(),
    chainId: text("chain_id").notNull(),
    seq: integer("seq").notNull(),
    prevHash: text("prev_hash"),
    hash: text("hash").notNull(),
    ts: timestamp("ts", { withTimezone: true, mode: "string" }).notNull(),
    userId: text("user_id"),
    role: text("role"),
    clientName: text("client_name"),
    clientVersion: text("client_version"),
    sessionId: text("session_id"),
    ip: text("ip"),
    serverId: text("server_id"),
    method: text("method").notNull(),
    name: text("name"),
    arguments: exactJsonb("arguments"),
    decision: text("decision", { enum: ["allow", "deny"] }).notNull(),
    decisionReason: text("decision_reason"),
    policyId: text("policy_id"),
    policyVersion: integer("policy_version"),
    ruleId: text("rule_id"),
    approvalId: text("approval_id"),
    outcome: text("outcome", { enum: ["ok", "error"] }).notNull(),
    errorCode: integer("error_code"),
    errorMessage: text("error_message"),
    latencyMs: integer("latency_ms").notNull(),
    responseBytes: integer("response_bytes").notNull(),
  },
  (table) => [
    unique("audit_records_chain_seq").on(table.chainId, table.seq),
    index("audit_records_ts_idx").on(table.ts),
    index("audit_records_user_idx").on(table.userId, table.id),
    index("audit_records_server_idx").on(table.serverId, table.id),
    index("audit_records_name_idx").on(table.name, table.id),
    index("audit_records_decision_idx").on(table.decision, table.id),
    index("audit_records_policy_idx").on(table.policyId, table.id),
    index("audit_records_rule_idx").on(table.ruleId, table.id),
    index("audit_records_outcome_idx").on(table.outcome, table.id),
  ],
);

/** Where a pruned chain now starts: the last pruned record's seq and hash, so the rest still verifies. */
export const auditAnchors = pgTable("audit_anchors", {
  chainId: text("chain_id").primaryKey(),
  seq: integer("seq").notNull(),
  hash: text("hash").notNull(),
});

export const CAPABILITY_KINDS = ["tool", "prompt", "resource"] as const;
export type CapabilityKind = (typeof CAPABILITY_KINDS)[number];

/**
 * Layer 1 of the policy: an admin's setting for one tool, prompt or resource of a server. Only items an
 * admin has touched have a row; a null column means "the default" (enabled, danger level from annotations).
 */
export const serverCapabilities = pgTable(
  "server_capabilities",
  {
    serverId: text("server_id")
      .notNull()
      .references(() => servers.serverId, { onDelete: "cascade" }),
    kind: text("kind", { enum: CAPABILITY_KINDS }).notNull(),
    name: text("name").notNull(),
    enabled: boolean("enabled"),
    dangerLevel: integer("danger_level"),
    updatedAt: timestamps.updatedAt,
  },
  (table) => [
    unique("server_capabilities_item").on(table.serverId, table.kind, table.name),
    check("server_capabilities_kind_check", sql`${table.kind} in ('tool', 'prompt', 'resource')`),
    check("server_capabilities_danger_check", sql`${table.dangerLevel} is null or ${table.dangerLevel} between 0 and 2`),
  ],
);

/**
 * Layer 2: which servers, and which tools within them, a user (`user_id`) or every user of a role
 * (`role`) may use. Exactly one of the two is set. `tools` maps a tool name to false to withhold it.
 */
export const permissionGrants = pgTable(
  "permission_grants",
  {
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: USER_ROLES }),
    serverId: text("server_id")
      .notNull()
      .references(() => servers.serverId, { onDelete: "cascade" }),
    enabled: boolean("enabled").notNull(),
    tools: jsonb("tools").$type<Record<string, boolean>>().notNull().default(sql`'{}'::jsonb`),
    updatedAt: timestamps.updatedAt,
  },
  (table) => [
    unique("permission_grants_subject").on(table.userId, table.role, table.serverId).nullsNotDistinct(),
    check("permission_grants_subject_check", sql`(${table.userId} is null) <> (${table.role} is null)`),
  ],
);

/** What a user withholds from one server in layer 3: the server as a whole, or single items. */
export interface NarrowedServer {
  enabled?: boolean | undefined;
  tools?: Record<string, boolean> | undefined;
  prompts?: Record<string, boolean> | undefined;
  resources?: Record<string, boolean> | undefined;
}

/**
 * Layer 3: a user's own narrowing, for all clients (`client_name` '') or one client (its
 * `clientInfo.name`). Both apply to a client that has its own; neither can widen what layers 1-2 allow.
 */
export const userNarrowings = pgTable(
  "user_narrowings",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    clientName: text("client_name").notNull().default(""),
    servers: jsonb("servers").$type<Record<string, NarrowedServer>>().notNull(),
    updatedAt: timestamps.updatedAt,
  },
  (table) => [unique("user_narrowings_client").on(table.userId, table.clientName)],
);

export const RULE_EFFECTS = ["allow", "deny", "require_approval"] as const;
export type RuleEffect = (typeof RULE_EFFECTS)[number];

/** One rule of a policy set, as stored (validated and CEL-parsed at write time). */
export interface PolicyRule {
  id: string;
  priority: number;
  match: { server?: string | undefined; tool?: string | undefined };
  when?: string | undefined;
  effect: RuleEffect;
  reason?: string | undefined;
  approvers?: string[] | undefined;
  ttlSeconds?: number | undefined;
  /** Calls per minute per user, server and item while this rule decides (allow or require_approval). */
  rateLimitPerMinute?: number | undefined;
}

/**
 * Rules, global (`server_id` null) or for one server. Every change bumps `version`, which decisions
 * and audit records carry so one can tell which version of a set decided.
 */
export const policySets = pgTable("policy_sets", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  serverId: text("server_id").references(() => servers.serverId, { onDelete: "cascade" }),
  version: integer("version").notNull().default(1),
  timeZone: text("time_zone").notNull().default("UTC"),
  rules: jsonb("rules").$type<PolicyRule[]>().notNull(),
  ...timestamps,
}, (table) => [index("policy_sets_server_idx").on(table.serverId)]);

/**
 * Every version a policy set has had, in full, written in the transaction that made it: an audit record
 * names (policy_id, policy_version), and this says what that version's rules were. No foreign key: the
 * history outlives the set (and its server) being deleted.
 */
export const policySetVersions = pgTable(
  "policy_set_versions",
  {
    policySetId: text("policy_set_id").notNull(),
    version: integer("version").notNull(),
    name: text("name").notNull(),
    serverId: text("server_id"),
    timeZone: text("time_zone").notNull(),
    rules: jsonb("rules").$type<PolicyRule[]>().notNull(),
    createdAt: timestamps.createdAt,
  },
  (table) => [unique("policy_set_versions_version").on(table.policySetId, table.version)],
);

export const IP_ALLOWLIST_MODES = ["allow-all", "allow-list"] as const;
export type IpAllowlistMode = (typeof IP_ALLOWLIST_MODES)[number];

/** The gateway's IP allow-list (`user_id` null) and per-user ones: a request must pass both that apply. */
export const ipAllowlists = pgTable(
  "ip_allowlists",
  {
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    mode: text("mode", { enum: IP_ALLOWLIST_MODES }).notNull().default("allow-all"),
    cidrs: jsonb("cidrs").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    updatedAt: timestamps.updatedAt,
  },
  (table) => [
    unique("ip_allowlists_scope").on(table.userId).nullsNotDistinct(),
    check("ip_allowlists_mode_check", sql`${table.mode} in ('allow-all', 'allow-list')`),
  ],
);
export const OAUTH_CLIENT_KINDS = ["dcr", "cimd"] as const;
export type OAuthClientKind = (typeof OAUTH_CLIENT_KINDS)[number];

/**
 * OAuth clients: registered through /register (`dcr`, a random id) or described by a Client ID Metadata
 * Document (`cimd`, the id is the document's https URL). A CIMD row is a cache of the fetched document,
 * refreshed once `fetched_at` is older than the cache lifetime.
 */
export const oauthClients = pgTable("oauth_clients", {
  clientId: text("client_id").primaryKey(),
  kind: text("kind", { enum: OAUTH_CLIENT_KINDS }).notNull(),
  clientName: text("client_name"),
  clientUri: text("client_uri"),
  redirectUris: jsonb("redirect_uris").$type<string[]>().notNull(),
  fetchedAt: timestamp("fetched_at", { withTimezone: true }).notNull().defaultNow(),
  createdAt: timestamps.createdAt,
}, (table) => [check("oauth_clients_kind_check", sql`${table.kind} in ('dcr', 'cimd')`)]);

/**
 * A user's consent to one client for one resource, and the refresh-token family it started. Access
 * tokens carry the grant's id, so revoking it (the user, a reused refresh token, a replayed code) ends
 * every token of the family on the next request.
 */
export const oauthGrants = pgTable("oauth_grants", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
  clientId: text("client_id").notNull().references(() => oauthClients.clientId, { onDelete: "cascade" }),
  // The API key the user signed in with (null through the OIDC provider): rotating or deleting that key
  // ends the grants made with it, as it ends the tokens minted from it, in case it was the key that leaked.
  apiKeyId: text("api_key_id").references(() => apiKeys.id, { onDelete: "cascade" }),
  resource: text("resource").notNull(),
  scope: text("scope"),
  createdAt: timestamps.createdAt,
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
  revokedReason: text("revoked_reason"),
}, (table) => [index("oauth_grants_user_idx").on(table.userId)]);

/** Authorization codes, by SHA-256. Single use: `used_at` set means redeemed, and a replay revokes the grant. */
export const oauthCodes = pgTable("oauth_codes", {
  codeHash: text("code_hash").primaryKey(),
  grantId: text("grant_id").notNull().references(() => oauthGrants.id, { onDelete: "cascade" }),
  redirectUri: text("redirect_uri").notNull(),
  codeChallenge: text("code_challenge").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }),
});

/** Refresh tokens, by SHA-256 only. A token is used once: `used_at` set means it was rotated away. */
export const oauthRefreshTokens = pgTable("oauth_refresh_tokens", {
  tokenHash: text("token_hash").primaryKey(),
  grantId: text("grant_id").notNull().references(() => oauthGrants.id, { onDelete: "cascade" }),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }),
  createdAt: timestamps.createdAt,
}, (table) => [index("oauth_refresh_tokens_grant_idx").on(table.grantId)]);

/**
 * The consent pages already decided (approved or denied), by their ticket's `jti`: a ticket is single use,
 * so a replayed approval makes no second code or grant. Kept until the ticket would have expired anyway.
 */
export const oauthSpentTickets = pgTable("oauth_spent_tickets", {
  ticketId: text("ticket_id").primaryKey(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});

export type OAuthClientRow = typeof oauthClients.$inferSelect;
export type OAuthGrantRow = typeof oauthGrants.$inferSelect;

/**
 * A call held for a human decision (worker/approvals/). The exact arguments stay in the session that
 * holds the call; here they are masked as in the audit trail, with a hash of the exact ones, which is
 * how a repeat of the same call finds this request. The executed call's result (already scrubbed of vault
 * values) is kept so a repeat within the TTL gets it without the tool running twice.
 */
export const approvalRequests = pgTable(
  "approval_requests",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    sessionId: text("session_id"),
    serverId: text("server_id").notNull(),
    tool: text("tool").notNull(),
    clientName: text("client_name"),
    arguments: exactJsonb("arguments"),
    argumentsHash: text("arguments_hash").notNull(),
    inputSchema: jsonb("input_schema").$type<Record<string, unknown>>(),
    reason: text("reason").notNull(),
    policyId: text("policy_id"),
    policyVersion: integer("policy_version"),
    ruleId: text("rule_id"),
    approvers: jsonb("approvers").$type<string[]>().notNull(),
    status: text("status", { enum: APPROVAL_STATUSES }).notNull().default("pending"),
    ttlSeconds: integer("ttl_seconds").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    decidedBy: text("decided_by"),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    decisionChannel: text("decision_channel", { enum: APPROVAL_CHANNELS }),
    decisionReason: text("decision_reason"),
    editedArguments: exactJsonb("edited_arguments"),
    editedArgumentsHash: text("edited_arguments_hash"),
    result: exactJsonb("result"),
    resultOutcome: text("result_outcome", { enum: ["ok", "error"] }),
    executedAt: timestamp("executed_at", { withTimezone: true }),
  },
  (table) => [
    index("approval_requests_repeat_idx").on(table.userId, table.serverId, table.tool, table.argumentsHash, table.createdAt),
    index("approval_requests_status_idx").on(table.status, table.createdAt),
    check("approval_requests_status_check", sql`${table.status} in ('pending','approved','rejected','expired','executing','executed','failed')`),
  ],
);
