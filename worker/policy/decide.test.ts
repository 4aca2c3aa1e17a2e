import { describe, expect, it } from "vitest";
import { assertRulesCompile, compilePolicy } from "./compile.ts";
import { decide, isVisible } from "./decide.ts";
import { call, policySet, server, snapshot } from "./test-snapshots.ts";

describe("capability layers", () => {
  it("names the server layer for an unknown, disabled server or a disabled item", () => {
    const compiled = compilePolicy(
      snapshot({
        servers: {
          github: server({ capabilities: { tool: { delete_repo: { enabled: false, dangerLevel: null } }, prompt: {}, resource: {} } }),
          off: server({ enabled: false }),
        },
      }),
    );
    expect(decide(compiled, call({ name: "delete_repo" }))).toMatchObject({ effect: "deny", layer: "server", reason: expect.stringContaining("disabled by an admin") });
    expect(decide(compiled, call({ serverId: "off" })).layer).toBe("server");
    expect(decide(compiled, call({ serverId: "nope" })).layer).toBe("server");
    expect(decide(compiled, call()).effect).toBe("allow");
  });

  it("requires a grant unless the server is public; the user's own grant beats publicAccess", () => {
    const closed = server({ publicAccess: false });
    expect(decide(compilePolicy(snapshot({ servers: { github: closed } })), call())).toMatchObject({ effect: "deny", layer: "grant" });
    const granted = server({ publicAccess: false, grant: { enabled: true, tools: { delete_repo: false } } });
    const compiled = compilePolicy(snapshot({ servers: { github: granted } }));
    expect(decide(compiled, call()).effect).toBe("allow");
    expect(decide(compiled, call({ name: "delete_repo" }))).toMatchObject({ effect: "deny", layer: "grant" });
    const revoked = server({ publicAccess: true, grant: { enabled: false, tools: {} } });
    expect(decide(compilePolicy(snapshot({ servers: { github: revoked } })), call()).layer).toBe("grant");
  });

  it("applies the user's narrowing for all clients and for the calling client only", () => {
    const compiled = compilePolicy(
      snapshot({ narrowings: { "": { github: { tools: { create_issue: false } } }, cursor: { github: { enabled: false } } } }),
    );
    expect(decide(compiled, call())).toMatchObject({ effect: "deny", layer: "user" });
    expect(decide(compiled, call({ name: "list_issues" })).effect).toBe("allow");
    expect(decide(compiled, call({ name: "list_issues", client: { name: "cursor", version: "1" } }))).toMatchObject({
      layer: "user",
      reason: expect.stringContaining('for client "cursor"'),
    });
  });

  it("binds the owner key by the server layer and rules only", () => {
    const owner = snapshot({
      user: { id: null, role: "owner", email: null, attributes: {}, status: "active", rateLimitPerMinute: null },
      servers: { github: server({ publicAccess: false }), off: server({ enabled: false }) },
      policySets: [policySet([{ match: { tool: "delete_*" }, reason: "never delete" }])],
    });
    const compiled = compilePolicy(owner);
    const input = { user: { id: null, role: "owner", email: null, attributes: {} } };
    expect(decide(compiled, call(input)).effect).toBe("allow");
    expect(decide(compiled, call({ ...input, serverId: "off" })).layer).toBe("server");
    expect(decide(compiled, call({ ...input, name: "delete_repo" }))).toMatchObject({ effect: "deny", reason: "never delete" });
  });
});

describe("rules", () => {
  it("takes the first match by priority, then set and rule order", () => {
    const compiled = compilePolicy(
      snapshot({
        policySets: [
          policySet([{ id: "low", priority: 1, effect: "deny", reason: "low" }, { id: "high", priority: 10, effect: "allow" }], { version: 3 }),
          policySet([{ id: "server-tie", priority: 10, effect: "deny", reason: "server set first" }], { id: "set-2", serverId: "github", version: 7 }),
        ],
      }),
    );
    expect(decide(compiled, call())).toMatchObject({ effect: "deny", reason: "server set first", policyId: "set-2", policyVersion: 7, ruleId: "server-tie", layer: "rule" });
    expect(decide(compiled, call({ serverId: "gitlab" }))).toMatchObject({ effect: "deny", layer: "server" });
  });

  it("matches server and tool globs", () => {
    const compiled = compilePolicy(
      snapshot({
        servers: { github: server(), gitlab: server(), slack: server() },
        policySets: [policySet([{ match: { server: "git*", tool: "delete_*" }, reason: "no deletes on git" }])],
      }),
    );
    expect(decide(compiled, call({ name: "delete_repo" })).effect).toBe("deny");
    expect(decide(compiled, call({ serverId: "gitlab", name: "delete_branch" })).effect).toBe("deny");
    expect(decide(compiled, call({ serverId: "slack", name: "delete_message" })).effect).toBe("allow");
    expect(decide(compiled, call({ name: "create_repo" })).effect).toBe("allow");
  });

  it("evaluates CEL over args, user, client, ip and time in the set's zone", () => {
    const rules = [
      { id: "path", when: "args.path.startsWith('/etc')", reason: "no system files" },
      { id: "big", when: "has(args.count) && args.count > 100", reason: "too many" },
      { id: "team", when: "user.attributes.team == 'ops' && client.name == 'claude'", reason: "ops via claude" },
      { id: "net", when: "ip != null && inCidr(ip, '10.0.0.0/8')", reason: "internal network" },
      { id: "v6", when: "ip != null && inCidr(ip, '2001:db8::/32')", reason: "v6 range" },
      { id: "night", when: "hour(now) >= 22 || hour(now) < 6", reason: "not at night" },
      { id: "weekend", when: "weekday(now) == 0 || weekday(now) == 6", reason: "not on weekends" },
    ];
    const compiled = compilePolicy(snapshot({ policySets: [policySet(rules, { timeZone: "Asia/Tokyo" })] }));
    const reason = (overrides: Parameters<typeof call>[0]) => decide(compiled, call({ args: { path: "/home" }, ...overrides })).reason;
    expect(reason({})).toBeNull();
    expect(reason({ args: { path: "/etc/passwd" } })).toBe("no system files");
    expect(reason({ args: { path: "/x", count: 500 } })).toBe("too many");
    expect(reason({ user: { id: "u1", role: "user", email: null, attributes: { team: "ops" } } })).toBe("ops via claude");
    expect(reason({ ip: "10.2.3.4" })).toBe("internal network");
    expect(reason({ ip: "2001:db8:1::5" })).toBe("v6 range");
    // 14:00 UTC is 23:00 in Tokyo; Saturday 2026-12-05 01:00 UTC is Saturday 10:00 in Tokyo.
    expect(reason({ now: new Date("2026-12-01T14:00:00Z") })).toBe("not at night");
    expect(reason({ now: new Date("2026-12-05T01:00:00Z") })).toBe("not on weekends");
  });

  it("fails closed: an erroring or non-boolean condition denies with its reason", () => {
    const compiled = compilePolicy(
      snapshot({ policySets: [policySet([{ id: "oops", when: "args.missing == 1", effect: "allow" }, { id: "str", when: "'yes'", effect: "allow" }])] }),
    );
    expect(decide(compiled, call())).toMatchObject({ effect: "deny", layer: "rule", ruleId: "oops", reason: expect.stringContaining("failed to evaluate") });
    expect(decide(compiled, call({ args: { missing: 2 } }))).toMatchObject({ effect: "deny", ruleId: "str", reason: expect.stringContaining("boolean") });
  });

  it("bounds regexes: RE2 for the pattern, and limits on pattern and input size", () => {
    const compiled = compilePolicy(snapshot({ policySets: [policySet([{ when: "args.s.matches('^(a+)+$')", reason: "all a" }])] }));
    // A backtracking engine takes exponential time on this input; RE2 answers at once.
    expect(decide(compiled, call({ args: { s: `${"a".repeat(5000)}!` } })).effect).toBe("allow");
    expect(decide(compiled, call({ args: { s: "aaaa" } })).reason).toBe("all a");
    expect(decide(compiled, call({ args: { s: "a".repeat(20_000) } }))).toMatchObject({ effect: "deny", reason: expect.stringContaining("regex input longer") });
    const long = compilePolicy(snapshot({ policySets: [policySet([{ when: `args.s.matches('${"a".repeat(600)}')`, effect: "allow" }])] }));
    expect(decide(long, call({ args: { s: "a" } })).reason).toContain("regex pattern longer");
  });

  it("falls back to the danger level: 2 requires approval, a destructive tool defaults to 1", () => {
    const compiled = compilePolicy(
      snapshot({ servers: { github: server({ capabilities: { tool: { merge: { enabled: null, dangerLevel: 2 } }, prompt: {}, resource: {} } }) } }),
    );
    expect(decide(compiled, call({ name: "merge" }))).toMatchObject({ effect: "require_approval", layer: "danger", dangerLevel: 2 });
    expect(decide(compiled, call({ name: "drop", annotations: { destructiveHint: true } }))).toMatchObject({ effect: "allow", dangerLevel: 1 });
  });

  it("carries approvers and TTL of a require_approval rule", () => {
    const compiled = compilePolicy(
      snapshot({ policySets: [policySet([{ effect: "require_approval", approvers: ["admin", "self"], ttlSeconds: 600, reason: "four eyes" }])] }),
    );
    expect(decide(compiled, call())).toMatchObject({ effect: "require_approval", approvers: ["admin", "self"], ttlSeconds: 600, reason: "four eyes" });
  });

  it("rejects at compile time what would not run, naming the rule", () => {
    expect(() => assertRulesCompile([{ id: "bad", priority: 0, match: {}, effect: "deny", when: "args.x >" }], "UTC")).toThrow(/rule "bad"/);
    expect(() => assertRulesCompile([{ id: "var", priority: 0, match: {}, effect: "deny", when: "secret == 1" }], "UTC")).toThrow(/unknown variable secret/);
    const nested = "args.a.all(x, args.b.all(y, x == y))";
    expect(() => assertRulesCompile([{ id: "n", priority: 0, match: {}, effect: "deny", when: nested }], "UTC")).toThrow(/nest/);
    expect(() => assertRulesCompile([{ id: "ok", priority: 0, match: {}, effect: "deny", when: "args.a.all(x, x > 0)" }], "UTC")).not.toThrow();
  });

  it("a stored rule that no longer compiles denies the items it matches", () => {
    const compiled = compilePolicy(snapshot({ policySets: [policySet([{ id: "stale", when: "args.x >", effect: "allow" }])] }));
    expect(decide(compiled, call())).toMatchObject({ effect: "deny", ruleId: "stale", reason: expect.stringContaining("does not compile") });
  });
});

describe("isVisible", () => {
  it("hides what a layer removes or an unconditional rule denies, shows what some call may pass", () => {
    const compiled = compilePolicy(
      snapshot({
        servers: { github: server({ capabilities: { tool: { off: { enabled: false, dangerLevel: null } }, prompt: {}, resource: {} } }) },
        policySets: [
          policySet([
            { match: { tool: "by_arg" }, when: "args.x == 1", effect: "deny" },
            { match: { tool: "ops_only" }, when: "user.attributes.team != 'ops'", effect: "deny" },
            { match: { tool: "never" }, effect: "deny" },
            { match: { tool: "approve" }, effect: "require_approval" },
          ]),
        ],
      }),
    );
    const visible = (name: string) => isVisible(compiled, { ...call(), name });
    expect(visible("off")).toBe(false);
    expect(visible("by_arg")).toBe(true);
    expect(visible("ops_only")).toBe(false);
    expect(visible("never")).toBe(false);
    expect(visible("approve")).toBe(true);
    expect(visible("other")).toBe(true);
  });
});
