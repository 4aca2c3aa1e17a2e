import type { CapabilityKind, NarrowedServer, PolicyRule, UserRole, UserStatus } from "../db/schema.ts";

export type DangerLevel = 0 | 1 | 2;
export type Effect = "allow" | "deny" | "require_approval";
/** Which part of the policy decided: a capability layer, a rule, or (no rule matched) the danger level. */
export type DecisionLayer = "server" | "grant" | "user" | "rule" | "danger";

/** An admin's setting for one item (layer 1); null fields mean "the default". */
export interface CapabilitySetting {
  enabled: boolean | null;
  dangerLevel: DangerLevel | null;
}

export interface GrantSnapshot {
  enabled: boolean;
  /** A tool mapped to false is withheld; tools not named are granted with the server. */
  tools: Record<string, boolean>;
}

export interface ServerPolicySnapshot {
  enabled: boolean;
  publicAccess: boolean;
  capabilities: Record<CapabilityKind, Record<string, CapabilitySetting>>;
  /** The user's own grant for this server if there is one, else their role's; null: no grant. */
  grant: GrantSnapshot | null;
}

export interface PolicySetSnapshot {
  id: string;
  name: string;
  serverId: string | null;
  version: number;
  timeZone: string;
  rules: PolicyRule[];
}

export interface PolicyUserSnapshot {
  /** null for the owner key, which has no user row. */
  id: string | null;
  role: UserRole;
  email: string | null;
  attributes: Record<string, unknown>;
  status: UserStatus;
  rateLimitPerMinute: number | null;
}

/**
 * Everything the policy needs to decide for one principal, read from Postgres once (at `initialize`)
 * and refreshed when a change is pushed. Plain JSON, so a session can keep it in DO storage.
 */
export interface PolicySnapshot {
  user: PolicyUserSnapshot;
  servers: Record<string, ServerPolicySnapshot>;
  /** Layer 3 by client name; "" applies to every client. */
  narrowings: Record<string, Record<string, NarrowedServer>>;
  policySets: PolicySetSnapshot[];
}

/** The catalog item's MCP annotations, for the danger level's default. */
export interface ItemAnnotations {
  destructiveHint?: boolean | undefined;
}

export interface PolicyCaller {
  user: { id: string | null; role: string; email: string | null; attributes: Record<string, unknown> };
  client: { name: string; version: string };
}

export interface ItemRef {
  serverId: string;
  kind: CapabilityKind;
  /** The original (downstream) tool or prompt name, or resource URI. */
  name: string;
  annotations?: ItemAnnotations | undefined;
}

export interface DecideInput extends PolicyCaller, ItemRef {
  args: Record<string, unknown>;
  ip: string | null;
  now: Date;
}

export type VisibilityInput = PolicyCaller & ItemRef;

/** The caller a snapshot describes, through one client: what list-time questions and the hook evaluate as. */
export function callerOf(snapshot: PolicySnapshot, client: { name: string; version: string }): PolicyCaller {
  const { id, role, email, attributes } = snapshot.user;
  return { user: { id, role, email, attributes }, client: { name: client.name, version: client.version } };
}

export interface Decision {
  effect: Effect;
  layer: DecisionLayer | null;
  reason: string | null;
  policyId: string | null;
  policyVersion: number | null;
  ruleId: string | null;
  /** The item's danger level: 1 asks the pipeline to notify, 2 (with no rule matching) is an approval. */
  dangerLevel: DangerLevel;
  approvers?: string[];
  ttlSeconds?: number;
  /** The deciding rule's limit: the pipeline counts the call under `key` in the user's rate limiter. */
  rateLimit?: { key: string; limitPerMinute: number };
}
