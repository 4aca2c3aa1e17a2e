// A tool call's arguments are checked against the tool's inputSchema before the policy judges them: a
// malformed call gets a tool error naming what is wrong (so the model can correct itself), not a rule's
// evaluation error; a rule that fails on a well-formed call still denies, naming the field it expected.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionRows } from "./audit-support.ts";
import { admin } from "./gateway.ts";
import { connectClient, echoCalls, registerServer, textOf } from "./mcp-client.ts";
import { connectStateless } from "./mcp-2026-client.ts";

describe("tool arguments against the inputSchema", () => {
  let serverId: string;
  let policySetId: string;
  let client: Client;
  let sessionId: string;

  beforeAll(async () => {
    serverId = await registerServer("alpha");
    const created = await admin<{ policySetId: string }>(9101, {
      name: `arguments-${serverId}`,
      serverId,
      rules: [
        { id: "no-secret-text", priority: 10, match: { tool: "echo" }, when: 'args.text == "secret"', effect: "deny", reason: "no secrets in echo" },
        { id: "mood-check", priority: 10, match: { tool: "touch" }, when: 'args.mood == "grumpy"', effect: "deny", reason: "be nice" },
      ],
    });
    expect(created.status).toBe(200);
    policySetId = created.body.data!.policySetId;
    const connected = await connectClient();
    client = connected.client;
    sessionId = connected.transport.sessionId!;
  });

  afterAll(async () => {
    await client.close();
    await admin(9104, { policySetId });
    await admin(2013, { serverId });
  });

  it("answers a call missing a required argument with a tool error naming it, before any rule and without reaching the server", async () => {
    const before = await echoCalls(client, serverId);
    const result = await client.callTool({ name: `${serverId}__echo`, arguments: { txt: "secret" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/argument \/text is required/);
    expect(textOf(result)).not.toMatch(/failed to evaluate|Refused by rule/);
    expect(await echoCalls(client, serverId)).toBe(before);
    const wrongType = await client.callTool({ name: `${serverId}__echo`, arguments: { text: 42 } });
    expect(wrongType.isError).toBe(true);
    expect(textOf(wrongType)).toMatch(/argument \/text: .*string/);

    type Row = { method: string; name: string; decision: string; decision_reason: string | null; rule_id: string | null };
    const rows = await sessionRows<Row>(sessionId, 5);
    expect(rows[2]).toMatchObject({ method: "tools/call", name: "echo", decision: "deny", rule_id: null });
    expect(rows[2]!.decision_reason).toMatch(/argument \/text is required/);
  });

  it("still refuses a well-formed call whose rule cannot evaluate, naming the field the rule expected", async () => {
    const result = await client.callTool({ name: `${serverId}__touch`, arguments: { uri: "fixture://doc/1" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Refused by rule "mood-check": .*expects the field "mood"/);
  });

  it("checks the arguments on stateless requests too", async () => {
    const stateless = await connectStateless({ path: `/mcp/${serverId}` });
    try {
      const result = await stateless.callTool({ name: "echo", arguments: { txt: "x" } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/argument \/text is required/);
    } finally {
      await stateless.close();
    }
  });
});
