// GET_CALL_STATS (7005) counted over real calls: an SDK client's allowed, failed, denied and approval-held
// tools/call to a loopback fixture, as their audit records reach Postgres.
import { describe, expect, it } from "vitest";
import type { CallStats } from "../../worker/audit/stats.ts";
import { pendingFor } from "./approvals-support.ts";
import { sessionRows } from "./audit-support.ts";
import { admin, createUser } from "./gateway.ts";
import { connectClient, registerServer } from "./mcp-client.ts";

describe("GET_CALL_STATS", () => {
  it("counts a server's calls per hour by decision and outcome, ranks its tools and names it failing", async () => {
    const serverId = await registerServer("alpha");
    const policy = await admin(9101, {
      name: "stats",
      serverId,
      rules: [
        { id: "no-whoami", priority: 10, match: { tool: "whoami" }, effect: "deny", reason: "not today" },
        { id: "ask-stats", priority: 10, match: { tool: "stats" }, effect: "require_approval", approvers: ["owner"] },
      ],
    });
    expect(policy.body.error).toBeUndefined();
    const user = await createUser();
    const { client, transport } = await connectClient({ credential: user.apiKey });
    for (const text of ["one", "two", "three"]) await client.callTool({ name: `${serverId}__echo`, arguments: { text } });
    await client.callTool({ name: `${serverId}__fail` });
    await client.callTool({ name: `${serverId}__whoami` });
    const held = client.callTool({ name: `${serverId}__stats` }, undefined, { timeout: 30_000, resetTimeoutOnProgress: true, onprogress: () => {} });
    const approval = await pendingFor(serverId);
    expect((await admin(9203, { approvalId: approval.approvalId, decision: "approve" })).body.error).toBeUndefined();
    await held;
    const sessionId = transport.sessionId!;
    await client.close();
    // initialize and the six calls: three echo, fail, whoami (denied), stats (approved).
    await sessionRows(sessionId, 7);

    const reply = await admin<CallStats>(7005, { hours: 3, serverId });
    expect(reply.status).toBe(200);
    const stats = reply.body.data!;
    expect(stats.buckets).toHaveLength(3);
    const sum = (pick: (b: CallStats["buckets"][number]) => number) => stats.buckets.reduce((n, b) => n + pick(b), 0);
    expect(sum((b) => b.total)).toBe(6);
    expect(sum((b) => b.byDecision.allow)).toBe(4);
    expect(sum((b) => b.byDecision.deny)).toBe(1);
    expect(sum((b) => b.byDecision.approval)).toBe(1);
    expect(sum((b) => b.byOutcome.error)).toBe(2);
    expect(stats.buckets.at(-1)!.total).toBeGreaterThan(0);
    expect(stats.topServers).toEqual([{ serverId, calls: 6, errors: 1 }]);
    expect(stats.topTools[0]).toEqual({ serverId, tool: "echo", calls: 3 });
    expect(stats.topTools.map((t) => t.tool).sort()).toEqual(["echo", "fail", "stats", "whoami"]);
    expect(stats.failingServers).toEqual([{ serverId, errors: 1, calls: 6, lastError: "the tool reported an error (isError)", lastErrorAt: expect.any(String) }]);
  });

  it("refuses a window over a week and the user role", async () => {
    expect((await admin(7005, { hours: 169 })).body.error?.code).toBe(40002);
    const user = await createUser();
    expect((await admin(7005, {}, user.apiKey)).status).toBe(403);
  });
});
