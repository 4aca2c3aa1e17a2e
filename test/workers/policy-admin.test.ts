// The policy's admin and self-service actions, end to end over POST /admin and /user against Postgres.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../worker/db/client.ts";
import { loadPolicySnapshot } from "../../worker/policy/snapshot.ts";
import { insertChain, uniqueId } from "./audit-support.ts";
import { admin, callAction, createUser, request } from "./gateway.ts";
import { registerServer } from "./mcp-client.ts";

/**
 * A live fixture under a fresh id, removed after the test: every user's aggregated session reaches every
 * enabled server, so a dead one would fail other files' sessions. Its catalog may be fetched meanwhile,
 * so checks pick out the items they configured.
 */
const created: string[] = [];

async function server(extra: Record<string, unknown> = {}): Promise<string> {
  const serverId = await registerServer("alpha", extra);
  created.push(serverId);
  return serverId;
}

afterEach(async () => {
  for (const serverId of created.splice(0)) await admin(2013, { serverId });
});

function only<T extends { name: string }>(items: T[], names: string[]): T[] {
  return items.filter((item) => names.includes(item.name));
}

async function expect400(action: number, data: unknown, field: string, path: "/admin" | "/user" = "/admin", credential?: string) {
  const reply = await callAction(path, action, data, credential);
  expect(reply.status, JSON.stringify(data)).toBe(400);
  expect(reply.body.error?.message).toContain(field);
}

describe("capability layers over the admin API", () => {
  it("2003 sets server capabilities; 3005 and 3002 read them with defaults; 2012 sets publicAccess", async () => {
    const serverId = await server();
    const updated = await admin<{ servers: { tools: { name: string; enabled: boolean; dangerLevel: number }[] }[] }>(2003, {
      serverId,
      tools: { delete_repo: { enabled: false }, merge: { dangerLevel: 2 } },
      prompts: { summary: { enabled: false } },
      resources: { "file:///etc": { enabled: false } },
    });
    expect(updated.status).toBe(200);
    expect(only(updated.body.data!.servers[0]!.tools, ["delete_repo", "merge"])).toEqual([
      expect.objectContaining({ name: "delete_repo", enabled: false, dangerLevel: 0 }),
      expect.objectContaining({ name: "merge", enabled: true, dangerLevel: 2 }),
    ]);
    await admin(2003, { serverId, tools: { merge: { dangerLevel: null } } });
    const one = await admin<{ servers: { publicAccess: boolean; tools: { name: string }[]; prompts: { name: string; enabled: boolean }[] }[] }>(3005, { serverId });
    expect(only(one.body.data!.servers[0]!.tools, ["delete_repo", "merge"]).map((t) => t.name)).toEqual(["delete_repo"]);
    // Open to every user by default, as every server was before grants existed.
    expect(one.body.data!.servers[0]!.publicAccess).toBe(true);
    expect(only(one.body.data!.servers[0]!.prompts, ["summary"])).toEqual([expect.objectContaining({ enabled: false })]);

    expect((await admin<{ server: { publicAccess: boolean } }>(2012, { serverId, publicAccess: false })).body.data!.server.publicAccess).toBe(false);
    const all = await admin<{ servers: { serverId: string; publicAccess: boolean }[] }>(3002, {});
    expect(all.body.data!.servers.find((s) => s.serverId === serverId)).toMatchObject({ publicAccess: false });
    expect((await admin<{ server: { publicAccess: boolean } }>(2012, { serverId, publicAccess: true })).body.data!.server.publicAccess).toBe(true);
    const statuses = await admin<{ servers: unknown[] }>(3004, { serverId });
    const timeOrNull = expect.toSatisfy((v) => v === null || typeof v === "string");
    // A remote server has no instances to report (those are stdio servers'): null.
    expect(statuses.body.data!.servers).toEqual([
      {
        serverId,
        enabled: true,
        publicAccess: true,
        catalogFetchedAt: timeOrNull,
        instances: null,
        // The connection probe of CREATE_SERVER records its outcome in the background: set or not yet.
        lastConnectError: null,
        lastConnectErrorAt: null,
        nextConnectTryAt: null,
        lastConnectedAt: timeOrNull,
      },
    ]);

    await expect400(2003, { serverId, tools: { x: { dangerLevel: 3 } } }, "data.tools.x.dangerLevel");
    await expect400(2003, { serverId, prompts: { x: { dangerLevel: 1 } } }, "data.prompts.x");
    await expect400(2003, { serverId: "Bad!" }, "data.serverId");
    await expect400(2012, { serverId, publicAccess: "yes" }, "data.publicAccess");
    expect((await admin(2003, { serverId: "no-such-server", tools: {} })).status).toBe(404);
    expect((await admin(3005, { serverId: "no-such-server" })).status).toBe(404);
  });

  it("1002 replaces a user's grants, 1003 a role's; 3003 names the layer that removed each item", async () => {
    const open = await server({ publicAccess: true });
    const closed = await server();
    await admin(2003, { serverId: open, tools: { off: { enabled: false }, on: { enabled: true }, withheld: { enabled: true }, narrowed: { enabled: true } } });
    const user = await createUser();

    const granted = await admin<{ servers: Record<string, unknown> }>(1002, {
      userId: user.userId,
      servers: { [open]: { enabled: true, tools: { withheld: false } } },
    });
    expect(granted.body.data!.servers).toEqual({ [open]: { enabled: true, tools: { withheld: false } } });
    await callAction("/user", 3011, { servers: { [open]: { tools: { narrowed: false } } } }, user.apiKey);

    type Effective = { servers: { serverId: string; tools: { name: string; available: boolean; removedBy: string | null; reason: string | null }[] }[] };
    const effective = await admin<Effective>(3003, { userId: user.userId });
    const tools = Object.fromEntries(only(effective.body.data!.servers.find((s) => s.serverId === open)!.tools, ["narrowed", "off", "on", "withheld"]).map((t) => [t.name, t.removedBy]));
    expect(tools).toEqual({ narrowed: "user", off: "server", on: null, withheld: "grant" });

    // The role's grant opens the closed server to every user of the role; the user's own grant (1002) still wins.
    const role = await admin<{ servers: Record<string, unknown> }>(1003, { role: "user", servers: { [closed]: { enabled: true } } });
    expect(role.body.data!.servers).toEqual({ [closed]: { enabled: true, tools: {} } });
    const handle = openDatabase(env);
    try {
      const snapshot = await loadPolicySnapshot(handle.db, { role: "user", userId: user.userId }, null);
      expect(snapshot.user).toMatchObject({ id: user.userId, role: "user", status: "active", rateLimitPerMinute: null });
      expect(snapshot.servers[closed]?.grant).toEqual({ enabled: true, tools: {} });
      expect(snapshot.servers[open]?.grant).toEqual({ enabled: true, tools: { withheld: false } });
      expect(snapshot.narrowings[""]).toEqual({ [open]: { tools: { narrowed: false } } });
      const scoped = await loadPolicySnapshot(handle.db, { role: "owner", userId: null }, open);
      expect(Object.keys(scoped.servers)).toEqual([open]);
    } finally {
      await admin(1003, { role: "user", servers: {} });
      await handle.close();
    }

    expect((await admin<{ servers: unknown }>(1002, { userId: user.userId, servers: {} })).body.data!.servers).toEqual({});
    await expect400(1002, { userId: "nope", servers: {} }, "data.userId");
    await expect400(1002, { userId: user.userId, servers: { [open]: { tools: {} } } }, `data.servers.${open}.enabled`);
    await expect400(1003, { role: "root", servers: {} }, "data.role");
    await expect400(3003, { userId: "nope" }, "data.userId");
    expect((await admin(1002, { userId: user.userId, servers: { "no-such-server": { enabled: true } } })).status).toBe(404);
    expect((await admin(1002, { userId: "00000000-0000-4000-8000-000000000000", servers: {} })).status).toBe(404);
  });

  it("1012 sets and clears a user's rate limit", async () => {
    const user = await createUser();
    const set = await admin<{ user: { rateLimitPerMinute: number | null } }>(1012, { userId: user.userId, rateLimitPerMinute: 30 });
    expect(set.body.data!.user.rateLimitPerMinute).toBe(30);
    expect((await admin<{ user: { rateLimitPerMinute: null } }>(1012, { userId: user.userId, rateLimitPerMinute: null })).body.data!.user.rateLimitPerMinute).toBeNull();
    await expect400(1012, { userId: user.userId, rateLimitPerMinute: 0 }, "data.rateLimitPerMinute");
    await expect400(1012, { userId: user.userId, rateLimitPerMinute: 1.5 }, "data.rateLimitPerMinute");
  });
});

describe("policy sets", () => {
  it("9101-9105: create, list, update (a new version each time), effective order, delete", async () => {
    const serverId = await server();
    const created = await admin<{ policySetId: string; version: number }>(9101, {
      name: "guard",
      serverId,
      rules: [
        { id: "no-etc", priority: 5, match: { tool: "read_*" }, when: "args.path.startsWith('/etc')", effect: "deny", reason: "no system files" },
        { id: "approve", effect: "require_approval", approvers: ["admin"], ttlSeconds: 300 },
      ],
    });
    expect(created.body.data).toEqual({ policySetId: expect.any(String), version: 1 });
    const id = created.body.data!.policySetId;

    const listed = await admin<{ policySets: { rules: { id: string; priority: number; match: unknown }[]; timeZone: string }[] }>(9102, { policySetId: id });
    expect(listed.body.data!.policySets[0]).toMatchObject({ timeZone: "UTC", rules: [{ id: "no-etc", priority: 5 }, { id: "approve", priority: 0, match: {} }] });

    const v2 = await admin<{ version: number }>(9103, { policySetId: id, expectedVersion: 1, timeZone: "Europe/Paris" });
    expect(v2.body.data!.version).toBe(2);
    expect((await admin<{ version: number }>(9103, { policySetId: id, name: "renamed" })).body.data!.version).toBe(3);
    const stale = await admin(9103, { policySetId: id, expectedVersion: 1, name: "x" });
    expect(stale.status).toBe(409);

    const effective = await admin<{ rules: { policySetId: string; version: number; rule: { id: string } }[] }>(9105, { serverId });
    const mine = effective.body.data!.rules.filter((r) => r.policySetId === id);
    expect(mine.map((r) => [r.rule.id, r.version])).toEqual([["no-etc", 3], ["approve", 3]]);

    expect((await admin(9104, { policySetId: id })).body.data).toEqual({ policySetId: id, deleted: true });
    expect((await admin(9104, { policySetId: id })).status).toBe(404);
    // The history outlives the set: an audit record naming version 2 can still be explained.
    type Versions = { policySetId: string; currentVersion: number | null; versions: { version: number; name: string; timeZone: string; rules: { id: string }[] }[] };
    const history = await admin<Versions>(9107, { policySetId: id });
    expect(history.body.data).toMatchObject({ policySetId: id, currentVersion: null });
    expect(history.body.data!.versions.map((v) => [v.version, v.name, v.timeZone])).toEqual([[1, "guard", "UTC"], [2, "guard", "Europe/Paris"], [3, "renamed", "Europe/Paris"]]);
    expect((await admin(9103, { policySetId: id, name: "gone" })).status).toBe(404);
    expect((await admin(9101, { name: "x", serverId: "no-such-server", rules: [] })).status).toBe(404);
  });

  it("9107 keeps every version in full, written with the change, and returns one or all", async () => {
    type Versions = { currentVersion: number | null; versions: { version: number; serverId: string | null; rules: { id: string; when?: string }[]; createdAt: string }[] };
    const rules = (when: string) => [{ id: "r", when, effect: "deny", reason: "no" }];
    const created = await admin<{ policySetId: string }>(9101, { name: "history", rules: rules("args.a == 1") });
    const id = created.body.data!.policySetId;
    expect((await admin(9103, { policySetId: id, rules: rules("args.a == 2") })).status).toBe(200);
    // Refused changes are no version: neither the stale one nor the one that does not compile leaves a row.
    expect((await admin(9103, { policySetId: id, expectedVersion: 1, rules: rules("args.a == 3") })).status).toBe(409);
    expect((await admin(9103, { policySetId: id, rules: rules("args.a ==") })).status).toBe(400);
    expect((await admin(9103, { policySetId: id, rules: rules("args.a == 4") })).status).toBe(200);

    const all = (await admin<Versions>(9107, { policySetId: id })).body.data!;
    expect(all.currentVersion).toBe(3);
    expect(all.versions.map((v) => [v.version, v.serverId, v.rules[0]!.when])).toEqual([[1, null, "args.a == 1"], [2, null, "args.a == 2"], [3, null, "args.a == 4"]]);
    expect(Date.parse(all.versions[0]!.createdAt)).toBeLessThanOrEqual(Date.parse(all.versions[2]!.createdAt));
    const one = (await admin<Versions>(9107, { policySetId: id, version: 2 })).body.data!;
    expect(one.versions).toEqual([all.versions[1]]);

    expect((await admin(9107, { policySetId: id, version: 9 })).status).toBe(404);
    expect((await admin(9107, { policySetId: "00000000-0000-4000-8000-000000000000" })).status).toBe(404);
    await expect400(9107, { policySetId: id, version: 0 }, "data.version");
    await admin(9104, { policySetId: id });
  });

  it("refuses bad rules with a 400 that names the rule", async () => {
    const rule = { id: "r", effect: "deny" };
    await expect400(9101, { name: "x", rules: [{ ...rule, id: "broken", when: "args.x >" }] }, 'rule "broken"');
    await expect400(9101, { name: "x", rules: [{ ...rule, when: "nosuchvar == 1" }] }, "unknown variable nosuchvar");
    await expect400(9101, { name: "x", rules: [rule, rule] }, 'duplicate rule id "r"');
    await expect400(9101, { name: "x", rules: [{ ...rule, approvers: ["admin"] }] }, "need effect require_approval");
    await expect400(9101, { name: "x", rules: [{ ...rule, effect: "maybe" }] }, "data.rules.0.effect");
    await expect400(9101, { name: "x", rules: [{ ...rule, rateLimitPerMinute: 5 }] }, "a deny rule lets nothing through");
    await expect400(9101, { name: "x", timeZone: "Mars/Olympus", rules: [] }, "data.timeZone");
    await expect400(9101, { name: "x", rules: [{ ...rule, id: "has space" }] }, "data.rules.0.id");
    await expect400(9103, { policySetId: "nope" }, "data.policySetId");
    const created = await admin<{ policySetId: string }>(9101, { name: "ok", rules: [] });
    await expect400(9103, { policySetId: created.body.data!.policySetId, rules: [{ ...rule, id: "late", when: "(" }] }, 'rule "late"');
    await admin(9104, { policySetId: created.body.data!.policySetId });
  });

  it("9106 replays audited calls under a draft and reports the decisions it would change", async () => {
    const serverId = await server({ publicAccess: true });
    const user = await createUser({ attributes: { team: "data" } });
    const since = new Date(Date.now() - 1000).toISOString();
    const call = (text: string) => ({ userId: user.userId, role: "user", serverId, method: "tools/call", name: "echo", arguments: { text } });
    // The second call was denied at the time by version 2 of some set's rule "old": each example says what decided it then.
    const decidedBy = { decision: "deny" as const, decisionReason: "old", policyId: uniqueId("set"), policyVersion: 2, ruleId: "old" };
    const [, topSecret, secretAgain] = await insertChain(uniqueId("sim"), [call("hello"), { ...call("top secret"), ...decidedBy }, call("secret again"), { ...call("x"), method: "tools/list", name: null }]);

    const simulated = await admin<{ evaluated: number; changed: number; byEffect: Record<string, number>; examples: { auditId: string; name: string; recorded: unknown; current: unknown; draft: unknown }[] }>(9106, {
      serverId,
      since,
      rules: [{ id: "secrets", match: { server: serverId }, when: "args.text.contains('secret')", effect: "deny", reason: "no secrets" }],
      limit: 1000,
    });
    expect(simulated.status).toBe(200);
    expect(simulated.body.data).toMatchObject({ changed: 2, byEffect: { "allow->deny": 2 } });
    expect(simulated.body.data!.evaluated).toBeGreaterThanOrEqual(3);
    const examples = simulated.body.data!.examples;
    // Records sealed in one millisecond have no order among themselves, so examples are found by id.
    expect(examples.find((e) => e.auditId === secretAgain!.id)).toMatchObject({
      name: "echo",
      recorded: { decision: "allow", policyId: null, policyVersion: null, ruleId: null },
      current: { effect: "allow", policyId: null },
      draft: { effect: "deny", policyId: "draft", policyVersion: 1, ruleId: "secrets" },
    });
    const { decisionReason: _, ...recorded } = decidedBy;
    expect(examples.find((e) => e.auditId === topSecret!.id)).toMatchObject({ recorded });

    const policyId = uniqueId("set");
    await insertChain(uniqueId("logs"), [{ ...call("a"), decision: "deny", decisionReason: "no", policyId }, call("b")]);
    const logs = await admin<{ entries: { policyId: string; decision: string }[] }>(7002, { policyId });
    expect(logs.body.data!.entries).toEqual([expect.objectContaining({ policyId, decision: "deny" })]);

    await expect400(9106, { rules: [{ id: "bad", effect: "deny", when: "1 +" }] }, 'rule "bad"');
    await expect400(9106, { rules: [], limit: 0 }, "data.limit");
    expect((await admin(9106, { policySetId: "00000000-0000-4000-8000-000000000000", rules: [] })).status).toBe(404);
  });
});

describe("IP allow-lists", () => {
  function asUser(apiKey: string, ip: string) {
    return request("/user", {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "cf-connecting-ip": ip },
      body: JSON.stringify({ action: 3010, data: {} }),
    });
  }

  it("4001-4005 manage a user's list, enforced on the user's requests, IPv4 and IPv6", async () => {
    const user = await createUser();
    const replaced = await admin(4001, { userId: user.userId, cidrs: ["198.51.100.0/24", "2001:db8::/32", "198.51.100.0/24"] });
    expect(replaced.body.data).toEqual({ userId: user.userId, mode: "allow-all", cidrs: ["198.51.100.0/24", "2001:db8::/32"] });
    expect((await asUser(user.apiKey, "203.0.113.1")).status).toBe(200);

    expect((await admin(4005, { userId: user.userId, mode: "allow-list" })).body.data).toMatchObject({ mode: "allow-list" });
    expect((await asUser(user.apiKey, "198.51.100.77")).status).toBe(200);
    expect((await asUser(user.apiKey, "2001:db8:5::1")).status).toBe(200);
    const refused = await asUser(user.apiKey, "203.0.113.1");
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("not on the IP allow-list");
    expect((await asUser(user.apiKey, "2001:db9::1")).status).toBe(403);

    expect((await admin(4004, { userId: user.userId, cidrs: ["203.0.113.0/24"] })).body.data).toMatchObject({ cidrs: ["198.51.100.0/24", "2001:db8::/32", "203.0.113.0/24"] });
    expect((await asUser(user.apiKey, "203.0.113.1")).status).toBe(200);
    expect((await admin(4002, { userId: user.userId })).body.data).toMatchObject({ mode: "allow-list" });
    expect((await admin(4003, { userId: user.userId })).body.data).toEqual({ userId: user.userId, deleted: true });
    expect((await admin(4002, { userId: user.userId })).body.data).toEqual({ userId: user.userId, mode: "allow-all", cidrs: [] });

    await expect400(4001, { cidrs: ["10.0.0.0/33"] }, "data.cidrs.0");
    await expect400(4004, { cidrs: ["not-an-ip"] }, "data.cidrs.0");
    await expect400(4005, { mode: "deny-all" }, "data.mode");
    expect((await admin(4002, { userId: "00000000-0000-4000-8000-000000000000" })).status).toBe(404);
  });

  it("refuses a gateway-wide change that would lock its author out", async () => {
    const before = await admin(4002, {});
    const locked = await admin(4005, { mode: "allow-list" });
    expect(locked.status).toBe(409);
    expect(locked.body.error?.message).toContain("lock you out");
    expect((await admin(4002, {})).body.data).toEqual(before.body.data);
  });
});

describe("self-service narrowing", () => {
  it("3010/3011 read and replace the caller's own narrowing, per client", async () => {
    const serverId = await server({ publicAccess: true });
    await admin(2003, { serverId, tools: { a: { enabled: true }, b: { enabled: true } } });
    const user = await createUser();
    const set = await callAction("/user", 3011, { clientName: "cursor", servers: { [serverId]: { tools: { a: false } } } }, user.apiKey);
    expect(set.body.data).toEqual({ clientName: "cursor", narrowing: { [serverId]: { tools: { a: false } } } });

    type Mine = { narrowing: unknown; servers: { serverId: string; tools: { name: string; available: boolean; removedBy: string | null }[] }[] };
    const forCursor = await callAction<Mine>("/user", 3010, { clientName: "cursor" }, user.apiKey);
    expect(only(forCursor.body.data!.servers.find((s) => s.serverId === serverId)!.tools, ["a", "b"])).toEqual([
      expect.objectContaining({ name: "a", available: false, removedBy: "user" }),
      expect.objectContaining({ name: "b", available: true }),
    ]);
    const anyClient = await callAction<Mine>("/user", 3010, {}, user.apiKey);
    expect(anyClient.body.data!.narrowing).toEqual({});
    expect(anyClient.body.data!.servers.find((s) => s.serverId === serverId)!.tools.every((t) => t.available)).toBe(true);

    await callAction("/user", 3011, { clientName: "cursor", servers: {} }, user.apiKey);
    expect((await callAction<Mine>("/user", 3010, { clientName: "cursor" }, user.apiKey)).body.data!.narrowing).toEqual({});
    await expect400(3011, { servers: { [serverId]: { tools: { a: "off" } } } }, `data.servers.${serverId}.tools.a`, "/user", user.apiKey);
    await expect400(3011, { servers: { [serverId]: { widen: true } } }, "widen", "/user", user.apiKey);
    expect((await callAction("/user", 3010, {})).status).toBe(403);
  });
});
