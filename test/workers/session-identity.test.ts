// Sessions are checked against the credential that opened them, without the database on the request's
// path: so changes to a user reach open sessions by push (through the user's Desk object), with a
// background re-check as the safety net; caps and forged ids are refused before any object wakes.
import { env } from "cloudflare:workers";
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { sessionRows } from "./audit-support.ts";
import { accessTokenFor, admin, createUser, request, sql } from "./gateway.ts";
import { connectClient, listAll, registerServer } from "./mcp-client.ts";
import { evictSession } from "./raw-mcp.ts";

const SSE_AND_JSON = "application/json, text/event-stream";

function post(body: unknown, options: { credential: string; sessionId?: string; version?: string }): Promise<Response> {
  return request("/mcp", {
    method: "POST",
    headers: {
      authorization: `Bearer ${options.credential}`,
      accept: SSE_AND_JSON,
      "content-type": "application/json",
      ...(options.sessionId ? { "mcp-session-id": options.sessionId } : {}),
      ...(options.version ? { "mcp-protocol-version": options.version } : {}),
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function open(credential: string, protocolVersion = "2025-11-25"): Promise<Response> {
  return post(
    { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion, capabilities: {}, clientInfo: { name: "identity-test", version: "1" } } },
    { credential },
  );
}

async function openSession(credential: string, protocolVersion?: string): Promise<string> {
  const response = await open(credential, protocolVersion);
  expect(response.status).toBe(200);
  await response.body?.cancel();
  return response.headers.get("mcp-session-id")!;
}

const ping = (id: number) => ({ jsonrpc: "2.0", id, method: "ping" });

describe("a session's identity", () => {
  it("ends a disabled user's open sessions before the admin reply, key and token sessions alike", async () => {
    const bob = await createUser();
    const byKey = await openSession(bob.apiKey);
    const token = await accessTokenFor(bob.apiKey);
    const byToken = await openSession(token);
    expect((await post(ping(1), { credential: bob.apiKey, sessionId: byKey })).status).toBe(200);

    expect((await admin(1001, { userId: bob.userId })).status).toBe(200);
    // No wait: the change reached both sessions within the admin request.
    expect((await post(ping(2), { credential: bob.apiKey, sessionId: byKey })).status).toBe(404);
    expect((await post(ping(3), { credential: token, sessionId: byToken })).status).toBe(404);
    expect((await open(bob.apiKey)).status).toBe(401);
  });

  it("ends a deleted user's sessions, and only the rotated key's sessions when a key is rotated", async () => {
    const carol = await createUser();
    const doomed = await openSession(carol.apiKey);
    const rotated = await admin<{ apiKey: string }>(1017, { userId: carol.userId });
    const newKey = rotated.body.data!.apiKey;
    expect((await post(ping(1), { credential: carol.apiKey, sessionId: doomed })).status).toBe(404);
    const fresh = await openSession(newKey);
    expect((await post(ping(2), { credential: newKey, sessionId: fresh })).status).toBe(200);

    expect((await admin(1013, { userId: carol.userId })).status).toBe(200);
    expect((await post(ping(3), { credential: newKey, sessionId: fresh })).status).toBe(404);
  });

  it("applies a role change to an open session from its next request", async () => {
    const dave = await createUser();
    const sessionId = await openSession(dave.apiKey);
    expect((await admin(1012, { userId: dave.userId, role: "admin" })).status).toBe(200);
    expect((await post(ping(1), { credential: dave.apiKey, sessionId })).status).toBe(200);
    const rows = await sessionRows<{ method: string; role: string }>(sessionId, 2);
    expect(rows.map((row) => [row.method, row.role])).toEqual([
      ["initialize", "user"],
      ["ping", "admin"],
    ]);
  });

  it("accepts a new token minted from the session's key, and refuses another user's key", async () => {
    const erin = await createUser();
    const frank = await createUser();
    const sessionId = await openSession(erin.apiKey);
    expect((await post(ping(1), { credential: await accessTokenFor(erin.apiKey), sessionId })).status).toBe(200);
    expect((await post(ping(2), { credential: await accessTokenFor(frank.apiKey), sessionId })).status).toBe(404);
    expect((await post(ping(3), { credential: frank.apiKey, sessionId })).status).toBe(404);
  });

  it("does not ask Postgres on each request, yet notices a key deleted behind the gateway's back at its next re-check", async () => {
    // Admin actions push their changes; deleting the row directly (no admin action, so no push) is found
    // by the session's own background re-check of who its caller is (MCP_IDENTITY_RECHECK_SECONDS).
    const grace = await createUser();
    const sessionId = await openSession(grace.apiKey);
    expect((await post(ping(1), { credential: grace.apiKey, sessionId })).status).toBe(200);
    await sql("delete from api_keys where user_id = $1", [grace.userId]);
    expect((await open(grace.apiKey)).status).toBe(401);
    let id = 2;
    await expect.poll(async () => (await post(ping(id++), { credential: grace.apiKey, sessionId })).status, { timeout: 15_000, interval: 300 }).toBe(404);
  });
});

describe("changes for everyone", () => {
  it("reach an open session within the admin request: it re-reads its servers and its client hears list_changed", async () => {
    const user = await createUser();
    const server = await registerServer("alpha");
    const { client } = await connectClient({ credential: user.apiKey });
    const heard: string[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, (notification) => void heard.push(notification.method));
    try {
      // list_changed arrives on the standalone stream, which the SDK client opens after initialize.
      expect((await listAll(client, "tools")).some((t) => t.name === `${server}__echo`)).toBe(true);
      expect((await admin(2012, { serverId: server, enabled: false })).status).toBe(200);
      // No waiting for MCP_SERVER_RECHECK_SECONDS: the very next call is refused.
      await expect(client.callTool({ name: `${server}__echo`, arguments: { text: "x" } })).rejects.toMatchObject({ code: -32602 });
      expect((await listAll(client, "tools")).some((t) => String(t.name).startsWith(`${server}__`))).toBe(false);
      await expect.poll(() => heard.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});

describe("safety caps", () => {
  it("refuses a session id this deployment did not issue without creating any Durable Object", async () => {
    const user = await createUser();
    const before = (await listDurableObjectIds(env.MCP_SESSION)).length;
    for (let i = 0; i < 20; i++) {
      const forged = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
      const response = await post(ping(i), { credential: user.apiKey, sessionId: forged });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: -32002 } });
    }
    expect((await listDurableObjectIds(env.MCP_SESSION)).length).toBe(before);
  });

  it("caps the sessions one user holds, and frees a place when one is closed", async () => {
    const hoarder = await createUser();
    const cap = Number(env.MCP_MAX_SESSIONS_PER_USER);
    const sessions: string[] = [];
    for (let i = 0; i < cap; i++) sessions.push(await openSession(hoarder.apiKey));
    const refused = await open(hoarder.apiKey);
    expect(await refused.json()).toMatchObject({ error: { code: -32013, message: expect.stringContaining("MCP_MAX_SESSIONS_PER_USER") } });

    const closed = await request("/mcp", { method: "DELETE", headers: { authorization: `Bearer ${hoarder.apiKey}`, "mcp-session-id": sessions[0]! } });
    expect(closed.status).toBe(200);
    expect((await open(hoarder.apiKey)).status).toBe(200);
  });

  it("refuses a batch over MCP_MAX_BATCH before any of it runs", async () => {
    const user = await createUser();
    const sessionId = await openSession(user.apiKey, "2025-03-26");
    const batch = Array.from({ length: Number(env.MCP_MAX_BATCH) + 1 }, (_, i) => ping(i));
    const response = await post(batch, { credential: user.apiKey, sessionId, version: "2025-03-26" });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: -32013, message: expect.stringContaining("MCP_MAX_BATCH") } });
    const fits = await post(batch.slice(1), { credential: user.apiKey, sessionId, version: "2025-03-26" });
    expect(((await fits.json()) as unknown[]).length).toBe(Number(env.MCP_MAX_BATCH));
  });

  it("refuses requests beyond MCP_MAX_CALLS_IN_FLIGHT while the session's earlier calls run", async () => {
    const user = await createUser();
    const alpha = await registerServer("alpha");
    const sessionId = await openSession(user.apiKey, "2025-03-26");
    const slow = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: `${alpha}__slow`, arguments: { steps: 3, delayMs: 200 } } });
    const limit = Number(env.MCP_MAX_CALLS_IN_FLIGHT);
    const first = Array.from({ length: Number(env.MCP_MAX_BATCH) }, (_, i) => slow(i));
    const second = Array.from({ length: limit - first.length + 1 }, (_, i) => slow(1000 + i));
    const running = post(first, { credential: user.apiKey, sessionId, version: "2025-03-26" });
    // The first batch is in flight once its stream has begun.
    const started = await running;
    const over = await post(second, { credential: user.apiKey, sessionId, version: "2025-03-26" });
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ error: { code: -32013, message: expect.stringContaining("MCP_MAX_CALLS_IN_FLIGHT") } });
    await started.text();
  });

  it("answers JSON nested thousands of levels deep with a JSON-RPC 400, not a 500", async () => {
    const user = await createUser();
    const sessionId = await openSession(user.apiKey);
    const deep = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":${"[".repeat(3500)}${"]".repeat(3500)}}}}`;
    const response = await post(deep, { credential: user.apiKey, sessionId });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32600, message: expect.stringContaining("nested deeper") } });
    // A bracket inside a string is text, not nesting.
    const quoted = await post({ jsonrpc: "2.0", id: 2, method: "ping", params: { _meta: { note: "[".repeat(500) } } }, { credential: user.apiKey, sessionId });
    expect(quoted.status).toBe(200);
  });
});

describe("a revocation push that never arrives", () => {
  /** The push reaches no session: the user's Desk no longer knows it, as when the Desk was unreachable. */
  async function losePushesTo(userId: string): Promise<void> {
    await runInDurableObject(env.DESK.getByName(userId), (_instance, state) => void state.storage.sql.exec("DELETE FROM live_sessions"));
  }

  it("does not leave a disabled user's open session working: the session's own re-check ends it", async () => {
    const mallory = await createUser();
    const sessionId = await openSession(mallory.apiKey);
    await losePushesTo(mallory.userId);
    expect((await admin(1001, { userId: mallory.userId })).status).toBe(200);
    // Within MCP_IDENTITY_RECHECK_SECONDS (1 s here) and one background read, the session is gone.
    let id = 1;
    await expect.poll(async () => (await post(ping(id++), { credential: mallory.apiKey, sessionId })).status, { timeout: 15_000, interval: 300 }).toBe(404);
  });

  it("re-checks after the session's object restarts, and keeps a user still active working", async () => {
    const trent = await createUser();
    const victor = await createUser();
    const ended = await openSession(trent.apiKey);
    const kept = await openSession(victor.apiKey);
    await losePushesTo(trent.userId);
    const rotated = await admin<{ apiKey: string }>(1017, { userId: trent.userId });
    expect(rotated.status).toBe(200);
    await evictSession(ended);
    await evictSession(kept);
    let id = 1;
    await expect.poll(async () => (await post(ping(id++), { credential: trent.apiKey, sessionId: ended })).status, { timeout: 15_000, interval: 300 }).toBe(404);
    for (let i = 0; i < 3; i++) expect((await post(ping(100 + i), { credential: victor.apiKey, sessionId: kept })).status).toBe(200);
  });
});
