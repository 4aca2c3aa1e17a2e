// Approvals for MCP 2026-07-28 (stateless) requests: the request's stream is held open until a decision,
// and a client that lost its answer repeats the call and gets the one execution.
import type { Client as StatelessClient } from "@modelcontextprotocol/client";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pendingFor } from "./approvals-support.ts";
import { admin, createUser, type CreatedUser, sql } from "./gateway.ts";
import { connectClient, echoCalls, registerServer, textOf } from "./mcp-client.ts";
import { connectStateless } from "./mcp-2026-client.ts";

function heldCall(client: StatelessClient, name: string, text: string) {
  return client.callTool({ name, arguments: { text } }, { timeout: 20_000 });
}

describe("approvals of stateless (2026-07-28) calls", () => {
  let serverId: string;
  let erin: CreatedUser;
  let owner: Client;

  beforeAll(async () => {
    serverId = await registerServer("alpha");
    erin = await createUser();
    const rules = [{ id: "hold-echo", match: { tool: "echo" }, effect: "require_approval", reason: "stateless echo needs a yes", approvers: ["self"] }];
    expect((await admin(9101, { name: `stateless-${serverId}`, serverId, rules })).status).toBe(200);
    ({ client: owner } = await connectClient());
  });

  afterAll(async () => {
    await owner.close();
    await admin(2013, { serverId });
  });

  it("holds the call until it is approved, audits it in the bridge's chain, and answers a repeat from the stored result", async () => {
    const client = await connectStateless({ credential: erin.apiKey });
    try {
      const before = await echoCalls(owner, serverId);
      const call = heldCall(client, `${serverId}__echo`, "stateless approval");
      const pending = await pendingFor(serverId);
      expect(pending.sessionId).toMatch(/^bridge:/);
      expect(await echoCalls(owner, serverId)).toBe(before);
      expect((await admin(9203, { approvalId: pending.approvalId, decision: "approve" })).status).toBe(200);
      expect(textOf(await call)).toBe("alpha: stateless approval");
      // The client lost nothing here, but a repeat is how one that did gets its answer: no second run.
      expect(textOf(await heldCall(client, `${serverId}__echo`, "stateless approval"))).toBe("alpha: stateless approval");
      expect(await echoCalls(owner, serverId)).toBe(before + 1);
      await expect
        .poll(async () => (await sql<{ chain_id: string }>("select chain_id from audit_records where approval_id = $1 and method = 'tools/call'", [pending.approvalId])).map((r) => r.chain_id), { timeout: 15_000 })
        .toEqual([expect.stringMatching(/^mcp2026\//), expect.stringMatching(/^mcp2026\//)]);
    } finally {
      await client.close();
    }
  });

  it("answers a rejection as a result with the reason", async () => {
    const client = await connectStateless({ credential: erin.apiKey });
    try {
      const call = heldCall(client, `${serverId}__echo`, "stateless rejection");
      const pending = await pendingFor(serverId);
      expect((await admin(9203, { approvalId: pending.approvalId, decision: "reject", reason: "no" })).status).toBe(200);
      const result = await call;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("Rejected by the owner (admin): no");
    } finally {
      await client.close();
    }
  });
});
