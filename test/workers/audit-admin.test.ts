import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { runAudited } from "../../worker/audit/mutation.ts";
import { openDatabase } from "../../worker/db/client.ts";
import { users } from "../../worker/db/schema.ts";
import { admin, callAction, createUser, deleteServersStartingWith, request, sql } from "./gateway.ts";
import { uniqueId } from "./audit-support.ts";

afterAll(() => deleteServersStartingWith("aud-", "lit-"));

interface AuditRow {
  id: string;
  chain_id: string;
  seq: number;
  user_id: string | null;
  role: string | null;
  ip: string | null;
  server_id: string | null;
  method: string;
  name: string | null;
  arguments: Record<string, unknown> | null;
  decision: string;
  decision_reason: string | null;
  outcome: string;
  error_code: number | null;
  error_message: string | null;
  response_bytes: number;
}

function recordsOf(where: string, values: unknown[]): Promise<AuditRow[]> {
  return sql<AuditRow>(`select * from audit_records where ${where} order by seq`, values);
}

async function createServer(serverId: string, extra: Record<string, unknown> = {}) {
  const reply = await admin(2010, { serverId, transport: "streamable-http", url: "http://127.0.0.1:1/mcp", ...extra });
  expect(reply.body.error).toBeUndefined();
}

describe("auditing admin and self-service changes", () => {
  it("records a change once, in the admin chain, with the secret value masked and the caller's IP", async () => {
    const serverId = uniqueId("aud");
    const canary = `canary-audit-${crypto.randomUUID()}`;
    await createServer(serverId);
    const response = await request("/admin", {
      method: "POST",
      headers: { authorization: `Bearer ${env.OWNER_KEY}`, "content-type": "application/json", "cf-connecting-ip": "203.0.113.7" },
      body: JSON.stringify({ action: 2101, data: { serverId, name: "API_TOKEN", value: canary } }),
    });
    expect(response.status).toBe(200);
    const body = await response.text();

    const rows = await recordsOf("server_id = $1 and name = 'SET_SERVER_SECRET'", [serverId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      chain_id: "admin",
      user_id: null,
      role: "owner",
      ip: "203.0.113.7",
      method: "admin/SET_SERVER_SECRET",
      decision: "allow",
      outcome: "ok",
      arguments: { serverId, name: "API_TOKEN", value: "[MASKED]" },
      response_bytes: new TextEncoder().encode(JSON.stringify(JSON.parse(body).data)).length,
    });
    const created = await recordsOf("server_id = $1 and name = 'CREATE_SERVER'", [serverId]);
    expect(created.map((r) => r.method)).toEqual(["admin/CREATE_SERVER"]);

    // Not in any column, in any encoding.
    for (const form of [canary, btoa(canary), encodeURIComponent(canary)]) {
      expect(await sql("select id from audit_records r where r::text like $1", [`%${form}%`])).toEqual([]);
    }
  });

  it("keeps literal credentials in a server's URL and headers out of the record, placeholders in", async () => {
    const serverId = uniqueId("lit");
    const canary = `canary-literal-${crypto.randomUUID()}`;
    await createServer(serverId, { url: `https://user:${canary}@api.example.com/mcp?key=${canary}`, headers: { "X-Api-Key": canary, "X-Team": "Bearer {{secret:T}}" } });
    expect((await admin(2012, { serverId, headers: { "X-Api-Key": canary } })).status).toBe(200);
    const rows = await recordsOf("server_id = $1", [serverId]);
    expect(rows.map((r) => r.method)).toEqual(["admin/CREATE_SERVER", "admin/UPDATE_SERVER"]);
    expect(rows[0]?.arguments).toMatchObject({
      url: "https://[MASKED]@api.example.com/mcp?key=[MASKED]",
      headers: { "X-Api-Key": "[MASKED]", "X-Team": "Bearer {{secret:T}}" },
    });
    expect(await sql("select id from audit_records r where r::text like $1", [`%${canary}%`])).toEqual([]);
  });

  it("records a user's own change under user/ with their identity, values masked", async () => {
    const serverId = uniqueId("aud");
    const canary = `canary-user-${crypto.randomUUID()}`;
    await createServer(serverId, { headers: { "X-Key": "{{user:KEY}}" }, userInputs: [{ name: "KEY" }] });
    const alice = await createUser();
    const reply = await callAction("/user", 2001, { serverId, values: { KEY: canary } }, alice.apiKey);
    expect(reply.body.error).toBeUndefined();

    const rows = await recordsOf("server_id = $1 and method like 'user/%'", [serverId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      chain_id: "admin",
      user_id: alice.userId,
      role: "user",
      method: "user/CONFIGURE_SERVER",
      name: "CONFIGURE_SERVER",
      arguments: { serverId, values: "[MASKED]" },
      outcome: "ok",
    });
    expect(await sql("select id from audit_records r where r::text like $1", [`%${canary}%`])).toEqual([]);
  });

  it("does not record reads", async () => {
    expect((await admin(1011, {})).status).toBe(200);
    expect(await sql("select id from audit_records where name in ('GET_USERS', 'GET_SERVERS', 'LIST_SERVER_SECRETS', 'GET_LOGS')")).toEqual([]);
  });

  it("records a failed change as an error and changes nothing", async () => {
    const serverId = uniqueId("aud");
    await createServer(serverId);
    const reply = await admin(2102, { serverId, name: "NOT_THERE" });
    expect(reply.status).toBe(404);
    const rows = await recordsOf("server_id = $1 and name = 'DELETE_SERVER_SECRET'", [serverId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: "error", error_code: 40401, decision: "allow", response_bytes: 0 });
    expect(rows[0]!.error_message).toContain("NOT_THERE");
  });

  it("records a refused change as denied", async () => {
    const administrator = await createUser({ role: "admin" });
    const name = uniqueId("would-be-owner");
    const reply = await admin(1010, { name, role: "owner" }, administrator.apiKey);
    expect(reply.status).toBe(403);
    const rows = await recordsOf("user_id = $1 and name = 'CREATE_USER'", [administrator.userId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ role: "admin", decision: "deny", outcome: "error", error_code: 40301 });
    expect(rows[0]!.decision_reason).toContain("owner");
    expect(await sql("select id from users where name = $1", [name])).toEqual([]);
  });

  it("rolls a change back when its audit record cannot be written, and a record back when the change fails", async () => {
    const handle = openDatabase(env);
    try {
      const context = { method: "admin/TEST", name: uniqueId("TEST"), serverId: null, principal: { via: "owner-key", role: "owner", userId: null } as const, ip: null };
      // A trigger refuses this test's records, so the audit insert fails after the change was made in the
      // transaction. (Records are sealed storable, so no input of ours makes Postgres refuse one any more.)
      const refusing = uniqueId("refusing").replaceAll("-", "_");
      await sql(`create function ${refusing}() returns trigger language plpgsql as $$ begin raise exception 'audit_records refuses this row'; end $$`);
      await sql(`create trigger ${refusing} before insert on audit_records for each row when (new.name = '${context.name}') execute function ${refusing}()`);
      const unwritable = uniqueId("unwritable");
      try {
        const failing = runAudited(handle.db, { ...context, arguments: {} }, (tx) => tx.insert(users).values({ id: crypto.randomUUID(), name: unwritable }));
        await expect(failing).rejects.toThrow(/audit_records/);
      } finally {
        await sql(`drop trigger ${refusing} on audit_records`);
        await sql(`drop function ${refusing}()`);
      }
      expect(await sql("select id from users where name = $1", [unwritable])).toEqual([]);
      expect(await sql("select id from audit_records where name = $1", [context.name])).toEqual([]);

      const thrown = uniqueId("thrown");
      const throwing = runAudited(handle.db, { ...context, arguments: {} }, async (tx) => {
        await tx.insert(users).values({ id: crypto.randomUUID(), name: thrown });
        throw new Error("boom after the change");
      });
      await expect(throwing).rejects.toThrow("boom");
      expect(await sql("select id from users where name = $1", [thrown])).toEqual([]);
      // Only the separate failure record remains, with the unexpected error's details withheld.
      const rows = await recordsOf("name = $1", [context.name]);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ outcome: "error", error_code: 50001, error_message: "Internal error" });
    } finally {
      await handle.close();
    }
  });

  it("keeps the admin chain verifiable while changes arrive concurrently", async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const names = Array.from({ length: 8 }, () => uniqueId("concurrent"));
    await Promise.all(names.map((name) => createUser({ name })));
    const mine = await sql<{ seq: number }>("select seq from audit_records where chain_id = 'admin' and name = 'CREATE_USER' and arguments->>'name' = any($1)", [names]);
    expect(new Set(mine.map((r) => r.seq)).size).toBe(8);
    const verified = await admin<{ ok: boolean; checked: number }>(7004, { sessionId: "admin", since });
    expect(verified.body.data).toMatchObject({ ok: true });
    expect(verified.body.data!.checked).toBeGreaterThanOrEqual(8);
  });
});
