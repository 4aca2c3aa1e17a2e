// MCP 2026-07-28 on the same endpoints: the SDK v2 client, speaking the stateless revision, through the
// gateway to 2025-era servers (the SDK fixture and server-everything). The era is decided per request,
// signals of both eras are refused, and policy, vault and audit apply as they do to sessions.
import type { Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { admin, createUser, type CreatedUser, deleteServersStartingWith, request, sql } from "./gateway.ts";
import { connectClient, registerServer, textOf } from "./mcp-client.ts";
import { connectStateless, statelessRequest } from "./mcp-2026-client.ts";

type RpcBody = { id: number | null; result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } };

async function rpc(response: Response): Promise<RpcBody> {
  return (await response.json()) as RpcBody;
}

describe("MCP 2026-07-28 (stateless) to 2025-era servers", () => {
  let alpha: string;
  let everything: string;
  let erin: CreatedUser;

  beforeAll(async () => {
    alpha = await registerServer("alpha");
    everything = await registerServer("everything");
    erin = await createUser();
  });

  afterAll(async () => {
    await deleteServersStartingWith(alpha, everything);
  });

  it("connects with server/discover, lists and calls with no session, on /mcp and /mcp/<serverId>", async () => {
    const client = await connectStateless();
    try {
      expect(client.getServerVersion()?.name).toBe("peta-core");
      const tools = (await client.listTools()).tools.map((tool) => tool.name);
      expect(tools).toContain(`${alpha}__echo`);
      expect(textOf(await client.callTool({ name: `${alpha}__echo`, arguments: { text: "from 2026" } }))).toBe("alpha: from 2026");
    } finally {
      await client.close();
    }
    const single = await connectStateless({ path: `/mcp/${everything}` });
    try {
      expect(single.getServerVersion()?.name).toContain("everything");
      expect(textOf(await single.callTool({ name: "echo", arguments: { message: "hello" } }))).toContain("hello");
    } finally {
      await single.close();
    }
  });

  it("answers lists and reads with ttlMs and a private cacheScope, and lists tools in a deterministic order", async () => {
    const first = await rpc(await statelessRequest(`/mcp/${alpha}`, { method: "tools/list" }));
    expect(first.result).toMatchObject({ cacheScope: "private" });
    expect(first.result!.ttlMs).toBeGreaterThan(0);
    const names = (first.result!.tools as { name: string }[]).map((tool) => tool.name);
    expect(names).toEqual([...names].sort());
    const again = await rpc(await statelessRequest(`/mcp/${alpha}`, { method: "tools/list" }));
    expect((again.result!.tools as { name: string }[]).map((tool) => tool.name)).toEqual(names);

    const read = await rpc(await statelessRequest(`/mcp/${alpha}`, { method: "resources/read", params: { uri: "fixture://doc/2" } }));
    expect(read.result).toMatchObject({ cacheScope: "private", ttlMs: 0 });
    expect(JSON.stringify(read.result!.contents)).toContain("fixture://doc/2");

    const discover = await rpc(await statelessRequest("/mcp", { method: "server/discover" }));
    expect(discover.result).toMatchObject({ supportedVersions: ["2026-07-28"], cacheScope: "private" });
  });

  it("refuses headers that disagree with the body (-32020), an unsupported version (-32022) and mixed eras", async () => {
    const name = await statelessRequest(`/mcp/${alpha}`, { method: "tools/call", params: { name: "echo", arguments: { text: "x" } } }, { headers: { "mcp-name": "fail" } });
    expect(name.status).toBe(400);
    expect((await rpc(name)).error).toMatchObject({ code: -32020 });

    const method = await statelessRequest(`/mcp/${alpha}`, { method: "tools/list" }, { headers: { "mcp-method": "prompts/list" } });
    expect(method.status).toBe(400);
    expect((await rpc(method)).error?.code).toBe(-32020);

    const missing = await statelessRequest(`/mcp/${alpha}`, { method: "tools/call", params: { name: "echo", arguments: { text: "x" } } }, { headers: { "mcp-name": "" } });
    expect((await rpc(missing)).error?.code).toBe(-32020);

    // A 2026 envelope cannot ride in a 2025 session.
    const session = await statelessRequest(`/mcp/${alpha}`, { method: "tools/list" }, { headers: { "mcp-session-id": "x".repeat(43) } });
    expect(session.status).toBe(400);
    expect((await rpc(session)).error?.code).toBe(-32020);

    const future = await statelessRequest(`/mcp/${alpha}`, {
      method: "tools/list",
      params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2027-01-01" } },
    }, { headers: { "mcp-protocol-version": "2027-01-01" } });
    expect(future.status).toBe(400);
    expect((await rpc(future)).error).toMatchObject({ code: -32022, data: { supported: ["2026-07-28"], requested: "2027-01-01" } });

    // A 2025 header over a 2026 body, and initialize under a 2026 header: one message, two eras.
    const legacyHeader = await statelessRequest(`/mcp/${alpha}`, { method: "tools/list" }, { headers: { "mcp-protocol-version": "2025-11-25" } });
    expect((await rpc(legacyHeader)).error?.code).toBe(-32020);
    const initialize = await request(`/mcp/${alpha}`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.OWNER_KEY}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
    });
    expect(initialize.status).toBe(400);
    expect((await rpc(initialize)).error?.code).toBe(-32020);

    // GET is a 2025 session's stream; a 2026 client has none.
    const get = await request(`/mcp/${alpha}`, { headers: { authorization: `Bearer ${env.OWNER_KEY}`, accept: "text/event-stream", "mcp-protocol-version": "2026-07-28" } });
    expect(get.status).toBe(405);
  });

  it("still serves a 2025 session on the same endpoint, unchanged", async () => {
    const { client } = await connectClient({ path: `/mcp/${alpha}` });
    try {
      expect(textOf(await client.callTool({ name: "echo", arguments: { text: "2025" } }))).toBe("alpha: 2025");
    } finally {
      await client.close();
    }
  });

  it("refuses with -32021 a call whose server asks what the client did not declare", async () => {
    const asked = await statelessRequest(`/mcp/${alpha}`, { method: "tools/call", params: { name: "ask", arguments: {} } });
    expect(asked.status).toBe(400);
    expect((await rpc(asked)).error).toMatchObject({ code: -32021, data: { requiredCapabilities: { elicitation: {} } } });
  });

  it("applies the policy per request: a rule's denial is a tool result, audited as deny in the bridge's chain, which VERIFY_AUDIT checks", async () => {
    const created = await admin<{ policySetId: string }>(9101, {
      name: `no-secrets-2026-${alpha}`,
      serverId: alpha,
      rules: [{ id: "no-secret-2026", match: { tool: "echo" }, when: 'args.text == "secret"', effect: "deny", reason: "no secrets in 2026 either" }],
    });
    expect(created.status).toBe(200);
    const client: Client = await connectStateless({ credential: erin.apiKey });
    try {
      const denied = await client.callTool({ name: `${alpha}__echo`, arguments: { text: "secret" } });
      expect(denied.isError).toBe(true);
      expect(textOf(denied)).toContain('rule "no-secret-2026"');
      expect(textOf(await client.callTool({ name: `${alpha}__echo`, arguments: { text: "fine" } }))).toBe("alpha: fine");
    } finally {
      await client.close();
      await admin(9104, { policySetId: created.body.data!.policySetId });
    }

    type Row = { chain_id: string; seq: number; method: string; decision: string; decision_reason: string | null; session_id: string | null; client_name: string | null; arguments: unknown };
    let rows: Row[] = [];
    await expect
      .poll(async () => {
        rows = await sql<Row>("select * from audit_records where user_id = $1 and method = 'tools/call' order by chain_id, seq", [erin.userId]);
        return rows.length;
      }, { timeout: 15_000, interval: 200 })
      .toBe(2);
    const [deny, allow] = rows;
    expect(deny).toMatchObject({ method: "tools/call", decision: "deny", session_id: null, client_name: "test-client-2026", arguments: { text: "secret" } });
    expect(deny!.decision_reason).toContain("no secrets in 2026 either");
    expect(allow).toMatchObject({ decision: "allow" });
    expect(deny!.chain_id).toBe(allow!.chain_id);
    expect(deny!.chain_id).toMatch(new RegExp(`^mcp2026/${erin.userId}/\\*/${alpha}/\\d{4}-\\d{2}-\\d{2}$`));
    expect(allow!.seq).toBe(deny!.seq + 1);

    const chainId = deny!.chain_id;
    const verified = await admin<{ ok: boolean; checked: number }>(7004, { chainId });
    expect(verified.body.data).toMatchObject({ ok: true });
    expect(verified.body.data!.checked).toBeGreaterThanOrEqual(2);
    await sql("update audit_records set arguments = $1 where chain_id = $2 and seq = $3", [JSON.stringify({ text: "edited" }), chainId, deny!.seq]);
    const broken = await admin<{ ok: boolean; firstMismatch: { seq: number; reason: string } }>(7004, { chainId });
    expect(broken.body.data).toMatchObject({ ok: false, firstMismatch: { seq: deny!.seq } });
  });
});
