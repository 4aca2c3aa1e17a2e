// Builders for policy snapshots in unit tests: a plain snapshot with overrides, no database.
import type { PolicyRule } from "../db/schema.ts";
import type { DecideInput, PolicySetSnapshot, PolicySnapshot, ServerPolicySnapshot } from "./types.ts";

export function server(overrides: Partial<ServerPolicySnapshot> = {}): ServerPolicySnapshot {
  return { enabled: true, publicAccess: true, capabilities: { tool: {}, prompt: {}, resource: {} }, grant: null, ...overrides };
}

export function snapshot(overrides: Partial<PolicySnapshot> = {}): PolicySnapshot {
  return {
    user: { id: "u1", role: "user", email: "ann@example.com", attributes: { team: "data" }, status: "active", rateLimitPerMinute: null },
    servers: { github: server() },
    narrowings: {},
    policySets: [],
    ...overrides,
  };
}

export function policySet(rules: Partial<PolicyRule>[], overrides: Partial<PolicySetSnapshot> = {}): PolicySetSnapshot {
  return {
    id: "set-1",
    name: "test",
    serverId: null,
    version: 1,
    timeZone: "UTC",
    rules: rules.map((rule, i) => ({ id: `r${i + 1}`, priority: 0, match: {}, effect: "deny", ...rule })),
    ...overrides,
  };
}

export function call(overrides: Partial<DecideInput> = {}): DecideInput {
  return {
    user: { id: "u1", role: "user", email: "ann@example.com", attributes: { team: "data" } },
    client: { name: "claude", version: "1" },
    serverId: "github",
    kind: "tool",
    name: "create_issue",
    args: {},
    ip: "203.0.113.7",
    now: new Date("2026-12-01T10:00:00Z"),
    ...overrides,
  };
}
