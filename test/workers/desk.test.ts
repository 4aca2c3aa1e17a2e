// The Desk channel: tickets (issue, one use, expiry, Origin), the protocol over a real WebSocket through the
// Worker, the pushes that reach open sockets, and hibernation across an eviction of the Desk object.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OWNER_DESK } from "../../worker/users/live-sessions.ts";
import type { ApprovalView } from "../../worker/approvals/types.ts";
import { MAX_CLIENT_FRAME_BYTES } from "../../worker/desk/messages.ts";
import { accessTokenFor, admin, createUser, deleteServersStartingWith, ORIGIN, request, sql } from "./gateway.ts";
import { connectClient, registerServer } from "./mcp-client.ts";
import { issueTicket, openDesk, ticketFor, upgrade } from "./desk-client.ts";

const CANARY = `desk-canary-${crypto.randomUUID()}`;

describe("Desk tickets", () => {
  it("are issued for an API key or an access token, and refused without a valid credential", async () => {
    const alice = await createUser();
    expect((await ticketFor("pk_nope_nope")).status).toBe(401);
    const missing = await request("/desk/ticket", { method: "POST" });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { code: number } }).error.code).toBe(40101);

    const byToken = await openDesk(await accessTokenFor(alice.apiKey));
    expect(await byToken.next("hello")).toEqual({ type: "hello", version: 1, userId: alice.userId, role: "user", channel: "desk" });
    byToken.socket.close(1000);
  });

  it("open one socket once: a reused ticket gets 401 before any upgrade", async () => {
    const alice = await createUser();
    const ticket = await issueTicket(alice.apiKey);
    const first = await upgrade(ticket);
    expect(first.status).toBe(101);
    first.webSocket!.accept();
    const again = await upgrade(ticket);
    expect(again.status).toBe(401);
    expect(again.webSocket).toBeNull();
    expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/already used/);
    first.webSocket!.close(1000);
  });

  it("refuse a missing, forged or foreign ticket, naming what to do", async () => {
    const alice = await createUser();
    const none = await upgrade(null);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { message: string } }).error.message).toMatch(/Missing ticket/);
    const ticket = await issueTicket(alice.apiKey);
    const [header, payload] = ticket.split(".");
    // Another user's desk named in the payload: the signature no longer matches.
    const claims = JSON.parse(atob(payload!.replaceAll("-", "+").replaceAll("_", "/")));
    const forged = `${header}.${btoa(JSON.stringify({ ...claims, sub: OWNER_DESK })).replaceAll("=", "")}.${ticket.split(".")[2]}`;
    for (const bad of [forged, "garbage", await accessTokenFor(alice.apiKey)]) {
      const response = await upgrade(bad);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: number } }).error.code).toBe(40101);
    }
  });

  it("expire: a ticket past its time is refused by the desk that holds it", async () => {
    const alice = await createUser();
    const ticket = await issueTicket(alice.apiKey);
    await runInDurableObject(env.DESK.getByName(alice.userId), (_instance, state) => {
      state.storage.sql.exec("UPDATE tickets SET expires_at = ?", Date.now() - 1);
    });
    const response = await upgrade(ticket);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/expired/);
  });

  it("check the Origin on the ticket and on the upgrade: the gateway's own and MCP_ALLOWED_ORIGINS pass", async () => {
    const alice = await createUser();
    const hostile = await ticketFor(alice.apiKey, { origin: "https://evil.example" });
    expect(hostile.status).toBe(403);
    expect(((await hostile.json()) as { error: { message: string } }).error.message).toMatch(/Origin "https:\/\/evil.example" is not allowed/);
    expect((await ticketFor(alice.apiKey, { origin: ORIGIN })).status).toBe(200);

    const ticket = await issueTicket(alice.apiKey);
    const refused = await upgrade(ticket, { origin: "https://evil.example" });
    expect(refused.status).toBe(403);
    // The refusal came before the desk: the ticket is still unused.
    const own = await upgrade(ticket, { origin: ORIGIN });
    expect(own.status).toBe(101);
    own.webSocket!.accept();
    own.webSocket!.close(1000);
    const listed = await upgrade(await issueTicket(alice.apiKey), { origin: "http://localhost:6274" });
    expect(listed.status).toBe(101);
    listed.webSocket!.accept();
    listed.webSocket!.close(1000);
  });

  it("are never written to the audit trail or a reply other than their own", async () => {
    const alice = await createUser();
    const ticket = await issueTicket(alice.apiKey);
    expect(await sql("select id from audit_records r where r::text like $1", [`%${ticket.split(".")[2]}%`])).toEqual([]);
  });
});

describe("the Desk protocol", () => {
  let personal: string;
  let alpha: string;

  beforeAll(async () => {
    alpha = await registerServer("alpha");
    personal = await registerServer("beta", {
      headers: { "X-Personal-Key": "{{user:PERSONAL_KEY}}" },
      userInputs: [{ name: "PERSONAL_KEY", description: "Your key for beta", required: true }],
    });
  });

  afterAll(() => deleteServersStartingWith(personal, alpha));

  it("greets a user with hello, sessions, pending approvals, capabilities and servers", async () => {
    const alice = await createUser();
    const desk = await openDesk(alice.apiKey, "web");
    expect((await desk.next("hello")).channel).toBe("web");
    expect(await desk.next("sessions.online")).toEqual({ type: "sessions.online", count: 0, sessions: [] });
    expect((await desk.next("approvals.snapshot")).approvals).toEqual([]);
    const capabilities = await desk.next("capabilities.snapshot");
    expect(capabilities.servers.map((s) => s.serverId)).toContain(personal);
    const servers = await desk.next("servers.snapshot");
    expect(servers.servers.find((s) => s.serverId === personal)).toMatchObject({ configured: false, userInputs: [{ name: "PERSONAL_KEY", configured: false }] });
    desk.socket.close(1000);
  });

  it("greets the owner key's desk without capabilities, which the owner key has no user for", async () => {
    const desk = await openDesk(env.OWNER_KEY);
    expect(await desk.next("hello")).toMatchObject({ userId: null, role: "owner" });
    await desk.next("approvals.snapshot");
    desk.send({ type: "ping", requestId: "p" });
    await desk.next("pong");
    expect(desk.received.map((m) => m.type)).not.toContain("capabilities.snapshot");
    desk.send({ type: "capabilities.get", requestId: "c" });
    expect(await desk.next("error")).toMatchObject({ code: 40301, requestId: "c" });
    desk.socket.close(1000);
  });

  it("refuses malformed JSON, unknown types, invalid fields, binary and oversize frames with typed errors, and stays open", async () => {
    const alice = await createUser();
    const desk = await openDesk(alice.apiKey);
    await desk.next("hello");
    desk.send("{not json");
    expect(await desk.next("error")).toEqual({ type: "error", code: 40001, message: "The message is not valid JSON" });
    desk.send("[1,2]");
    expect((await desk.next("error")).code).toBe(40001);
    desk.send({ type: "approvals.delete", requestId: "u1" });
    const unknown = await desk.next("error");
    expect(unknown).toMatchObject({ code: 40003, requestId: "u1" });
    expect(unknown.message).toMatch(/Unknown message type "approvals.delete"; known: approval.decide, approvals.list/);
    desk.send({ type: "approval.decide", requestId: "v1", approvalId: "not-a-uuid", decision: "maybe" });
    const invalid = await desk.next("error");
    expect(invalid).toMatchObject({ code: 40002, requestId: "v1" });
    expect(invalid.message).toMatch(/approvalId/);
    expect(invalid.message).toMatch(/decision/);
    desk.socket.send(new Uint8Array([1, 2, 3]));
    expect(await desk.next("error")).toMatchObject({ code: 40001, message: expect.stringMatching(/Binary frames/) });
    desk.send({ type: "ping", requestId: "big", pad: "x".repeat(MAX_CLIENT_FRAME_BYTES) });
    expect(await desk.next("error")).toMatchObject({ code: 41301 });
    desk.send({ type: "ping", requestId: "still-open" });
    expect(await desk.next("pong")).toEqual({ type: "pong", requestId: "still-open" });
    for (const message of desk.received.filter((m) => m.type === "error")) expect(message.message).not.toMatch(/\n\s+at /);
    desk.socket.close(1000);
  });

  it("answers approval messages: a decision on an unknown request is 404, the list is typed", async () => {
    const alice = await createUser();
    const desk = await openDesk(alice.apiKey);
    desk.send({ type: "approval.decide", requestId: "d1", approvalId: crypto.randomUUID(), decision: "approve" });
    expect(await desk.next("error", (m) => m.requestId === "d1")).toMatchObject({ code: 40401 });
    desk.send({ type: "approvals.list", requestId: "l1", status: "pending" });
    expect(await desk.next("approvals.snapshot", (m) => m.requestId === "l1")).toEqual({ type: "approvals.snapshot", requestId: "l1", approvals: [] });
    desk.socket.close(1000);
  });

  it("sets my capabilities through SET_MY_CAPABILITIES: the reply, an audit record of user/SET_MY_CAPABILITIES, and the update pushed", async () => {
    const alice = await createUser();
    // The capabilities list what the servers' catalogs hold: a session's tools/list fills them.
    const { client } = await connectClient({ credential: alice.apiKey });
    await client.listTools();
    await client.close();
    const desk = await openDesk(alice.apiKey);
    const before = await desk.next("capabilities.snapshot");
    const tool = before.servers.find((s) => s.serverId === alpha)!.tools[0]!.name;
    desk.send({ type: "capabilities.set", requestId: "s1", servers: { [alpha]: { tools: { [tool]: false } } } });
    expect(await desk.next("capabilities.set.result")).toEqual({ type: "capabilities.set.result", requestId: "s1", clientName: "", narrowing: { [alpha]: { tools: { [tool]: false } } } });
    const updated = await desk.next("capabilities.updated");
    expect(updated.servers.find((s) => s.serverId === alpha)!.tools.find((t) => t.name === tool)).toMatchObject({ available: false, removedBy: "user" });
    expect(updated.narrowing).toEqual({ [alpha]: { tools: { [tool]: false } } });
    const audited = await sql<{ method: string; principal_id: string | null }>("select method from audit_records where method = 'user/SET_MY_CAPABILITIES' and arguments::text like $1", [`%${tool}%`]);
    expect(audited.length).toBeGreaterThanOrEqual(1);

    desk.send({ type: "capabilities.set", requestId: "s2", servers: { "Not A Server": {} } });
    expect(await desk.next("error", (m) => m.requestId === "s2")).toMatchObject({ code: 40002 });
    desk.socket.close(1000);
  });

  it("configures and unconfigures my server values through the /user actions, never echoing a value", async () => {
    const alice = await createUser();
    const desk = await openDesk(alice.apiKey);
    await desk.next("servers.snapshot");
    desk.send({ type: "servers.configure", requestId: "c1", serverId: personal, values: { PERSONAL_KEY: CANARY } });
    expect(await desk.next("servers.configure.result")).toEqual({ type: "servers.configure.result", requestId: "c1", serverId: personal, configured: ["PERSONAL_KEY"], missing: [] });
    const after = await desk.next("servers.snapshot");
    expect(after.servers.find((s) => s.serverId === personal)).toMatchObject({ configured: true });
    desk.send({ type: "servers.configure", requestId: "c2", serverId: personal, values: { NOT_ASKED: "x" } });
    expect(await desk.next("error", (m) => m.requestId === "c2")).toMatchObject({ code: 40002, message: expect.stringMatching(/does not ask for NOT_ASKED/) });
    desk.send({ type: "servers.unconfigure", requestId: "u1", serverId: personal });
    expect(await desk.next("servers.unconfigure.result")).toEqual({ type: "servers.unconfigure.result", requestId: "u1", serverId: personal, removed: 1 });
    desk.send({ type: "servers.list", requestId: "l1" });
    expect((await desk.next("servers.snapshot", (m) => m.requestId === "l1")).servers.find((s) => s.serverId === personal)).toMatchObject({ configured: false });
    expect(JSON.stringify(desk.received)).not.toContain(CANARY);
    expect(await sql("select id from audit_records r where r::text like $1", [`%${CANARY}%`])).toEqual([]);
    desk.socket.close(1000);
  });
});

describe("pushes to open Desk sockets", () => {
  it("counts the user's MCP sessions as they open and end", async () => {
    const alice = await createUser();
    const desk = await openDesk(alice.apiKey);
    await desk.next("sessions.online");
    const { client, transport } = await connectClient({ credential: alice.apiKey });
    const online = await desk.next("sessions.online");
    expect(online.count).toBe(1);
    expect(online.sessions[0]).toMatchObject({ oauthClient: false, keyId: expect.any(String) });
    await transport.terminateSession();
    expect((await desk.next("sessions.online")).count).toBe(0);
    await client.close();
    desk.socket.close(1000);
  });

  it("tells of a role change, sends the capabilities anew, and voids tickets issued with the old role", async () => {
    const alice = await createUser();
    const desk = await openDesk(alice.apiKey);
    await desk.next("capabilities.snapshot");
    const issuedBefore = await issueTicket(alice.apiKey);
    expect((await admin(1012, { userId: alice.userId, role: "admin" })).status).toBe(200);
    expect(await desk.next("notification")).toEqual({ type: "notification", kind: "permission.changed", message: "Your role is now admin" });
    await desk.next("capabilities.updated");
    // A ticket issued with the old role opens nothing; a new one carries the new role.
    expect((await upgrade(issuedBefore)).status).toBe(401);
    const again = await openDesk(alice.apiKey);
    expect((await again.next("hello")).role).toBe("admin");
    again.socket.close(1000);
    desk.socket.close(1000);
  });

  it("closes the socket of a disabled user after saying why, and its unused tickets go too", async () => {
    const alice = await createUser();
    const desk = await openDesk(alice.apiKey);
    await desk.next("hello");
    const spare = await issueTicket(alice.apiKey);
    expect((await admin(1001, { userId: alice.userId })).status).toBe(200);
    expect(await desk.next("notification")).toMatchObject({ kind: "user.disabled" });
    expect((await desk.closed).code).toBe(4403);
    expect((await upgrade(spare)).status).toBe(401);
  });

  it("closes only the sockets of a rotated key", async () => {
    const alice = await createUser();
    const old = await openDesk(alice.apiKey);
    await old.next("hello");
    const rotated = await admin<{ apiKey: string }>(1017, { userId: alice.userId });
    expect(rotated.status).toBe(200);
    expect(await old.next("notification")).toMatchObject({ kind: "key.revoked" });
    expect((await old.closed).code).toBe(4401);
    const fresh = await openDesk(rotated.body.data!.apiKey);
    await fresh.next("hello");
    fresh.socket.close(1000);
  });

  it("reach a desk that has sockets but no MCP session: a change for everyone updates its capabilities and names the server that came or went", async () => {
    const alice = await createUser();
    const desk = await openDesk(alice.apiKey);
    await desk.next("servers.snapshot");
    const serverId = await registerServer("alpha");
    const updated = await desk.next("capabilities.updated", (m) => m.servers.some((s) => s.serverId === serverId));
    expect(updated.servers.map((s) => s.serverId)).toContain(serverId);
    expect(await desk.next("notification", (m) => m.serverId === serverId)).toEqual({ type: "notification", kind: "server.online", serverId, message: `Server ${serverId} is available` });
    expect((await admin(2012, { serverId, enabled: false })).status).toBe(200);
    expect(await desk.next("notification", (m) => m.serverId === serverId)).toMatchObject({ kind: "server.offline", serverId });
    await evictDurableObject(env.DESK.getByName(alice.userId));
    expect((await admin(2012, { serverId, enabled: true })).status).toBe(200);
    expect(await desk.next("notification", (m) => m.serverId === serverId)).toMatchObject({ kind: "server.online", serverId });
    await deleteServersStartingWith(serverId);
    desk.socket.close(1000);
  });
});

describe("Desk hibernation", () => {
  it("keeps its sockets across an eviction: they are answered, published to and told of changes", async () => {
    const alice = await createUser();
    const desk = await openDesk(alice.apiKey);
    await desk.next("capabilities.snapshot");
    const stub = env.DESK.getByName(alice.userId);
    await evictDurableObject(stub);

    desk.send({ type: "ping", requestId: "after-eviction" });
    expect(await desk.next("pong")).toEqual({ type: "pong", requestId: "after-eviction" });

    await evictDurableObject(stub);
    const approval: ApprovalView = {
      approvalId: crypto.randomUUID(), status: "pending", userId: alice.userId, sessionId: null, serverId: "s", tool: "t", clientName: null, arguments: {}, argumentsHash: "0",
      reason: "r", policyId: null, policyVersion: null, ruleId: null, approvers: ["self"], createdAt: new Date().toISOString(), expiresAt: new Date().toISOString(),
      decidedBy: null, decidedAt: null, decisionChannel: null, decisionReason: null, editedArguments: null, editedArgumentsHash: null, resultOutcome: null,
    };
    expect(await stub.publish({ type: "approval.requested", approval })).toBe(1);
    expect((await desk.next("approval.requested")).approval.approvalId).toBe(approval.approvalId);

    await evictDurableObject(stub);
    expect((await admin(1012, { userId: alice.userId, role: "admin" })).status).toBe(200);
    expect(await desk.next("notification")).toMatchObject({ kind: "permission.changed" });
    desk.socket.close(1000);
  });
});

describe("the /desk page", () => {
  it("is served with a CSP that allows only its own script, style and connections, and holds no secret", async () => {
    const page = await request("/desk");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await page.text();
    for (const testid of ["api-key", "sign-in", "approvals", "capabilities", "servers", "status"]) expect(html).toContain(`data-testid="${testid}"`);
    expect(html).not.toMatch(/<script>/);
    for (const secret of [env.OWNER_KEY, env.JWT_SIGNING_KEY, env.VAULT_KEYS]) expect(html).not.toContain(secret);
    const script = await request("/desk/app.js");
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect(await script.text()).toContain('"/desk/ticket"');
    expect((await request("/desk/app.css")).headers.get("content-type")).toMatch(/text\/css/);
  });
});
