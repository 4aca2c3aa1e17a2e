// Edited arguments are decided again: an approver who edits a held call cannot steer it past a deny
// rule, and an edit that a rule sends to other approvers waits for them. Real SDK client, real Desk
// sockets, a real downstream server that counts its echo calls.
import { type Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, createUser, type CreatedUser, sql } from "./gateway.ts";
import { connectClient, echoCalls, registerServer, textOf } from "./mcp-client.ts";
import { type DeskSocket, openDesk } from "./desk-client.ts";
import { heldCall, pendingFor } from "./approvals-support.ts";

describe("edited approval arguments", () => {
  let serverId: string;
  let dana: CreatedUser;
  let erin: CreatedUser;
  let dana_: DeskSocket;
  let erin_: DeskSocket;
  let client: Client;

  beforeAll(async () => {
    serverId = await registerServer("alpha");
    dana = await createUser();
    erin = await createUser({ role: "admin" });
    const created = await admin(9101, {
      name: `edited-${serverId}`,
      serverId,
      rules: [
        { id: "no-forbidden", priority: 100, match: { tool: "echo" }, when: "args.text.contains('forbidden')", effect: "deny", reason: "forbidden text" },
        { id: "admins-for-sensitive", priority: 80, match: { tool: "echo" }, when: "args.text.contains('sensitive')", effect: "require_approval", reason: "sensitive text", approvers: ["admin"] },
        { id: "self-check", priority: 50, match: { tool: "echo" }, effect: "require_approval", reason: "echo is checked by its caller", approvers: ["self"] },
      ],
    });
    expect(created.status).toBe(200);
    [dana_, erin_] = await Promise.all([openDesk(dana.apiKey), openDesk(erin.apiKey)]);
    await Promise.all([dana_, erin_].map((desk) => desk.next("approvals.snapshot")));
    ({ client } = await connectClient({ credential: dana.apiKey }));
  });

  afterAll(async () => {
    await client.close();
    for (const desk of [dana_, erin_]) desk.socket.close(1000);
    await admin(2013, { serverId });
  });

  it("refuses an approval whose edited arguments a deny rule refuses: the downstream never runs, and the audit names the rule", async () => {
    const before = await echoCalls(await statsClient(), serverId);
    const call = heldCall(client, `${serverId}__echo`, { text: "harmless" });
    const id = (await dana_.next("approval.requested", (m) => (m.approval.arguments as { text: string }).text === "harmless")).approval.approvalId;
    dana_.send({ type: "approval.decide", requestId: "d1", approvalId: id, decision: "approve", arguments: { text: "forbidden payload" } });
    await dana_.next("approval.decide.result", (m) => m.requestId === "d1");
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/edited arguments.*Refused by rule "no-forbidden": forbidden text/);
    expect(await echoCalls(await statsClient(), serverId)).toBe(before);
    const executed = await dana_.next("approval.executed", (m) => m.approval.approvalId === id);
    expect(executed.approval).toMatchObject({ status: "failed", resultOutcome: "error" });
    let audited: { decision: string; rule_id: string | null; decision_reason: string }[] = [];
    await expect
      .poll(async () => (audited = await sql("select decision, rule_id, decision_reason from audit_records where approval_id = $1 and method = 'tools/call'", [id])).length, { timeout: 15_000 })
      .toBe(1);
    expect(audited[0]).toMatchObject({ decision: "deny", rule_id: "no-forbidden" });
    expect(audited[0]!.decision_reason).toMatch(/^edited arguments [0-9a-f]{64} .*Refused by rule "no-forbidden"/);
  });

  it("asks the approvers a rule names for the edited arguments when they are not the ones who approved", async () => {
    const call = heldCall(client, `${serverId}__echo`, { text: "plain" });
    const id = (await dana_.next("approval.requested", (m) => (m.approval.arguments as { text: string }).text === "plain")).approval.approvalId;
    dana_.send({ type: "approval.decide", requestId: "s1", approvalId: id, decision: "approve", arguments: { text: "sensitive edit" } });
    await dana_.next("approval.decide.result", (m) => m.requestId === "s1");
    const second = await erin_.next("approval.requested", (m) => m.approval.approvalId !== id && (m.approval.arguments as { text: string }).text === "sensitive edit");
    expect(second.approval).toMatchObject({ approvers: ["admin"], ruleId: "admins-for-sensitive", status: "pending" });
    expect((await pendingFor(serverId)).approvalId).toBe(second.approval.approvalId);
    // The requester approved the first request; the edited call is not theirs to approve.
    dana_.send({ type: "approval.decide", requestId: "s2", approvalId: second.approval.approvalId, decision: "approve" });
    expect(await dana_.next("error", (m) => m.requestId === "s2")).toMatchObject({ code: 40301 });
    erin_.send({ type: "approval.decide", requestId: "s3", approvalId: second.approval.approvalId, decision: "approve" });
    await erin_.next("approval.decide.result", (m) => m.requestId === "s3");
    expect(textOf(await call)).toBe("alpha: sensitive edit");
  });

  it("runs edited arguments that the same approvers would be asked for", async () => {
    const call = heldCall(client, `${serverId}__echo`, { text: "first draft" });
    const id = (await dana_.next("approval.requested", (m) => (m.approval.arguments as { text: string }).text === "first draft")).approval.approvalId;
    dana_.send({ type: "approval.decide", requestId: "r1", approvalId: id, decision: "approve", arguments: { text: "second draft" } });
    await dana_.next("approval.decide.result", (m) => m.requestId === "r1");
    expect(textOf(await call)).toBe("alpha: second draft");
  });

  /** The stats tool needs no approval (only echo is matched), so any session of the owner reads the count. */
  let stats: Client | undefined;
  async function statsClient(): Promise<Client> {
    stats ??= (await connectClient()).client;
    return stats;
  }
});
