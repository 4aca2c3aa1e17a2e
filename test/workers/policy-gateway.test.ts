// The policy in the call path, through real sessions: what a caller may not use is neither listed nor
// reaches the server, a change reaches open sessions at once, and a rate limit holds across sessions.
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionRows } from "./audit-support.ts";
import { admin, createUser, type CreatedUser } from "./gateway.ts";
import { connectClient, echoCalls, listAll, registerServer, textOf } from "./mcp-client.ts";

describe("policy in the call path", () => {
  let secret: string;
  let dana: CreatedUser;

  beforeAll(async () => {
    secret = await registerServer("beta", { publicAccess: false });
    dana = await createUser();
  });

  afterAll(async () => {
    await admin(2013, { serverId: secret });
  });

  it("hides an ungranted server from lists and refuses its calls without reaching it; a grant opens it at once", async () => {
    const { client: owner } = await connectClient();
    const { client } = await connectClient({ credential: dana.apiKey });
    const heard: string[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, (n) => void heard.push(n.method));
    try {
      expect((await listAll(client, "tools")).some((t) => String(t.name).startsWith(`${secret}__`))).toBe(false);
      const before = await echoCalls(owner, secret);
      const refused = await client.callTool({ name: `${secret}__echo`, arguments: { text: "hi" } });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toContain("Refused by the grant layer");
      expect(await echoCalls(owner, secret)).toBe(before);

      expect((await admin(1002, { userId: dana.userId, servers: { [secret]: { enabled: true, tools: { echo: true, stats: false } } } })).status).toBe(200);
      await expect.poll(() => heard.length).toBeGreaterThan(0);
      const names = (await listAll(client, "tools")).map((t) => String(t.name));
      expect(names).toContain(`${secret}__echo`);
      expect(names).not.toContain(`${secret}__stats`);
      expect(textOf(await client.callTool({ name: `${secret}__echo`, arguments: { text: "granted" } }))).toBe("beta: granted");
      // A tool withheld by the grant: a result the model can read, naming the layer.
      const withheld = await client.callTool({ name: `${secret}__stats` });
      expect(withheld.isError).toBe(true);
      expect(textOf(withheld)).toContain("grant layer");
    } finally {
      await client.close();
      await owner.close();
    }
  });

  it("denies a call by its arguments with the rule's reason, audited as deny, and the server never sees it", async () => {
    const open = await registerServer("alpha");
    const { client: owner } = await connectClient();
    const { client, transport } = await connectClient({ credential: dana.apiKey });
    const created = await admin<{ policySetId: string; version: number }>(9101, {
      name: `no-secrets-${open}`,
      serverId: open,
      rules: [{ id: "no-secret-text", match: { tool: "echo" }, when: 'args.text == "secret"', effect: "deny", reason: "no secrets in echo" }],
    });
    expect(created.status).toBe(200);
    try {
      const before = await echoCalls(owner, open);
      const denied = await client.callTool({ name: `${open}__echo`, arguments: { text: "secret" } });
      expect(denied.isError).toBe(true);
      expect(textOf(denied)).toContain("no secrets in echo");
      expect(textOf(denied)).toContain('rule "no-secret-text"');
      expect(await echoCalls(owner, open)).toBe(before);
      expect(textOf(await client.callTool({ name: `${open}__echo`, arguments: { text: "fine" } }))).toBe("alpha: fine");

      type Row = { method: string; decision: string; decision_reason: string | null; policy_id: string | null; policy_version: number | null; rule_id: string | null };
      const rows = await sessionRows<Row>(transport.sessionId!, 3);
      expect(rows[1]).toMatchObject({ method: "tools/call", decision: "deny", policy_id: created.body.data!.policySetId, policy_version: 1, rule_id: "no-secret-text" });
      expect(rows[1]!.decision_reason).toContain("no secrets in echo");
      expect(rows[2]).toMatchObject({ decision: "allow", policy_id: null, policy_version: null, rule_id: null });
      expect((await admin<{ ok: boolean }>(7004, { sessionId: transport.sessionId! })).body.data).toMatchObject({ ok: true, checked: 3 });
    } finally {
      await client.close();
      await owner.close();
      await admin(9104, { policySetId: created.body.data!.policySetId });
      await admin(2013, { serverId: open });
    }
  });

  it("holds a user's rate limit across two sessions, with retryAfterMs", async () => {
    const open = await registerServer("alpha");
    const erin = await createUser();
    expect((await admin(1012, { userId: erin.userId, rateLimitPerMinute: 3 })).status).toBe(200);
    const { client: first } = await connectClient({ credential: erin.apiKey });
    const { client: second } = await connectClient({ credential: erin.apiKey });
    try {
      const call = (client: Client, text: string) => client.callTool({ name: `${open}__echo`, arguments: { text } });
      expect(textOf(await call(first, "1"))).toBe("alpha: 1");
      expect(textOf(await call(second, "2"))).toBe("alpha: 2");
      expect(textOf(await call(first, "3"))).toBe("alpha: 3");
      const limited = await call(second, "4").catch((e: unknown) => e);
      expect(limited).toMatchObject({ code: -32029, data: { retryAfterMs: expect.any(Number) } });
    } finally {
      await first.close();
      await second.close();
      await admin(2013, { serverId: open });
    }
  });
});
