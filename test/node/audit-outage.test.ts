// The audit trail survives a database outage: calls keep working while Postgres is down, and once it is
// back every record arrives exactly once. Runs the real gateway under `npm run dev` against an embedded
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
