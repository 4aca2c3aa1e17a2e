import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sessionRows } from "./audit-support.ts";
import { admin, createUser, ORIGIN } from "./gateway.ts";
import { connectClient, registerServer, textOf } from "./mcp-client.ts";
import { evictSession, mcp, messagesOf, nextMessage, openSession, readEvents, sseReader } from "./raw-mcp.ts";

/** What the audit trail holds for a tools/call of `slow` that an eviction cut short. */
function interruptedRecord(serverId: string) {
  return {
    method: "tools/call",
    name: `${serverId}__slow`,
    server_id: serverId,
    outcome: "error",
    error_code: -32003,
    error_message: expect.stringContaining("interrupted"),
  };
}


describe("sessions", () => {
  let alpha: string;

  beforeAll(async () => {
    alpha = await registerServer("alpha");
  });

  it("resumes a dropped stream from Last-Event-ID after the Durable Object was evicted, each event exactly once", async () => {
    const sessionId = await openSession();
    const call = await mcp({
      sessionId,
      body: { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: `${alpha}__slow`, arguments: { steps: 5, delayMs: 100 }, _meta: { progressToken: "p" } } },
    });
    expect(call.headers.get("content-type")).toContain("text/event-stream");
    const before = await readEvents(call.body!, (events) => messagesOf(events).length >= 1);
    const seen = messagesOf(before);
    expect(seen).toEqual([expect.objectContaining({ method: "notifications/progress", params: expect.objectContaining({ progressToken: "p", progress: 1 }) })]);
    const lastEventId = before.at(-1)!.id!;

    // The call finishes while nobody listens; its events wait in the session's SQLite log.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await evictSession(sessionId);

    const resumed = await mcp({ method: "GET", sessionId, headers: { "last-event-id": lastEventId, accept: "text/event-stream" } });
    expect(resumed.status).toBe(200);
    const after = await readEvents(resumed.body!);
    const replayed = messagesOf(after);
    expect(replayed.map((m) => (m.method ? (m.params as { progress: number }).progress : "result"))).toEqual([2, 3, 4, 5, "result"]);
    expect(replayed.at(-1)).toMatchObject({ id: 7, result: { content: [{ text: "alpha: done after 5 steps" }] } });
    const ids = after.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids.every((id) => id > Number(lastEventId))).toBe(true);
  });

  it("answers a request that an eviction interrupted with an error the client can replay", async () => {
    const sessionId = await openSession();
    const call = await mcp({
      sessionId,
      body: { jsonrpc: "2.0", id: "long", method: "tools/call", params: { name: `${alpha}__slow`, arguments: { steps: 100, delayMs: 100 } } },
    });
    const primed = await readEvents(call.body!, (events) => events.length >= 1);
    await evictSession(sessionId);
    const resumed = await mcp({ method: "GET", sessionId, headers: { "last-event-id": primed[0]!.id!, accept: "text/event-stream" } });
    expect(messagesOf(await readEvents(resumed.body!))).toEqual([
      expect.objectContaining({ id: "long", error: expect.objectContaining({ code: -32003, message: expect.stringContaining("interrupted") }) }),
    ]);
    expect((await sessionRows(sessionId, 2))[1]).toMatchObject(interruptedRecord(alpha));
  });

  it("audits each request with the role and address it came with, not those the session was opened with", async () => {
    const user = await createUser({ role: "admin" });
    const sessionId = await openSession({ credential: user.apiKey });
    expect((await admin(1012, { userId: user.userId, role: "user" })).status).toBe(200);
    const ping = await mcp({ sessionId, credential: user.apiKey, headers: { "cf-connecting-ip": "198.51.100.9" }, body: { jsonrpc: "2.0", id: 1, method: "ping" } });
    expect(ping.status).toBe(200);
    expect(await sessionRows(sessionId, 2)).toMatchObject([
      { method: "initialize", role: "admin", ip: null },
      { method: "ping", role: "user", ip: "198.51.100.9" },
    ]);
  });

  it("sends a server's request on the stream of the call it belongs to, with two calls in flight", async () => {
    const sessionId = await openSession({ capabilities: { elicitation: {} } });
    const ask = (id: string) =>
      mcp({ sessionId, body: { jsonrpc: "2.0", id, method: "tools/call", params: { name: `${alpha}__ask`, arguments: { question: `Question ${id}` } } } });
    const streams = { a: sseReader((await ask("a")).body!), b: sseReader((await ask("b")).body!) };
    for (const [id, stream] of Object.entries(streams)) {
      const elicitation = await nextMessage(stream, (m) => m.method === "elicitation/create");
      expect((elicitation.params as { message: string }).message).toBe(`Question ${id}`);
      const answer = { jsonrpc: "2.0", id: elicitation.id, result: { action: "accept", content: { name: `name-${id}` } } };
      expect((await mcp({ sessionId, body: answer })).status).toBe(202);
    }
    for (const [id, stream] of Object.entries(streams)) {
      const response = await nextMessage(stream, (m) => m.id === id);
      expect(JSON.stringify(response.result)).toContain(`name-${id}`);
    }
  });

  it("keeps working after an upgrade from a build whose in-flight table had fewer columns", async () => {
    const sessionId = await openSession();
    const stub = env.MCP_SESSION.getByName(sessionId);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("CREATE TABLE pending_requests (stream_id TEXT NOT NULL, request_id TEXT NOT NULL, PRIMARY KEY (stream_id, request_id))");
      state.storage.sql.exec("INSERT INTO pending_requests VALUES ('old-stream', '7')");
    });
    await evictSession(sessionId);
    expect((await mcp({ sessionId, body: { jsonrpc: "2.0", id: 1, method: "ping" } })).status).toBe(200);
    const tables = await runInDurableObject(env.MCP_SESSION.getByName(sessionId), (_instance, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray());
    expect(tables.map((t) => t.name)).toContain("requests_in_flight");
    expect(tables.map((t) => t.name)).not.toContain("pending_requests");
  });

  it("audits a call answered as JSON that an eviction interrupted, though its HTTP response is lost", async () => {
    const sessionId = await openSession();
    const call = mcp({
      sessionId,
      headers: { accept: "application/json" },
      body: { jsonrpc: "2.0", id: "long-json", method: "tools/call", params: { name: `${alpha}__slow`, arguments: { steps: 100, delayMs: 100 } } },
    }).catch((error: unknown) => error);
    const stub = env.MCP_SESSION.getByName(sessionId);
    await expect
      .poll(() => runInDurableObject(stub, (_instance, state) => state.storage.sql.exec("SELECT 1 FROM requests_in_flight").toArray().length))
      .toBe(1);
    await evictSession(sessionId);
    await call;
    // Any request wakes the new instance, which records the call before it answers anything.
    expect((await mcp({ sessionId, body: { jsonrpc: "2.0", id: 2, method: "ping" } })).status).toBe(200);
    const rows = await sessionRows(sessionId, 3);
    expect(rows.map((row) => row.method)).toEqual(["initialize", "tools/call", "ping"]);
    expect(rows[1]).toMatchObject(interruptedRecord(alpha));
  });

  it("keeps working when a downstream dies mid-call, with a clean error for that call", async () => {
    const mortal = await registerServer("mortal");
    const { client } = await connectClient();
    try {
      await expect(client.callTool({ name: `${mortal}__die` })).rejects.toMatchObject({
        code: -32003,
        message: expect.stringContaining(`Server "${mortal}" failed`),
      });
      expect(textOf(await client.callTool({ name: `${alpha}__echo`, arguments: { text: "still here" } }))).toBe("alpha: still here");
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names.some((n) => n.startsWith(`${mortal}__`))).toBe(false);
    } finally {
      await client.close();
      await admin(2013, { serverId: mortal });
    }
  });

  it("refuses a session id presented by another identity, as if it did not exist", async () => {
    const owner = await openSession();
    const mallory = await createUser();
    const stolen = await mcp({ sessionId: owner, credential: mallory.apiKey, body: { jsonrpc: "2.0", id: 1, method: "ping" } });
    expect(stolen.status).toBe(404);
    expect(await stolen.json()).toMatchObject({ error: { code: -32002 } });
    // The session is unharmed for its owner, and not usable on another endpoint either.
    expect((await mcp({ sessionId: owner, body: { jsonrpc: "2.0", id: 2, method: "ping" } })).status).toBe(200);
    expect((await mcp({ sessionId: owner, path: `/mcp/${alpha}`, body: { jsonrpc: "2.0", id: 3, method: "ping" } })).status).toBe(404);
    expect((await mcp({ method: "DELETE", sessionId: owner, credential: mallory.apiKey })).status).toBe(404);

    // Each attempt is a denial in the session's own chain, naming who made it.
    const rows = await sessionRows(owner, 5);
    expect(rows.map((row) => [row.method, row.user_id, row.decision, row.decision_reason, row.outcome])).toEqual([
      ["initialize", null, "allow", null, "ok"],
      ["ping", mallory.userId, "deny", "the session belongs to another identity", "error"],
      ["ping", null, "allow", null, "ok"],
      ["ping", null, "deny", "the session belongs to another endpoint", "error"],
      ["http/DELETE", mallory.userId, "deny", "the session belongs to another identity", "error"],
    ]);
    expect(rows[1]).toMatchObject({ client_name: null, error_code: -32002 });
  });

  it("ends a session on DELETE, and after the idle alarm", async () => {
    const deleted = await openSession();
    expect((await mcp({ method: "DELETE", sessionId: deleted })).status).toBe(200);
    expect((await mcp({ sessionId: deleted, body: { jsonrpc: "2.0", id: 1, method: "ping" } })).status).toBe(404);

    const idle = await openSession();
    const stub = env.MCP_SESSION.getByName(idle);
    // Time passes: the idle deadline the object keeps is now behind us when its alarm fires.
    await runInDurableObject(stub, (_instance, state) => void state.storage.sql.exec("UPDATE idle SET deadline = 0"));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await mcp({ sessionId: idle, body: { jsonrpc: "2.0", id: 1, method: "ping" } })).status).toBe(404);
  });

  it("serves a JSON answer to a client that accepts only JSON", async () => {
    const sessionId = await openSession();
    const response = await mcp({
      sessionId,
      headers: { accept: "application/json" },
      body: { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: `${alpha}__echo`, arguments: { text: "json" } } },
    });
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.json()).toMatchObject({ id: 5, result: { content: [{ text: "alpha: json" }] } });
  });
});

describe("bad input", () => {
  it("answers malformed traffic with the right JSON-RPC error and status", async () => {
    const sessionId = await openSession();
    const cases: { body: unknown; status: number; code: number }[] = [
      { body: "{not json", status: 400, code: -32700 },
      { body: { jsonrpc: "1.0", id: 1, method: "ping" }, status: 400, code: -32600 },
      { body: { jsonrpc: "2.0", id: { nested: true }, method: "ping" }, status: 400, code: -32600 },
      { body: { jsonrpc: "2.0", id: 1, method: "ping", params: [1] }, status: 400, code: -32600 },
      { body: [], status: 400, code: -32600 },
      { body: [{ jsonrpc: "2.0", id: 1, method: "ping" }], status: 400, code: -32600 }, // batches ended with 2025-03-26
    ];
    for (const { body, status, code } of cases) {
      const response = await mcp({ sessionId, body });
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(await response.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code } });
    }
    const unknown = await mcp({ sessionId, body: { jsonrpc: "2.0", id: 9, method: "tools/destroy" } });
    expect(await unknown.json()).toMatchObject({ id: 9, error: { code: -32601 } });

    const huge = await mcp({ sessionId, body: { jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(1024 * 1024) } } });
    expect(huge.status).toBe(413);
  });

  it("answers a batch in protocol 2025-03-26, which allows them", async () => {
    const sessionId = await openSession({ protocolVersion: "2025-03-26" });
    const response = await mcp({
      sessionId,
      headers: { "mcp-protocol-version": "2025-03-26" },
      body: [
        { jsonrpc: "2.0", id: 1, method: "ping" },
        { jsonrpc: "2.0", id: 2, method: "nope" },
      ],
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      { jsonrpc: "2.0", id: 1, result: {} },
      { jsonrpc: "2.0", id: 2, error: expect.objectContaining({ code: -32601 }) },
    ]);
  });

  it("refuses missing, unknown and malformed session ids, and an unsupported protocol version", async () => {
    expect((await mcp({ body: { jsonrpc: "2.0", id: 1, method: "ping" } })).status).toBe(400);
    const fake = "A".repeat(43);
    expect((await mcp({ sessionId: fake, body: { jsonrpc: "2.0", id: 1, method: "ping" } })).status).toBe(404);
    expect((await mcp({ sessionId: "../../etc", body: { jsonrpc: "2.0", id: 1, method: "ping" } })).status).toBe(404);
    const old = await mcp({ headers: { "mcp-protocol-version": "1999-01-01" }, body: { jsonrpc: "2.0", id: 1, method: "ping" } });
    expect(old.status).toBe(400);
    expect(((await old.json()) as { error: { message: string } }).error.message).toContain("1999-01-01");
  });

  it("negotiates the protocol version", async () => {
    const versions: Record<string, string> = { "2024-11-05": "2024-11-05", "2025-06-18": "2025-06-18", "2030-01-01": "2025-11-25" };
    for (const [asked, answered] of Object.entries(versions)) {
      const response = await mcp({
        body: { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: asked, capabilities: {}, clientInfo: { name: "v", version: "1" } } },
      });
      expect(((await response.json()) as { result: { protocolVersion: string } }).result.protocolVersion, asked).toBe(answered);
    }
  });

  it("refuses a foreign browser Origin (DNS rebinding) but not our own", async () => {
    const ping = { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "o", version: "1" } } };
    const foreign = await mcp({ headers: { origin: "http://evil.example" }, body: ping });
    expect(foreign.status).toBe(403);
    expect((await mcp({ headers: { origin: ORIGIN }, body: ping })).status).toBe(200);
  });

  it("refuses GET without text/event-stream and unsupported methods", async () => {
    const sessionId = await openSession();
    expect((await mcp({ method: "GET", sessionId, headers: { accept: "application/json" } })).status).toBe(406);
    expect((await mcp({ method: "PUT", sessionId, body: {} })).status).toBe(405);
  });
});
