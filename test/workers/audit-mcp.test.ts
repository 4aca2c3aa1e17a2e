// What an MCP session leaves in the audit trail: one record per request, sealed into the session's
// chain in the Durable Object and delivered to Postgres by its alarm, with arguments masked and scrubbed.
import { beforeAll, describe, expect, it } from "vitest";
import { sessionRows } from "./audit-support.ts";
import { admin, createUser } from "./gateway.ts";
import { connectClient, registerServer } from "./mcp-client.ts";

interface Row {
  seq: number;
  method: string;
  name: string | null;
  server_id: string | null;
  user_id: string | null;
  client_name: string | null;
  arguments: unknown;
  outcome: string;
  error_code: number | null;
  error_message: string | null;
  decision: string;
}

describe("the audit trail of an MCP session", () => {
  const CANARY = `audit-canary-${crypto.randomUUID()}`;
  let serverId: string;

  beforeAll(async () => {
    serverId = await registerServer("alpha", { headers: { Authorization: "Bearer {{secret:TOKEN}}" } });
    await admin(2101, { serverId, name: "TOKEN", value: CANARY });
  });

  it("records each request with its identity, target, outcome and masked arguments", async () => {
    const user = await createUser();
    const { client, transport } = await connectClient({ credential: user.apiKey });
    await client.listTools();
    await client.callTool({ name: `${serverId}__echo`, arguments: { text: `hello ${CANARY}`, password: "hunter2-hunter2" } });
    await client.callTool({ name: `${serverId}__fail` });
    await client.callTool({ name: `${serverId}__nope` }).catch(() => {});
    const sessionId = transport.sessionId!;
    await client.close();

    const rows = await sessionRows<Row>(sessionId, 5);
    expect(rows.map((r) => [r.seq, r.method, r.outcome])).toEqual([
      [1, "initialize", "ok"],
      [2, "tools/list", "ok"],
      [3, "tools/call", "ok"],
      [4, "tools/call", "error"],
      [5, "tools/call", "error"],
    ]);
    for (const row of rows) expect(row).toMatchObject({ user_id: user.userId, client_name: "test-client", decision: "allow" });
    expect(rows[2]).toMatchObject({ server_id: serverId, name: "echo", arguments: { text: "hello [REDACTED:TOKEN]", password: "[MASKED]" } });
    expect(rows[3]).toMatchObject({ name: "fail", error_message: "the tool reported an error (isError)" });
    expect(rows[4]).toMatchObject({ error_code: -32602, error_message: expect.stringContaining("Unknown tool") });
    expect(JSON.stringify(rows)).not.toContain(CANARY);
    expect(JSON.stringify(rows)).not.toContain("hunter2");

    const verified = await admin<{ ok: boolean; checked: number }>(7004, { sessionId });
    expect(verified.body.data).toMatchObject({ ok: true, checked: 5 });
  });

  it("stores what Postgres cannot (NUL, half an emoji) as U+FFFD, so delivery never stalls", async () => {
    const { client, transport } = await connectClient();
    await client.callTool({ name: `${serverId}__echo`, arguments: { text: "a\u0000b \ud83d" } });
    // {"text":" is 9 bytes: the emoji's 4 bytes straddle the 8192-byte cut.
    await client.callTool({ name: `${serverId}__echo`, arguments: { text: "x".repeat(8181) + "😀" } });
    await client.callTool({ name: `${serverId}__no\u0000pe` }).catch(() => {});
    await client.callTool({ name: `${serverId}__echo`, arguments: { text: "after" } });
    const sessionId = transport.sessionId!;
    await client.close();

    const rows = await sessionRows<Row>(sessionId, 5);
    expect(rows[1]).toMatchObject({ arguments: { text: "a\ufffdb \ufffd" } });
    expect(rows[2]?.arguments).toMatchObject({ truncated: true, bytes: 8196, preview: expect.stringMatching(/x\ufffd$/) });
    expect(rows[3]).toMatchObject({ name: `${serverId}__no\ufffdpe`, outcome: "error" });
    expect(rows[4]).toMatchObject({ arguments: { text: "after" } });
    expect((await admin<{ ok: boolean }>(7004, { sessionId })).body.data).toMatchObject({ ok: true, checked: 5 });
  });

  it("stores arguments sent as a JSON-looking string exactly, so the chain still verifies", async () => {
    const looksLikeJson = ['{"a":1}', "123", "null"];
    const { client, transport } = await connectClient();
    // The SDK client only sends object arguments; any client can send a string, so this goes to the transport.
    for (const [i, text] of looksLikeJson.entries()) {
      await transport.send({ jsonrpc: "2.0", id: `raw-${i}`, method: "tools/call", params: { name: `${serverId}__echo`, arguments: text } });
    }
    const sessionId = transport.sessionId!;
    await client.close();

    const rows = await sessionRows<Row>(sessionId, 1 + looksLikeJson.length);
    expect(rows.slice(1).map((row) => row.arguments)).toEqual(looksLikeJson);
    const verified = await admin<{ ok: boolean; mismatchCount: number }>(7004, { sessionId });
    expect(verified.body.data).toMatchObject({ ok: true, checked: 4, mismatchCount: 0 });
  });
});
