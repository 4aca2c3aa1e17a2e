// Human approval of held tool calls, through real SDK sessions against the fixture: the call waits on its
// stream, a decision (9203) runs it or answers it, and nothing reaches the server before an approval.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { decideApproval } from "../../worker/approvals/decide.ts";
import { listApprovals } from "../../worker/approvals/store.ts";
import type { ApprovalView } from "../../worker/approvals/types.ts";
import { openDatabase } from "../../worker/db/client.ts";
import { pendingFor } from "./approvals-support.ts";
import { sessionRows } from "./audit-support.ts";
import { admin, createUser, type CreatedUser, sql } from "./gateway.ts";
import { connectClient, echoCalls, registerServer, textOf } from "./mcp-client.ts";
import { evictSession, mcp, messagesOf, openSession, readEvents } from "./raw-mcp.ts";

/** A call that waits for as long as the test needs: progress resets the SDK's request timeout. */
function heldCall(client: Client, name: string, args: Record<string, unknown>, progress: Progress[] = []) {
  return client.callTool({ name, arguments: args }, undefined, { timeout: 20_000, resetTimeoutOnProgress: true, onprogress: (p) => void progress.push(p) });
}

describe("approvals", () => {
  let serverId: string;
  let dana: CreatedUser;
  let owner: Client;

  beforeAll(async () => {
    serverId = await registerServer("alpha");
    dana = await createUser();
    // Echo needs approval; "quick" texts need one that expires after a second.
    const created = await admin(9101, {
      name: `approvals-${serverId}`,
      serverId,
      rules: [
        { id: "quick", priority: 20, match: { tool: "echo" }, when: 'args.text.startsWith("quick")', effect: "require_approval", reason: "quick check", ttlSeconds: 1 },
        { id: "four-eyes", priority: 10, match: { tool: "echo" }, effect: "require_approval", reason: "echo needs a second look", approvers: ["self", "admin"] },
        { id: "failing", match: { tool: "fail" }, effect: "require_approval", reason: "even failures need a yes" },
      ],
    });
    expect(created.status).toBe(200);
    ({ client: owner } = await connectClient());
  });

  afterAll(async () => {
    await owner.close();
    await admin(2013, { serverId });
  });

  it("holds a call until it is approved, reports progress while it waits, then runs it once and audits the approval", async () => {
    const { client, transport } = await connectClient({ credential: dana.apiKey });
    try {
      const before = await echoCalls(owner, serverId);
      const progress: Progress[] = [];
      const call = heldCall(client, `${serverId}__echo`, { text: "approve me" }, progress);
      const pending = await pendingFor(serverId);
      expect(pending).toMatchObject({ userId: dana.userId, tool: "echo", arguments: { text: "approve me" }, approvers: ["self", "admin"], ruleId: "four-eyes", sessionId: transport.sessionId });
      await expect.poll(() => progress.length, { timeout: 5000 }).toBeGreaterThan(0);
      expect(progress[0]!.message).toContain(`Waiting for approval ${pending.approvalId}`);
      expect(await echoCalls(owner, serverId)).toBe(before);

      const decided = await admin<ApprovalView>(9203, { approvalId: pending.approvalId, decision: "approve", reason: "looks fine" });
      expect(decided.status).toBe(200);
      expect(decided.body.data).toMatchObject({ status: "approved", decidedBy: "owner", decisionChannel: "admin" });
      expect(textOf(await call)).toBe("alpha: approve me");
      expect(await echoCalls(owner, serverId)).toBe(before + 1);

      await expect.poll(async () => (await admin<ApprovalView>(9202, { approvalId: pending.approvalId })).body.data?.status).toBe("executed");
      const again = await admin(9203, { approvalId: pending.approvalId, decision: "reject" });
      expect(again.status).toBe(409);
      expect(again.body.error?.message).toContain("already executed");

      const rows = await sessionRows<{ method: string; approval_id: string | null; decision: string; decision_reason: string }>(transport.sessionId!, 2);
      expect(rows[1]).toMatchObject({ method: "tools/call", approval_id: pending.approvalId, decision: "allow" });
      expect(rows[1]!.decision_reason).toContain("approved by the owner (admin)");
      const [decision] = await sql<{ method: string; arguments: Record<string, unknown> }>(
        "select method, arguments from audit_records where chain_id = 'admin' and method = 'admin/DECIDE_APPROVAL' and arguments->>'approvalId' = $1",
        [pending.approvalId],
      );
      expect(decision).toMatchObject({ arguments: { decision: "approve", reason: "looks fine" } });
    } finally {
      await client.close();
    }
  });

  it("answers a rejection as a result with the reason, and never runs the tool", async () => {
    const { client, transport } = await connectClient({ credential: dana.apiKey });
    try {
      const before = await echoCalls(owner, serverId);
      const call = heldCall(client, `${serverId}__echo`, { text: "reject me" });
      const pending = await pendingFor(serverId);
      expect((await admin(9203, { approvalId: pending.approvalId, decision: "reject", reason: "not today" })).status).toBe(200);
      const result = await call;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("Rejected by the owner (admin): not today");
      expect(await echoCalls(owner, serverId)).toBe(before);
      const rows = await sessionRows<{ decision: string; approval_id: string }>(transport.sessionId!, 2);
      expect(rows[1]).toMatchObject({ decision: "deny", approval_id: pending.approvalId });
    } finally {
      await client.close();
    }
  });

  it("approves with edited arguments checked against the tool's inputSchema, recording both hashes", async () => {
    const { client } = await connectClient({ credential: dana.apiKey });
    try {
      const call = heldCall(client, `${serverId}__echo`, { text: "original" });
      const pending = await pendingFor(serverId);
      const invalid = await admin(9203, { approvalId: pending.approvalId, decision: "approve", arguments: { text: 42 } });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error?.message).toContain("inputSchema");
      const rejectWithArguments = await admin(9203, { approvalId: pending.approvalId, decision: "reject", arguments: { text: "x" } });
      expect(rejectWithArguments.status).toBe(400);

      const edited = await admin<ApprovalView>(9203, { approvalId: pending.approvalId, decision: "approve", arguments: { text: "edited" } });
      expect(edited.status).toBe(200);
      expect(edited.body.data!.editedArgumentsHash).toMatch(/^[0-9a-f]{64}$/);
      expect(edited.body.data!.editedArgumentsHash).not.toBe(pending.argumentsHash);
      expect(textOf(await call)).toBe("alpha: edited");
    } finally {
      await client.close();
    }
  });

  it("expires a request nobody decides (counted as rejected), and refuses a decision after it", async () => {
    const { client } = await connectClient({ credential: dana.apiKey });
    try {
      const before = await echoCalls(owner, serverId);
      const result = await heldCall(client, `${serverId}__echo`, { text: "quick one" });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/Approval \S+ expired: nobody decided within 1 s/);
      const [row] = await sql<{ id: string; status: string }>("select id, status from approval_requests where server_id = $1 and rule_id = 'quick' order by created_at desc limit 1", [serverId]);
      expect(row!.status).toBe("expired");
      const late = await admin(9203, { approvalId: row!.id, decision: "approve" });
      expect(late.status).toBe(409);
      expect(late.body.error?.message).toContain("expired");
      expect(await echoCalls(owner, serverId)).toBe(before);
    } finally {
      await client.close();
    }
  });

  it("keeps a held call across an eviction of its session: the decision runs it and the resumed stream gets the result", async () => {
    const { client, transport } = await connectClient({ credential: dana.apiKey });
    try {
      const call = heldCall(client, `${serverId}__echo`, { text: "survive eviction" });
      const pending = await pendingFor(serverId);
      await evictSession(transport.sessionId!);
      expect((await admin(9203, { approvalId: pending.approvalId, decision: "approve" })).status).toBe(200);
      expect(textOf(await call)).toBe("alpha: survive eviction");
    } finally {
      await client.close();
    }
  });

  it("keeps the result for a client that dropped the stream: it arrives on resumption from Last-Event-ID", async () => {
    const sessionId = await openSession({ credential: dana.apiKey });
    const call = await mcp({
      sessionId,
      credential: dana.apiKey,
      body: { jsonrpc: "2.0", id: "held", method: "tools/call", params: { name: `${serverId}__echo`, arguments: { text: "after a disconnect" } } },
    });
    // The priming event, then the client goes away.
    const primed = await readEvents(call.body!, (events) => events.length >= 1);
    const pending = await pendingFor(serverId);
    expect((await admin(9203, { approvalId: pending.approvalId, decision: "approve" })).status).toBe(200);
    await expect.poll(async () => (await admin<ApprovalView>(9202, { approvalId: pending.approvalId })).body.data?.status).toBe("executed");
    const resumed = await mcp({ method: "GET", sessionId, credential: dana.apiKey, headers: { "last-event-id": primed[0]!.id!, accept: "text/event-stream" } });
    expect(messagesOf(await readEvents(resumed.body!))).toEqual([
      expect.objectContaining({ id: "held", result: expect.objectContaining({ content: [{ type: "text", text: "alpha: after a disconnect" }] }) }),
    ]);
  });

  it("gives a repeat of the call from a new session the one execution: the tool runs once", async () => {
    const before = await echoCalls(owner, serverId);
    const first = await connectClient({ credential: dana.apiKey });
    const abandoned = heldCall(first.client, `${serverId}__echo`, { text: "only once" }).catch((error: unknown) => error);
    const pending = await pendingFor(serverId);
    // The client goes away (its session ends) before anyone decides.
    await first.transport.terminateSession();
    await first.client.close();
    await abandoned;
    expect((await admin(9203, { approvalId: pending.approvalId, decision: "approve" })).status).toBe(200);

    const second = await connectClient({ credential: dana.apiKey });
    const third = await connectClient({ credential: dana.apiKey });
    try {
      expect(textOf(await heldCall(second.client, `${serverId}__echo`, { text: "only once" }))).toBe("alpha: only once");
      // Executed already: the stored result, at once, without a second run.
      expect(textOf(await heldCall(third.client, `${serverId}__echo`, { text: "only once" }))).toBe("alpha: only once");
      expect(await echoCalls(owner, serverId)).toBe(before + 1);
      const rows = await sessionRows<{ approval_id: string | null }>(third.transport.sessionId!, 2);
      expect(rows[1]!.approval_id).toBe(pending.approvalId);
    } finally {
      await second.client.close();
      await third.client.close();
    }
  });

  it("records an approved call whose tool fails as failed, with its outcome", async () => {
    const { client } = await connectClient({ credential: dana.apiKey });
    try {
      const call = heldCall(client, `${serverId}__fail`, {});
      const pending = await pendingFor(serverId);
      expect(pending).toMatchObject({ tool: "fail", approvers: ["self"] });
      expect((await admin(9203, { approvalId: pending.approvalId, decision: "approve" })).status).toBe(200);
      const result = await call;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe("this tool always fails");
      await expect.poll(async () => (await admin<ApprovalView>(9202, { approvalId: pending.approvalId })).body.data).toMatchObject({ status: "failed", resultOutcome: "error" });
    } finally {
      await client.close();
    }
  });

  it("lets only the approvers a rule names decide, besides owners and admins", async () => {
    const bob = await createUser();
    const bobPrincipal = { via: "api-key" as const, role: "user" as const, userId: bob.userId, keyId: "bench" };
    const danaPrincipal = { via: "api-key" as const, role: "user" as const, userId: dana.userId, keyId: "bench" };
    const { client } = await connectClient({ credential: dana.apiKey });
    const handle = openDatabase(env);
    try {
      const call = heldCall(client, `${serverId}__echo`, { text: "who decides" });
      const pending = await pendingFor(serverId);
      // Bob is not named (self means Dana): to him the request does not exist.
      await expect(decideApproval(env, handle.db, { approvalId: pending.approvalId, decision: "approve" }, { principal: bobPrincipal, channel: "desk" })).rejects.toMatchObject({ status: 404 });
      expect(await listApprovals(handle.db, { serverId, limit: 10 }, bobPrincipal)).toEqual([]);
      expect((await listApprovals(handle.db, { serverId, status: "pending", limit: 10 }, danaPrincipal)).map((a) => a.approvalId)).toContain(pending.approvalId);
      // Dana is "self": she may decide, on the Desk channel, and the admin chain records the channel.
      const decided = await decideApproval(env, handle.db, { approvalId: pending.approvalId, decision: "reject", reason: "changed my mind" }, { principal: danaPrincipal, channel: "desk" });
      expect(decided).toMatchObject({ status: "rejected", decidedBy: dana.userId, decisionChannel: "desk" });
      expect(textOf(await call)).toContain(`Rejected by user ${dana.userId} (desk): changed my mind`);
      const [record] = await sql<{ user_id: string }>("select user_id from audit_records where chain_id = 'admin' and method = 'desk/DECIDE_APPROVAL' and arguments->>'approvalId' = $1", [pending.approvalId]);
      expect(record!.user_id).toBe(dana.userId);
    } finally {
      await client.close();
      await handle.close();
    }
  });

  it("keeps vault values out of the request, the stored result and every view of it (canary)", async () => {
    const canary = `canary-${crypto.randomUUID()}`;
    const guarded = await registerServer("alpha", { headers: { Authorization: "Bearer {{secret:GUARDED}}" } });
    expect((await admin(2101, { serverId: guarded, name: "GUARDED", value: canary })).status).toBe(200);
    expect((await admin(9101, { name: `canary-${guarded}`, serverId: guarded, rules: [{ id: "hold", match: { tool: "*" }, effect: "require_approval", reason: "canary check" }] })).status).toBe(200);
    const { client } = await connectClient({ credential: dana.apiKey });
    try {
      // The client echoes the secret back in its arguments, as a leaking agent might.
      const call = heldCall(client, `${guarded}__echo`, { text: `leak ${canary}` });
      const pending = await pendingFor(guarded);
      expect(JSON.stringify(pending)).not.toContain(canary);
      expect((await admin(9203, { approvalId: pending.approvalId, decision: "approve" })).status).toBe(200);
      const result = await call;
      expect(textOf(result)).toBe("alpha: leak [REDACTED:GUARDED]");
      const [row] = await sql<{ row: string }>("select row_to_json(a)::text as row from approval_requests a where id = $1", [pending.approvalId]);
      expect(row!.row).toContain("[REDACTED:GUARDED]");
      expect(row!.row).not.toContain(canary);
      const decisions = await sql<{ row: string }>("select row_to_json(r)::text as row from audit_records r where approval_id = $1 or arguments->>'approvalId' = $1", [pending.approvalId]);
      expect(decisions.length).toBeGreaterThan(0);
      for (const record of decisions) expect(record.row).not.toContain(canary);
      expect(JSON.stringify((await admin(9202, { approvalId: pending.approvalId })).body)).not.toContain(canary);
    } finally {
      await client.close();
      await admin(2013, { serverId: guarded });
    }
  });

  it("counts and lists pending requests, and refuses bad input clearly", async () => {
    const { client } = await connectClient({ credential: dana.apiKey });
    try {
      const call = heldCall(client, `${serverId}__echo`, { text: "count me" }).catch((error: unknown) => error);
      const pending = await pendingFor(serverId);
      const count = await admin<{ count: number }>(9204, {});
      expect(count.body.data!.count).toBeGreaterThanOrEqual(1);
      expect((await admin(9202, { approvalId: crypto.randomUUID() })).status).toBe(404);
      expect((await admin(9203, { approvalId: "nope", decision: "approve" })).status).toBe(400);
      expect((await admin(9203, { approvalId: pending.approvalId, decision: "maybe" })).status).toBe(400);
      expect((await admin(9203, { approvalId: pending.approvalId, decision: "reject" })).status).toBe(200);
      await call;
    } finally {
      await client.close();
    }
  });
});
