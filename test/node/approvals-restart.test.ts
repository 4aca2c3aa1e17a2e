// A pending approval survives a restart of the whole gateway under `npm run dev`: the held call's request
// is in Postgres (embedded PGlite here) and in the session's SQLite, so after the restart a decision runs
// the call and a client resuming its stream from Last-Event-ID gets the result.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningServer, startFixtureServer, stopServer } from "../support/downstream-servers.ts";
import { type DevProcess, freePort, makeDevProject, parseDevVars, startDev, waitForHealthy } from "../support/dev-project.ts";

let dir: string;
let port: number;
let dev: DevProcess;
let fixture: RunningServer;
let origin: string;
let ownerKey: string;

beforeAll(async () => {
  dir = makeDevProject();
  port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  dev = startDev(dir, port);
  await waitForHealthy(dev, origin);
  ownerKey = parseDevVars(readFileSync(join(dir, ".dev.vars"), "utf8")).OWNER_KEY!;
  fixture = await startFixtureServer("restart");
});

afterAll(async () => {
  dev?.child.kill("SIGINT");
  await dev?.exited;
  if (fixture) stopServer(fixture);
  rmSync(dir, { recursive: true, force: true });
});

async function admin<T>(action: number, data: unknown): Promise<{ status: number; data: T }> {
  const response = await fetch(`${origin}/admin`, { method: "POST", headers: { authorization: `Bearer ${ownerKey}` }, body: JSON.stringify({ action, data }) });
  return { status: response.status, data: ((await response.json()) as { data: T }).data };
}

function mcp(credential: string, init: { method?: string; sessionId?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response> {
  return fetch(`${origin}/mcp`, {
    method: init.method ?? "POST",
    headers: {
      authorization: `Bearer ${credential}`,
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      ...(init.sessionId ? { "mcp-session-id": init.sessionId } : {}),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

/** SSE events (id and data) until the stream ends, or until `enough` says to drop the connection. */
async function sseEvents(body: ReadableStream<Uint8Array>, enough: (events: { id?: string; data: string }[]) => boolean = () => false) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: { id?: string; data: string }[] = [];
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return events;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
      const event: { id?: string; data: string } = { data: "" };
      for (const line of buffer.slice(0, end).split("\n")) {
        if (line.startsWith("id: ")) event.id = line.slice(4);
        if (line.startsWith("data: ")) event.data += line.slice(6);
      }
      buffer = buffer.slice(end + 2);
      events.push(event);
      if (enough(events)) {
        await reader.cancel();
        return events;
      }
    }
  }
}

it("keeps a pending approval across a gateway restart; the decision afterwards runs the call", { timeout: 180_000 }, async () => {
  expect((await admin(2010, { serverId: "restart", transport: "streamable-http", url: fixture.url })).status).toBe(200);
  const user = await admin<{ userId: string; apiKey: string }>(1010, { name: "Restart Tester" });
  expect(user.status).toBe(200);
  const rules = [{ id: "hold-echo", match: { tool: "echo" }, effect: "require_approval", reason: "restart drill", approvers: ["self"] }];
  expect((await admin(9101, { name: "restart-drill", serverId: "restart", rules })).status).toBe(200);

  const key = user.data.apiKey;
  const opened = await mcp(key, { body: { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "restart", version: "1" } } } });
  const sessionId = opened.headers.get("mcp-session-id")!;
  await opened.body?.cancel();
  expect((await mcp(key, { sessionId, body: { jsonrpc: "2.0", method: "notifications/initialized" } })).status).toBe(202);
  const call = await mcp(key, { sessionId, body: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "restart__echo", arguments: { text: "after the restart" } } } });
  const primed = await sseEvents(call.body!, (events) => events.length >= 1);

  let approvalId: string | undefined;
  await expect
    .poll(async () => (approvalId = (await admin<{ approvals: { approvalId: string }[] }>(9201, { serverId: "restart", status: "pending" })).data.approvals[0]?.approvalId), { timeout: 15_000 })
    .toBeDefined();

  dev.child.kill("SIGINT");
  await dev.exited;
  dev = startDev(dir, port);
  await waitForHealthy(dev, origin);

  expect((await admin<{ status: string }>(9202, { approvalId })).data.status).toBe("pending");
  expect((await admin(9203, { approvalId, decision: "approve", reason: "after the drill" })).status).toBe(200);
  await expect.poll(async () => (await admin<{ status: string }>(9202, { approvalId })).data.status, { timeout: 30_000 }).toBe("executed");
  const resumed = await mcp(key, { method: "GET", sessionId, headers: { "last-event-id": primed[0]!.id!, accept: "text/event-stream" } });
  expect(resumed.status).toBe(200);
  const messages = (await sseEvents(resumed.body!)).filter((e) => e.data.trim() !== "").map((e) => JSON.parse(e.data) as Record<string, unknown>);
  expect(messages).toEqual([expect.objectContaining({ id: 1, result: expect.objectContaining({ content: [{ type: "text", text: "restart: after the restart" }] }) })]);
});
