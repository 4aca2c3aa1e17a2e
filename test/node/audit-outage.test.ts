// A database outage: open sessions keep serving calls (owner key, API key and token alike), requests that
// need the database get 503 with Retry-After in their own envelope, and once Postgres is back every audit
// record arrives exactly once. Runs the real gateway under `npm run dev` against an embedded
// Postgres that the test stops and restarts on the same port and data.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../scripts/lib/embedded-postgres.ts";
import { type RunningServer, startFixtureServer, stopServer } from "../support/downstream-servers.ts";
import { type DevProcess, freePort, makeDevProject, parseDevVars, startDev, waitForHealthy } from "../support/dev-project.ts";

let dir: string;
let database: EmbeddedPostgres;
let databasePort: number;
let dev: DevProcess;
let fixture: RunningServer;
let origin: string;
let ownerKey: string;

async function auditRows(sessionId: string): Promise<{ id: string; seq: number }[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<{ id: string; seq: number }>("select id, seq from audit_records where session_id = $1 order by seq", [sessionId])).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  dir = makeDevProject();
  databasePort = await freePort();
  database = await startEmbeddedPostgres({ dataDir: join(dir, ".outage-db"), port: databasePort });
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  dev = startDev(dir, port, { DATABASE_URL: database.url });
  await waitForHealthy(dev, origin);
  ownerKey = parseDevVars(readFileSync(join(dir, ".dev.vars"), "utf8")).OWNER_KEY!;
  fixture = await startFixtureServer("outage");
});

afterAll(async () => {
  dev?.child.kill("SIGINT");
  await dev?.exited;
  if (fixture) stopServer(fixture);
  await database?.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

it("loses and duplicates no audit record across a database outage", async () => {
  const register = await fetch(`${origin}/admin`, {
    method: "POST",
    headers: { authorization: `Bearer ${ownerKey}` },
    body: JSON.stringify({ action: 2010, data: { serverId: "outage", transport: "streamable-http", url: fixture.url } }),
  });
  expect(register.status).toBe(200);

  const transport = new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${ownerKey}` } } });
  const client = new Client({ name: "outage-test", version: "1" });
  await client.connect(transport);
  const sessionId = transport.sessionId!;
  let requests = 1; // initialize
  await client.listTools();
  requests++;
  const call = async (text: string) => {
    const result = await client.callTool({ name: "outage__echo", arguments: { text } });
    requests++;
    expect((result.content as { text: string }[])[0]?.text).toBe(`outage: ${text}`);
  };
  for (let i = 0; i < 5; i++) await call(`before ${i}`);

  await database.stop();
  const outageStarted = Date.now();
  for (let i = 0; i < 5; i++) await call(`during ${i}`);
  console.log(`5 calls during the outage took ${Date.now() - outageStarted} ms`);

  database = await startEmbeddedPostgres({ dataDir: join(dir, ".outage-db"), port: databasePort });
  const restored = Date.now();
  await expect.poll(async () => (await auditRows(sessionId)).length, { timeout: 90_000, interval: 500 }).toBe(requests);
  console.log(`every record was in Postgres ${Date.now() - restored} ms after it came back`);
  const rows = await auditRows(sessionId);
  expect(new Set(rows.map((r) => r.id)).size).toBe(requests);
  expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: requests }, (_, i) => i + 1));
  await client.close();
});

async function adminCall(action: number, data: unknown): Promise<Response> {
  return fetch(`${origin}/admin`, { method: "POST", headers: { authorization: `Bearer ${ownerKey}` }, body: JSON.stringify({ action, data }) });
}

it("keeps a plain user's sessions serving through an outage, and answers what needs the database with 503", async () => {
  const created = (await (await adminCall(1010, { name: "outage-user" })).json()) as { data: { userId: string; apiKey: string } };
  const { apiKey } = created.data;
  const tokenReply = await fetch(`${origin}/auth/token`, { method: "POST", headers: { authorization: `Bearer ${apiKey}` } });
  const { access_token: token } = (await tokenReply.json()) as { access_token: string };
  const connect = async (credential: string) => {
    const client = new Client({ name: "outage-user", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${credential}` } } }));
    return client;
  };
  const byKey = await connect(apiKey);
  const byToken = await connect(token);
  const echo = async (client: Client, text: string) => ((await client.callTool({ name: "outage__echo", arguments: { text } })).content as { text: string }[])[0]?.text;
  expect(await echo(byKey, "before")).toBe("outage: before");

  await database.stop();
  try {
    for (let i = 0; i < 3; i++) {
      expect(await echo(byKey, `key ${i}`)).toBe(`outage: key ${i}`);
      expect(await echo(byToken, `token ${i}`)).toBe(`outage: token ${i}`);
    }
    const initialize = await fetch(`${origin}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, accept: "application/json, text/event-stream", "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
    });
    expect(initialize.status).toBe(503);
    expect(initialize.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await initialize.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32012 } });

    const listUsers = await adminCall(1011, {});
    expect(listUsers.status).toBe(503);
    expect(listUsers.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await listUsers.json()).toMatchObject({ success: false, error: { code: 50301 } });

    const exchange = await fetch(`${origin}/auth/token`, { method: "POST", headers: { authorization: `Bearer ${apiKey}` } });
    expect(exchange.status).toBe(503);
    expect(await exchange.json()).toMatchObject({ success: false, error: { code: 50301 } });
  } finally {
    database = await startEmbeddedPostgres({ dataDir: join(dir, ".outage-db"), port: databasePort });
  }
  expect(await echo(byKey, "after")).toBe("outage: after");
  await byKey.close();
  await byToken.close();
});
