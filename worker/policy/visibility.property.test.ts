// Lists equal calls, as a property over randomly generated configurations (seeded, so a failure replays).
import { describe, expect, it } from "vitest";
import type { CapabilityKind, PolicyRule } from "../db/schema.ts";
import { compilePolicy } from "./compile.ts";
import { decide, isVisible } from "./decide.ts";
import { call, policySet, server, snapshot } from "./test-snapshots.ts";
import type { CapabilitySetting, DecideInput, PolicySnapshot, ServerPolicySnapshot } from "./types.ts";

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERVERS = ["alpha", "beta"];
const ITEMS: [CapabilityKind, string][] = [["tool", "read"], ["tool", "write"], ["tool", "delete_all"], ["prompt", "summary"], ["resource", "file:///a"]];
const CALL_FREE = [undefined, "user.attributes.team == 'ops'", "client.name == 'cursor'", "user.role == 'admin'", "tool.startsWith('delete')"];
const CALL_DEPENDENT = ["has(args.x) && args.x == 1", "has(args.x) && args.x > 5", "ip != null && inCidr(ip, '10.0.0.0/8')", "hour(now) < 12"];
const ARGS = [{}, { x: 1 }, { x: 10 }];
const IPS = [null, "10.1.1.1", "192.0.2.1"];
const TIMES = [new Date("2026-12-01T08:00:00Z"), new Date("2026-12-01T20:00:00Z")];

function generate(random: () => number, withCallDependentRules: boolean): { config: PolicySnapshot; callers: DecideInput[] } {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const chance = (p: number) => random() < p;
  const servers: Record<string, ServerPolicySnapshot> = {};
  for (const id of SERVERS) {
    const capabilities: Record<CapabilityKind, Record<string, CapabilitySetting>> = { tool: {}, prompt: {}, resource: {} };
    for (const [kind, name] of ITEMS) if (chance(0.3)) capabilities[kind][name] = { enabled: pick([true, false, null]), dangerLevel: pick([0, 1, 2, null] as const) };
    const tools = Object.fromEntries(ITEMS.filter(([kind]) => kind === "tool" && chance(0.3)).map(([, name]) => [name, chance(0.5)]));
    servers[id] = server({ enabled: chance(0.9), publicAccess: chance(0.5), capabilities, grant: chance(0.5) ? { enabled: chance(0.8), tools } : null });
  }
  const narrowed = () => ({ [pick(SERVERS)]: { enabled: pick([true, false, undefined]), tools: { [pick(["read", "write"])]: chance(0.5) } } });
  const conditions = withCallDependentRules ? [...CALL_FREE, ...CALL_DEPENDENT] : CALL_FREE;
  const rules = (count: number): Partial<PolicyRule>[] =>
    Array.from({ length: count }, () => ({
      priority: Math.floor(random() * 3),
      match: { server: pick(["*", "alpha", "b*"]), tool: pick(["*", "read", "*e*", "delete_*", "file://*"]) },
      when: pick(conditions),
      effect: pick(["allow", "deny", "require_approval"] as const),
    }));
  const owner = chance(0.15);
  const config = snapshot({
    user: owner
      ? { id: null, role: "owner", email: null, attributes: {}, status: "active", rateLimitPerMinute: null }
      : { id: "u1", role: pick(["user", "admin"] as const), email: null, attributes: { team: pick(["ops", "data"]) }, status: "active", rateLimitPerMinute: null },
    servers,
    narrowings: owner ? {} : { ...(chance(0.5) ? { "": narrowed() } : {}), ...(chance(0.5) ? { cursor: narrowed() } : {}) },
    policySets: [policySet(rules(Math.floor(random() * 4))), policySet(rules(Math.floor(random() * 3)), { id: "set-2", serverId: pick(SERVERS) })],
  });
  const user = { id: config.user.id, role: config.user.role, email: null, attributes: config.user.attributes };
  const callers = ["claude", "cursor"].map((name) => call({ user, client: { name, version: "1" } }));
  return { config, callers };
}

function* cases(base: DecideInput) {
  for (const serverId of SERVERS) for (const [kind, name] of ITEMS) yield { ...base, serverId, kind, name };
}

/** Every caller and item of 300 configurations generated from `seed`. */
function* generatedCases(seed: number, withCallDependentRules: boolean) {
  const random = prng(seed);
  for (let round = 0; round < 300; round++) {
    const { config, callers } = generate(random, withCallDependentRules);
    const compiled = compilePolicy(config);
    for (const caller of callers) for (const item of cases(caller)) yield { round, compiled, item };
  }
}

describe("lists equal calls", () => {
  it("without call-dependent rules: listed exactly when a call is not denied", () => {
    for (const { round, compiled, item } of generatedCases(20261201, false)) {
      const decision = decide(compiled, item);
      expect(isVisible(compiled, item), `round ${round}: ${JSON.stringify({ item, decision })}`).toBe(decision.effect !== "deny");
    }
  });

  it("with rules over args, ip and time: every callable item is listed, and no listed item is refused by a layer", () => {
    for (const { round, compiled, item } of generatedCases(42, true)) {
      const visible = isVisible(compiled, item);
      for (const args of ARGS) for (const ip of IPS) for (const now of TIMES) {
        const decision = decide(compiled, { ...item, args, ip, now });
        const context = `round ${round}: ${JSON.stringify({ item, args, ip, decision })}`;
        if (decision.effect !== "deny") expect(visible, context).toBe(true);
        if (visible) expect(["server", "grant", "user"], context).not.toContain(decision.layer);
      }
    }
  });
});
