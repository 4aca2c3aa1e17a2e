import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { admin, createUser, deleteServersStartingWith, request, sql } from "./gateway.ts";

afterAll(() => deleteServersStartingWith("dup-"));

const missingUser = "00000000-0000-4000-8000-000000000000";

function post(body: BodyInit, headers: Record<string, string> = {}) {
  return request("/admin", { method: "POST", headers: { authorization: `Bearer ${env.OWNER_KEY}`, ...headers }, body });
}

describe("admin API: users", () => {
  it("creates, lists, updates and deletes a user", async () => {
    const email = `${crypto.randomUUID()}@example.com`;
    const created = await createUser({ email, role: "user", attributes: { team: "data" } });
    expect(created.apiKey).toMatch(/^pk_[A-Za-z0-9_-]{16}_[A-Za-z0-9_-]{43}$/);

    const listed = await admin<{ users: Record<string, unknown>[] }>(1011, { userId: created.userId });
    expect(listed.body.data!.users).toEqual([
      expect.objectContaining({ userId: created.userId, email, role: "user", status: "active", attributes: { team: "data" } }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(created.apiKey.slice(20));

    const updated = await admin<{ user: { name: string; attributes: unknown } }>(1012, {
      userId: created.userId,
      name: "Renamed",
      attributes: { team: "ops" },
    });
    expect(updated.body.data!.user).toMatchObject({ name: "Renamed", attributes: { team: "ops" } });

    expect((await admin(1013, { userId: created.userId })).status).toBe(200);
    expect((await admin<{ users: unknown[] }>(1011, { userId: created.userId })).body.data!.users).toEqual([]);
  });

  it("names the failing field, with status 400", async () => {
    const cases: [number, unknown, string][] = [
      [1010, {}, "data.name"],
      [1010, { name: "x", role: "root" }, "data.role"],
      [1010, { name: "x", email: "not-an-email" }, "data.email"],
      [1010, { name: "x", surprise: true }, "surprise"],
      [1012, { userId: "nope" }, "data.userId"],
      [2010, { serverId: "Bad_Id", transport: "streamable-http", url: "http://127.0.0.1:1/mcp" }, "data.serverId"],
      [2010, { serverId: "ok", transport: "carrier-pigeon", url: "http://127.0.0.1:1/mcp" }, "data.transport"],
      // A stdio server is a command, not a URL; any other server is a URL, not a command.
      [2010, { serverId: "ok", transport: "stdio", url: "http://127.0.0.1:1/mcp" }, "data.stdio"],
      [2010, { serverId: "ok", transport: "sse", stdio: { command: "npx" } }, "data.url"],
      [2010, { serverId: "ok", transport: "stdio", stdio: { command: "npx", env: { BRIDGE_PORT: "1" } } }, "data.stdio.env"],
      [2010, { serverId: "ok", transport: "stdio", stdio: { command: "npx", env: { TOKEN: "{{user:NOPE}}" } } }, "NOPE"],
      [2010, { serverId: "ok", transport: "sse", url: "file:///etc/passwd" }, "data.url"],
      [2010, { serverId: "ok", transport: "sse", url: "http://127.0.0.1:1/", headers: { Host: "x" } }, "data.headers"],
      [2010, { serverId: "ok", transport: "sse", url: "http://127.0.0.1:1/", headers: { "X-A": "a\r\nB: c" } }, "data.headers"],
      [2010, { serverId: "ok", transport: "sse", url: "http://127.0.0.1:1/", headers: { "X-A": "{{user:NOPE}}" } }, "NOPE"],
      // What Postgres cannot store is the client's error, not a failed query.
      [1010, { name: "a\u0000b" }, "data.name: contains a NUL"],
      [1010, { name: "x", attributes: { team: "\ud800" } }, "data.attributes.team"],
      [1010, { name: "x", attributes: { deep: JSON.parse("[".repeat(100) + "]".repeat(100)) } }, "nested deeper than 32"],
    ];
    for (const [action, data, field] of cases) {
      const reply = await admin(action, data);
      expect(reply.status, JSON.stringify(data)).toBe(400);
      expect(reply.body.error?.code).toBe(40002);
      expect(reply.body.error?.message).toContain(field);
    }
  });

  it("refuses an unknown action, a malformed envelope, non-JSON and an oversized body", async () => {
    const unknown = await admin(9999, {});
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.code).toBe(40003);

    const noAction = await post(JSON.stringify({ data: {} }));
    expect(noAction.status).toBe(400);
    expect(((await noAction.json()) as { error: { message: string } }).error.message).toContain("action");

    for (const body of ["{not json", "", "[]"]) {
      const response = await post(body);
      expect(response.status, body).toBe(400);
      const reply = (await response.json()) as { success: boolean; error: { code: number; message: string } };
      expect(reply.success).toBe(false);
      expect(reply.error.message).not.toMatch(/at .*\.ts|Error:/);
    }

    const huge = await post(JSON.stringify({ action: 1010, data: { name: "x".repeat(1024 * 1024) } }));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: number } }).error.code).toBe(41301);
  });

  it("answers 404 for an unknown id and 409 for a duplicate email", async () => {
    for (const action of [1012, 1013, 1001, 1017]) {
      const reply = await admin(action, { userId: missingUser });
      expect(reply.status, String(action)).toBe(404);
      expect(reply.body.error?.code).toBe(40401);
    }
    const email = `${crypto.randomUUID()}@example.com`;
    await createUser({ email });
    const duplicate = await admin(1010, { name: "twin", email });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error?.message).toContain(email);
    // The same mailbox in other letters is the same mailbox.
    expect((await admin(1010, { name: "twin", email: email.toUpperCase() })).status).toBe(409);
  });

  it("lets only the owner create or alter an admin", async () => {
    const boss = await createUser({ role: "admin" });
    const peer = await createUser({ role: "admin" });
    const plain = await createUser();

    // An admin manages plain users...
    expect((await admin(1011, {}, boss.apiKey)).status).toBe(200);
    expect((await admin(1001, { userId: plain.userId }, boss.apiKey)).status).toBe(200);
    // ...but cannot create, promote to, alter or remove an admin or owner.
    for (const [action, data] of [
      [1010, { name: "x", role: "admin" }],
      [1010, { name: "x", role: "owner" }],
      [1012, { userId: plain.userId, role: "admin" }],
      [1012, { userId: peer.userId, name: "hijack" }],
      [1001, { userId: peer.userId }],
      [1017, { userId: peer.userId }],
      [1013, { userId: peer.userId }],
    ] as const) {
      const reply = await admin(action, data, boss.apiKey);
      expect(reply.status, `${action} ${JSON.stringify(data)}`).toBe(403);
      expect(reply.body.error?.code).toBe(40301);
    }
    // The owner can.
    expect((await admin(1012, { userId: peer.userId, name: "renamed by owner" })).status).toBe(200);
  });

  it("refuses /admin to a plain user and to nobody", async () => {
    const plain = await createUser();
    expect((await admin(1011, {}, plain.apiKey)).status).toBe(403);
    const anonymous = await request("/admin", { method: "POST", body: JSON.stringify({ action: 1011 }) });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: number } }).error.code).toBe(40101);
  });

  it("never stores an API key in clear", async () => {
    const { apiKey } = await createUser();
    const secret = apiKey.slice(20);
    const tables = await sql<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
    );
    expect(tables.map((t) => t.table_name)).toContain("api_keys");
    for (const { table_name } of tables) {
      const rows = await sql<{ row: string }>(`select t::text as row from "${table_name}" t`);
      for (const { row } of rows) {
        expect(row).not.toContain(apiKey);
        expect(row).not.toContain(secret);
      }
    }
  });
});

describe("admin API: servers", () => {
  const server = (serverId: string) => ({
    serverId,
    transport: "streamable-http",
    url: "https://mcp.example.com/mcp",
    headers: { "X-Team": "data" },
  });

  it("creates, lists, updates and deletes a server", async () => {
    const serverId = `srv-${crypto.randomUUID().slice(0, 8)}`;
    const created = await admin<{ server: Record<string, unknown> }>(2010, server(serverId));
    expect(created.status).toBe(200);
    expect(created.body.data!.server).toMatchObject({ serverId, name: serverId, enabled: true, headers: { "X-Team": "data" } });

    const updated = await admin<{ server: Record<string, unknown> }>(2012, { serverId, enabled: false, name: "Docs" });
    expect(updated.body.data!.server).toMatchObject({ enabled: false, name: "Docs", url: "https://mcp.example.com/mcp" });

    const listed = await admin<{ servers: { serverId: string }[] }>(2011, { serverId });
    expect(listed.body.data!.servers.map((s) => s.serverId)).toEqual([serverId]);

    expect((await admin(2013, { serverId })).status).toBe(200);
    expect((await admin(2013, { serverId })).status).toBe(404);
    expect((await admin(2012, { serverId, enabled: true })).status).toBe(404);
  });

  it("answers 409 for a duplicate serverId and leaves the first one intact", async () => {
    const serverId = `dup-${crypto.randomUUID().slice(0, 8)}`;
    expect((await admin(2010, server(serverId))).status).toBe(200);
    const duplicate = await admin(2010, { ...server(serverId), url: "https://other.example.com/mcp" });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error?.code).toBe(40901);
    const listed = await admin<{ servers: { url: string }[] }>(2011, { serverId });
    expect(listed.body.data!.servers[0]!.url).toBe("https://mcp.example.com/mcp");
  });
});

describe("health and routing", () => {
  it("reports the version and a database that answers", async () => {
    const response = await request("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", version: expect.any(String), database: { ok: true } });
  });

  it("answers an unknown route with the error envelope", async () => {
    const response = await request("/nowhere");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ success: false, error: { code: 40401 } });
  });
});
