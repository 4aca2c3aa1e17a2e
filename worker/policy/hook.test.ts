import { describe, expect, it } from "vitest";
import type { CallContext } from "../mcp/core/context.ts";
import type { CallTarget } from "../mcp/core/resolve.ts";
import { compilePolicy } from "./compile.ts";
import { policyDecideHook, refusalMessage } from "./hook.ts";
import type { TakeResult } from "./rate-limit.ts";
import { policySet, server, snapshot } from "./test-snapshots.ts";

const context: CallContext = {
  principal: { via: "api-key", role: "user", userId: "u1", keyId: "k" },
  ip: "10.1.2.3",
  client: { name: "claude", version: "1" },
  clientCapabilities: {},
  scope: null,
  sessionId: "s1",
};

function target(overrides: Partial<CallTarget> = {}): CallTarget {
  return { method: "tools/call", kind: "tool", serverId: "github", name: "create_issue", arguments: {}, params: {}, progressToken: undefined, item: null, ...overrides };
}

const compiled = compilePolicy(
  snapshot({
    servers: { github: server({ capabilities: { tool: {}, prompt: { secret: { enabled: false, dangerLevel: null } }, resource: {} } }) },
    policySets: [
      policySet([
        { id: "no-prod", match: { tool: "deploy" }, when: "args.env == 'prod'", effect: "deny", reason: "no prod deploys" },
        { id: "wipe", match: { tool: "wipe" }, effect: "require_approval", approvers: ["self"], reason: "wiping needs a second look" },
        { id: "lan", match: { tool: "lan_only" }, when: "!inCidr(ip, '10.0.0.0/8')", effect: "deny", reason: "office only" },
        { id: "slow", match: { tool: "search_*" }, effect: "allow", rateLimitPerMinute: 2 },
        { id: "no-drafts", match: { tool: "draft_*" }, effect: "deny", reason: "drafts stay private" },
      ], { id: "set-1", version: 4 }),
    ],
  }),
);

describe("policyDecideHook", () => {
  it("turns decisions into the core's shape, with the refusing rule or layer in the text", async () => {
    const hook = policyDecideHook({ policy: () => compiled });
    expect(await hook(context, target())).toMatchObject({ effect: "allow", policyId: null });
    const denied = await hook(context, target({ name: "deploy", arguments: { env: "prod" } }));
    expect(denied).toMatchObject({ effect: "deny", ruleId: "no-prod", policyId: "set-1", policyVersion: 4, reason: 'Refused by rule "no-prod": no prod deploys' });
    expect(await hook(context, target({ name: "deploy", arguments: { env: "dev" } }))).toMatchObject({ effect: "allow" });
    expect(await hook(context, target({ name: "wipe" }))).toMatchObject({ effect: "require_approval", approvers: ["self"], reason: expect.stringContaining("Needs approval") });
    expect(await hook(context, target({ name: "lan_only" }))).toMatchObject({ effect: "allow" });
    expect(await hook({ ...context, ip: "192.0.2.1" }, target({ name: "lan_only" }))).toMatchObject({ effect: "deny", reason: expect.stringContaining("office only") });
  });

  it("decides a completion by whether its prompt or resource is listed", async () => {
    const hook = policyDecideHook({ policy: () => compiled });
    const completion = (name: string) => target({ method: "completion/complete", kind: "completion", name, params: { ref: { type: "ref/prompt", name } } });
    expect(await hook(context, completion("secret"))).toMatchObject({ effect: "deny", layer: "server", reason: expect.stringContaining("the server layer") });
    expect(await hook(context, completion("summary"))).toMatchObject({ effect: "allow", policyId: null, ruleId: null });
    // Hidden by a rule: the audit record names the set, its version and the rule, as for a call.
    expect(await hook(context, completion("draft_notes"))).toMatchObject({ effect: "deny", layer: "rule", policyId: "set-1", policyVersion: 4, ruleId: "no-drafts", reason: 'Refused by rule "no-drafts": drafts stay private' });
  });

  it("lets a task's follow-ups through while the server stays usable, counting no limit", async () => {
    const taken: string[] = [];
    const limiter = { async take(key: string): Promise<TakeResult> { taken.push(key); return { ok: true, remaining: 1 }; } };
    const task = (serverId: string) => target({ method: "tasks/get", kind: "task", serverId, name: "t-1" });
    expect(await policyDecideHook({ policy: () => compiled, limiter })(context, task("github"))).toMatchObject({ effect: "allow" });
    const closed = compilePolicy(snapshot({ servers: { github: server({ publicAccess: false }) } }));
    expect(await policyDecideHook({ policy: () => closed, limiter })(context, task("github"))).toMatchObject({ effect: "deny", layer: "grant", reason: expect.stringContaining("the grant layer") });
    expect(taken).toEqual([]);
  });

  it("counts allowed calls against the user's limit and denies over it with rate_limited", async () => {
    const taken: [string, number][] = [];
    let left = 1;
    const limiter = {
      async take(key: string, limit: number): Promise<TakeResult> {
        taken.push([key, limit]);
        return left-- > 0 ? { ok: true, remaining: left } : { ok: false, retryAfterMs: 1234 };
      },
    };
    const hook = policyDecideHook({ policy: () => compiled, limiter, defaultRateLimit: "7" });
    expect((await hook(context, target())).effect).toBe("allow");
    expect(await hook(context, target())).toMatchObject({ effect: "deny", reason: "rate_limited", retryAfterMs: 1234 });
    // A call the policy refuses never counts.
    await hook(context, target({ name: "deploy", arguments: { env: "prod" } }));
    expect(taken).toEqual([["calls", 7], ["calls", 7]]);
  });

  it("applies a rule's own limit per server and item, after the user's", async () => {
    const taken: string[] = [];
    const counts = new Map<string, number>();
    const limiter = {
      async take(key: string, limit: number): Promise<TakeResult> {
        taken.push(key);
        const used = (counts.get(key) ?? 0) + 1;
        counts.set(key, used);
        return used <= limit ? { ok: true, remaining: limit - used } : { ok: false, retryAfterMs: 500 };
      },
    };
    const hook = policyDecideHook({ policy: () => compiled, limiter, defaultRateLimit: "100" });
    const search = (name: string) => hook(context, target({ name }));
    expect((await search("search_code")).effect).toBe("allow");
    expect((await search("search_code")).effect).toBe("allow");
    expect(await search("search_code")).toMatchObject({ effect: "deny", reason: "rate_limited", ruleId: "slow", retryAfterMs: 500 });
    expect((await search("search_issues")).effect).toBe("allow");
    expect(taken.filter((k) => k === "calls")).toHaveLength(4);
    expect(taken).toContain("rule:set-1:slow:github:tool:search_issues");
  });

  it("names the layer in refusal texts", () => {
    expect(refusalMessage({ effect: "deny", layer: "grant", ruleId: null, reason: "no grant" })).toBe("Refused by the grant layer: no grant");
    expect(refusalMessage({ effect: "require_approval", layer: "danger", ruleId: null, reason: "level 2" })).toBe("Needs approval by danger level: level 2");
  });
});
