// Approvals over the Desk channel, with a real SDK client whose call is held and real Desk WebSockets:
// every online approver hears of the request, a decision on the socket runs (or answers) the call, and
// the Desk object's eviction loses neither the sockets nor the pending request.
import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, createUser, type CreatedUser, sql } from "./gateway.ts";
import { connectClient, registerServer, textOf } from "./mcp-client.ts";
import { type DeskSocket, openDesk } from "./desk-client.ts";
import { heldCall } from "./approvals-support.ts";

describe("approvals on the Desk", () => {
  let serverId: string;
  let dana: CreatedUser;
  let erin: CreatedUser;
  let bystander: CreatedUser;
  let dana_: DeskSocket;
  let erin_: DeskSocket;
  let owner_: DeskSocket;
  let bystander_: DeskSocket;
  let client: Client;

  beforeAll(async () => {
    serverId = await registerServer("alpha");
    dana = await createUser();
    erin = await createUser({ role: "admin" });
    bystander = await createUser();
    const created = await admin(9101, {
      name: `desk-approvals-${serverId}`,
      serverId,
      rules: [{ id: "self-check", priority: 10, match: { tool: "echo" }, effect: "require_approval", reason: "echo is checked by its caller", approvers: ["self"] }],
    });
    expect(created.status).toBe(200);
    [dana_, erin_, owner_, bystander_] = await Promise.all([openDesk(dana.apiKey), openDesk(erin.apiKey), openDesk(env.OWNER_KEY), openDesk(bystander.apiKey)]);
    await Promise.all([dana_, erin_, owner_, bystander_].map((desk) => desk.next("approvals.snapshot")));
    ({ client } = await connectClient({ credential: dana.apiKey }));
  });

  afterAll(async () => {
    await client.close();
    for (const desk of [dana_, erin_, owner_, bystander_]) desk.socket.close(1000);
    await admin(2013, { serverId });
  });

  it("tells every online approver (the caller as self, an admin, the owner key) and no one else; a decision on the socket runs the call", async () => {
    const call = heldCall(client, `${serverId}__echo`, { text: "from the desk" });
    const requested = await dana_.next("approval.requested", (m) => m.approval.serverId === serverId);
    expect(requested.approval).toMatchObject({ status: "pending", userId: dana.userId, tool: "echo", arguments: { text: "from the desk" }, clientName: "test-client", approvers: ["self"] });
    const id = requested.approval.approvalId;
    for (const desk of [erin_, owner_]) expect((await desk.next("approval.requested", (m) => m.approval.approvalId === id)).approval.status).toBe("pending");
    // A figure, not an assertion: how long after the request's creation each approver's socket had it.
    const lags = [dana_, erin_, owner_].map((desk) => desk.arrivedAt[desk.received.findIndex((m) => m.type === "approval.requested" && m.approval.approvalId === id)]! - Date.parse(requested.approval.createdAt));
    console.warn(`desk delivery: approval.requested reached the 3 online approvers ${lags.join(" / ")} ms after createdAt`);

    dana_.send({ type: "approval.decide", requestId: "a1", approvalId: id, decision: "approve" });
    const result = await dana_.next("approval.decide.result");
    expect(result).toMatchObject({ requestId: "a1", approval: { approvalId: id, status: "approved", decidedBy: dana.userId, decisionChannel: "desk" } });
    expect(textOf(await call)).toBe("alpha: from the desk");
    for (const desk of [dana_, erin_, owner_]) {
      await desk.next("approval.decided", (m) => m.approval.approvalId === id);
      expect((await desk.next("approval.executed", (m) => m.approval.approvalId === id)).approval).toMatchObject({ status: "executed", resultOutcome: "ok" });
    }

    dana_.send({ type: "approval.decide", requestId: "a2", approvalId: id, decision: "reject" });
    expect(await dana_.next("error", (m) => m.requestId === "a2")).toMatchObject({ code: 40901, message: expect.stringMatching(/already executed/) });
    const [audited] = await sql<{ method: string; principal_id: string }>("select method from audit_records where chain_id = 'admin' and arguments->>'approvalId' = $1", [id]);
    expect(audited).toMatchObject({ method: "desk/DECIDE_APPROVAL" });

    bystander_.send({ type: "ping", requestId: "b" });
    await bystander_.next("pong");
    expect(bystander_.received.filter((m) => m.type.startsWith("approval.") && "approval" in m && m.approval.approvalId === id)).toEqual([]);
  });

  it("rejects with the reason the model reads, decided by an admin's desk; the web channel is recorded as such", async () => {
    const web = await openDesk(erin.apiKey, "web");
    await web.next("approvals.snapshot");
    const call = heldCall(client, `${serverId}__echo`, { text: "no thanks" });
    const id = (await web.next("approval.requested", (m) => m.approval.serverId === serverId)).approval.approvalId;
    web.send({ type: "approval.decide", requestId: "r1", approvalId: id, decision: "reject", reason: "not on a Friday" });
    expect((await web.next("approval.decide.result")).approval).toMatchObject({ status: "rejected", decisionReason: "not on a Friday", decisionChannel: "web", decidedBy: erin.userId });
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("not on a Friday");
    web.socket.close(1000);
  });

  it("approves with edited arguments: invalid ones are a typed error and the request stays pending; valid ones run", async () => {
    const call = heldCall(client, `${serverId}__echo`, { text: "original" });
    const id = (await dana_.next("approval.requested", (m) => m.approval.serverId === serverId && (m.approval.arguments as { text: string }).text === "original")).approval.approvalId;
    dana_.send({ type: "approval.decide", requestId: "e1", approvalId: id, decision: "approve", arguments: { text: 42 } });
    expect(await dana_.next("error", (m) => m.requestId === "e1")).toMatchObject({ code: 40002 });
    dana_.send({ type: "approvals.list", requestId: "l1", status: "pending" });
    expect((await dana_.next("approvals.snapshot", (m) => m.requestId === "l1")).approvals.map((a) => a.approvalId)).toContain(id);

    dana_.send({ type: "approval.decide", requestId: "e2", approvalId: id, decision: "approve", arguments: { text: "edited on the desk" } });
    const decided = await dana_.next("approval.decide.result", (m) => m.requestId === "e2");
    expect(decided.approval).toMatchObject({ status: "approved", editedArguments: { text: "edited on the desk" } });
    expect(decided.approval.editedArgumentsHash).not.toBe(decided.approval.argumentsHash);
    expect(textOf(await call)).toBe("alpha: edited on the desk");
  });

  it("refuses a decision by a user who is not an approver as if the request did not exist", async () => {
    const call = heldCall(client, `${serverId}__echo`, { text: "not yours" });
    const id = (await dana_.next("approval.requested", (m) => (m.approval.arguments as { text: string }).text === "not yours")).approval.approvalId;
    bystander_.send({ type: "approval.decide", requestId: "x", approvalId: id, decision: "approve" });
    expect(await bystander_.next("error", (m) => m.requestId === "x")).toMatchObject({ code: 40401, message: `No approval request "${id}"` });
    dana_.send({ type: "approval.decide", requestId: "y", approvalId: id, decision: "reject", reason: "tidy up" });
    await dana_.next("approval.decide.result", (m) => m.requestId === "y");
    await call;
  });

  it("keeps the sockets and the pending request across an eviction of the Desk object: the decision still runs the call", async () => {
    const call = heldCall(client, `${serverId}__echo`, { text: "survive the desk" });
    const id = (await dana_.next("approval.requested", (m) => (m.approval.arguments as { text: string }).text === "survive the desk")).approval.approvalId;
    await evictDurableObject(env.DESK.getByName(dana.userId));
    dana_.send({ type: "approvals.list", requestId: "after", status: "pending" });
    expect((await dana_.next("approvals.snapshot", (m) => m.requestId === "after")).approvals.map((a) => a.approvalId)).toContain(id);
    dana_.send({ type: "approval.decide", requestId: "go", approvalId: id, decision: "approve" });
    await dana_.next("approval.decide.result", (m) => m.requestId === "go");
    expect(textOf(await call)).toBe("alpha: survive the desk");
  });

  it("greets a desk that opens while a request waits with it in approvals.snapshot", async () => {
    const call = heldCall(client, `${serverId}__echo`, { text: "waiting already" });
    const id = (await dana_.next("approval.requested", (m) => (m.approval.arguments as { text: string }).text === "waiting already")).approval.approvalId;
    const late = await openDesk(dana.apiKey);
    expect((await late.next("approvals.snapshot")).approvals.map((a) => a.approvalId)).toContain(id);
    late.send({ type: "approval.decide", requestId: "late", approvalId: id, decision: "approve" });
    await late.next("approval.decide.result");
    expect(textOf(await call)).toBe("alpha: waiting already");
    late.socket.close(1000);
  });
});
