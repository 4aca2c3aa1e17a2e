import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { app } from "../../worker/app.ts";
import { openDatabase } from "../../worker/db/client.ts";
import { loadKeyRing } from "../../worker/vault/keyring.ts";
import { sealedValuesFor } from "../../worker/vault/records.ts";
import { admin, callAction, createUser, ORIGIN, sql } from "./gateway.ts";
import { connectClient, listAll, registerServer, textOf } from "./mcp-client.ts";

const CANARY = `canary-server-${crypto.randomUUID()}`;
const CANARY_ALICE = `canary-alice-${crypto.randomUUID()}`;
const CANARY_BOB = `canary-bob-${crypto.randomUUID()}`;
const CANARIES = [CANARY, CANARY_ALICE, CANARY_BOB];

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function encodings(value: string): string[] {
  return [value, btoa(value), encodeURIComponent(value)];
}

function expectNoCanary(text: string, where: string): void {
  for (const canary of CANARIES) for (const form of encodings(canary)) expect(text, where).not.toContain(form);
}

interface WhoAmI {
  headers: Record<string, string>;
  digests: Record<string, string>;
}

/** The same Worker with another VAULT_KEYS, for the Worker-side admin actions of a key rotation. */
async function adminWithKeys(vaultKeys: string, action: number, data: unknown) {
  const ctx = createExecutionContext();
  const response = await app.fetch(
    new Request(`${ORIGIN}/admin`, { method: "POST", headers: { authorization: `Bearer ${env.OWNER_KEY}` }, body: JSON.stringify({ action, data }) }),
    { ...env, VAULT_KEYS: vaultKeys },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: (await response.json()) as { success: boolean; data: Record<string, unknown>; error?: { message: string } } };
}

describe("the vault", () => {
  const logged: string[] = [];
  let bearer: string;
  let personal: string;
  let alice: { userId: string; apiKey: string };
  let bob: { userId: string; apiKey: string };

  beforeAll(async () => {
    // Everything the Worker and the session objects print passes through here.
    for (const method of ["log", "warn", "error", "info", "debug"] as const) {
      const original = console[method].bind(console);
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(" "));
        original(...args);
      });
    }
    bearer = await registerServer("alpha", { headers: { Authorization: "Bearer {{secret:API_TOKEN}}", "X-Plain": "visible" } });
    expect((await admin(2101, { serverId: bearer, name: "API_TOKEN", value: CANARY })).status).toBe(200);

    personal = await registerServer("beta", {
      headers: { "X-Personal-Key": "{{user:PERSONAL_KEY}}" },
      userInputs: [{ name: "PERSONAL_KEY", description: "Your key for beta", required: true }],
    });
    alice = await createUser();
    bob = await createUser();
  });

  afterAll(() => {
    vi.restoreAllMocks();
  });

  it("injects a server secret into the downstream request and redacts it from what the client sees", async () => {
    const { client } = await connectClient({ path: `/mcp/${bearer}` });
    const reply = textOf(await client.callTool({ name: "whoami" }));
    const seen = JSON.parse(reply) as WhoAmI;
    expect(seen.headers.authorization).toBe("Bearer [REDACTED:API_TOKEN]");
    expect(seen.digests.authorization).toBe(await sha256(`Bearer ${CANARY}`));
    expect(seen.headers["x-plain"]).toBe("visible");
    expectNoCanary(reply, "tool result");

    // The echo tool returns what it is given: an echoed secret, plain or encoded, is redacted too.
    for (const form of encodings(CANARY)) {
      expect(textOf(await client.callTool({ name: "echo", arguments: { text: `leak ${form}` } }))).toBe("alpha: leak [REDACTED:API_TOKEN]");
    }
    await client.close();
  });

  it("applies a changed secret at once in a new session, and within MCP_SERVER_RECHECK_SECONDS in an open one", async () => {
    const rotating = await registerServer("alpha", { headers: { Authorization: "Bearer {{secret:ROTATING}}" } });
    const values = [`first-${CANARY}`, `second-${CANARY}`];
    expect((await admin(2101, { serverId: rotating, name: "ROTATING", value: values[0] })).status).toBe(200);
    const { client } = await connectClient({ path: `/mcp/${rotating}` });
    const authorizationSeen = async (by: Client) => (JSON.parse(textOf(await by.callTool({ name: "whoami" }))) as WhoAmI).digests.authorization;
    try {
      for (const value of values) {
        expect((await admin(2101, { serverId: rotating, name: "ROTATING", value })).status).toBe(200);
        const expected = await sha256(`Bearer ${value}`);
        const fresh = await connectClient({ path: `/mcp/${rotating}` });
        expect(await authorizationSeen(fresh.client)).toBe(expected);
        await fresh.client.close();
        await expect.poll(() => authorizationSeen(client), { timeout: 10_000, interval: 250 }).toBe(expected);
      }
    } finally {
      await client.close();
      await admin(2013, { serverId: rotating });
    }
  });

  it("uses each user's own value for their own calls only", async () => {
    expect((await callAction("/user", 2001, { serverId: personal, values: { PERSONAL_KEY: CANARY_ALICE } }, alice.apiKey)).status).toBe(200);
    expect((await callAction("/user", 2001, { serverId: personal, values: { PERSONAL_KEY: CANARY_BOB } }, bob.apiKey)).status).toBe(200);
    for (const [user, value] of [
      [alice, CANARY_ALICE],
      [bob, CANARY_BOB],
    ] as const) {
      const { client } = await connectClient({ credential: user.apiKey });
      const reply = textOf(await client.callTool({ name: `${personal}__whoami` }));
      const seen = JSON.parse(reply) as WhoAmI;
      expect(seen.digests["x-personal-key"]).toBe(await sha256(value));
      expect(seen.headers["x-personal-key"]).toBe("[REDACTED:PERSONAL_KEY]");
      expectNoCanary(reply, "tool result");
      await client.close();
    }
  });

  it("keeps the catalog of a server reached with personal values per user, and drops it when they change", async () => {
    const accountTool = async (user: { apiKey: string }) => {
      const { client } = await connectClient({ credential: user.apiKey });
      const tools = await listAll(client, "tools");
      await client.close();
      const tool = tools.find((t) => t.name === `${personal}__my_account`);
      expectNoCanary(JSON.stringify(tools), "tools/list");
      return tool?.description;
    };
    for (const [user, value] of [
      [alice, CANARY_ALICE],
      [bob, CANARY_BOB],
    ] as const) {
      expect((await callAction("/user", 2001, { serverId: personal, values: { PERSONAL_KEY: value } }, user.apiKey)).status).toBe(200);
    }
    expect(await accountTool(alice)).toBe(`The account of key ${await sha256(CANARY_ALICE)}`);
    // Bob's list is fetched with Bob's value, not served from the copy cached for Alice.
    expect(await accountTool(bob)).toBe(`The account of key ${await sha256(CANARY_BOB)}`);

    const changed = `${CANARY_ALICE}-changed`;
    expect((await callAction("/user", 2001, { serverId: personal, values: { PERSONAL_KEY: changed } }, alice.apiKey)).status).toBe(200);
    expect(await accountTool(alice)).toBe(`The account of key ${await sha256(changed)}`);
    expect(await accountTool(bob)).toBe(`The account of key ${await sha256(CANARY_BOB)}`);
    expect((await callAction("/user", 2001, { serverId: personal, values: { PERSONAL_KEY: CANARY_ALICE } }, alice.apiKey)).status).toBe(200);

    const views = await sql<{ user_id: string | null }>("SELECT user_id FROM server_catalogs WHERE server_id = $1 ORDER BY user_id", [personal]);
    expect(views.map((row) => row.user_id)).toEqual([bob.userId]);
  });

  it("tells a user who has not configured a required value which server needs what, and how", async () => {
    const carol = await createUser();
    const { client } = await connectClient({ credential: carol.apiKey });
    const result = await client.callTool({ name: `${personal}__echo`, arguments: { text: "hi" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`Server "${personal}" needs your personal value PERSONAL_KEY`);
    expect(textOf(result)).toContain('"action":2001');

    const mine = await callAction<{ servers: { serverId: string; configured: boolean; userInputs: { name: string; configured: boolean }[] }[] }>(
      "/user",
      2003,
      {},
      carol.apiKey,
    );
    expect(mine.body.data!.servers.find((s) => s.serverId === personal)).toMatchObject({
      configured: false,
      userInputs: [{ name: "PERSONAL_KEY", configured: false, required: true }],
    });
    await client.close();
  });

  it("validates self-service input and refuses the owner key, which has no user", async () => {
    const unknown = await callAction("/user", 2001, { serverId: personal, values: { OTHER: "x" } }, alice.apiKey);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.message).toContain("PERSONAL_KEY");
    expect((await callAction("/user", 2003, {}, env.OWNER_KEY)).status).toBe(403);
    expect((await callAction("/user", 2001, { serverId: "ghost-server", values: { A: "b" } }, alice.apiKey)).status).toBe(404);
  });

  it("shows placeholders and names in every listing, never values", async () => {
    const servers = await admin(2011, { serverId: bearer });
    expect(JSON.stringify(servers.body)).toContain("{{secret:API_TOKEN}}");
    const secrets = await admin<{ secrets: { name: string; updatedAt: string }[] }>(2103, { serverId: bearer });
    expect(secrets.body.data!.secrets).toEqual([{ name: "API_TOKEN", updatedAt: expect.any(String) }]);
    const mine = await callAction("/user", 2003, {}, alice.apiKey);
    for (const reply of [servers, secrets, mine]) expectNoCanary(JSON.stringify(reply.body), "listing");
  });

  it("stores no canary in any table, and prints none in any log line", async () => {
    const tables = await sql<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
    );
    for (const { table_name } of tables) {
      const rows = await sql<{ row: string }>(`select t::text as row from "${table_name}" t`);
      for (const { row } of rows) expectNoCanary(row, `table ${table_name}`);
    }
    const [config] = await sql<{ config: string; url: string | null }>("select config, url from servers where server_id = $1", [bearer]);
    expect(config!.config).toMatch(/^pv1\./);
    expect(config!.url).toBeNull();

    // The capture is real: the session objects' own log lines are in it.
    expect(logged.some((line) => line.includes('"event":"session.open"'))).toBe(true);
    for (const line of logged) expectNoCanary(line, "log line");
  });

  it("fails closed on a ciphertext moved to another row, or tampered with", async () => {
    const victim = await registerServer("alpha", { headers: { Authorization: "Bearer {{secret:A}}", "X-Other": "{{secret:B}}" } });
    try {
      await expectFailsClosed(victim);
    } finally {
      await admin(2013, { serverId: victim });
    }
  });

  async function expectFailsClosed(victim: string): Promise<void> {
    await admin(2101, { serverId: victim, name: "A", value: "value-of-a-1234" });
    await admin(2101, { serverId: victim, name: "B", value: "value-of-b-5678" });
    await sql(
      `update vault_records set ciphertext = case name when 'A' then (select ciphertext from vault_records where server_id = $1 and name = 'B')
                                                     else (select ciphertext from vault_records where server_id = $1 and name = 'A') end
       where server_id = $1`,
      [victim],
    );
    const { client } = await connectClient();
    const swapped = await client.callTool({ name: `${victim}__echo`, arguments: { text: "x" } }).catch((error: unknown) => error);
    expect(swapped).toMatchObject({ code: -32603, message: expect.stringContaining("cannot decrypt server-secret") });
    expect(String((swapped as Error).message)).not.toContain("value-of-");

    // Flip one character of the ciphertext to another one (never to itself).
    await sql(
      `update servers set config = overlay(config placing (case substr(config, length(config) - 5, 1) when 'A' then 'B' else 'A' end)
                                           from length(config) - 5 for 1) where server_id = $1`,
      [victim],
    );
    const tampered = await admin(2011, { serverId: victim });
    expect(tampered.status).toBe(500);
    expect(tampered.body.error?.message).toContain("cannot decrypt server-config");
    await client.close();
  }

  it("rotates every record to the newest key, after which the old key can leave the ring", async () => {
    const [active, next] = inject("vaultKeys") as [{ id: string; key: string }, { id: string; key: string }];
    const rotated = JSON.stringify([next, active]);
    const rotationRecords = async () =>
      (await sql<{ n: number }>("SELECT count(*)::int AS n FROM audit_records WHERE method = 'admin/ROTATE_VAULT_KEY'"))[0]!.n;
    const recordsBefore = await rotationRecords();
    let progress = await adminWithKeys(rotated, 2104, { batchSize: 2 });
    // Each batch commits on its own with its own audit record, and the batch that finds nothing ends the call.
    const reencrypted = progress.body.data.reencrypted as number;
    expect(reencrypted).toBeGreaterThan(2);
    expect((await rotationRecords()) - recordsBefore).toBeGreaterThanOrEqual(Math.ceil(reencrypted / 2) + 1);
    for (let round = 0; progress.body.data.remaining !== 0 && round < 20; round++) progress = await adminWithKeys(rotated, 2104, { batchSize: 2 });
    expect(progress.status).toBe(200);
    expect(progress.body.data).toMatchObject({ activeKeyId: next.id, remaining: 0 });

    // With only the new key: configurations and secrets still open.
    const onlyNext = JSON.stringify([next]);
    const listed = await adminWithKeys(onlyNext, 2011, { serverId: bearer });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain("{{secret:API_TOKEN}}");
    const handle = openDatabase(env);
    try {
      const values = await (await sealedValuesFor(handle.db, await loadKeyRing(onlyNext), bearer, null)).open();
      expect(values.secret.get("API_TOKEN")).toBe(CANARY);
    } finally {
      await handle.close();
    }
    // With only the old key, nothing opens: the rotation really re-encrypted.
    expect((await adminWithKeys(JSON.stringify([active]), 2011, { serverId: bearer })).status).toBe(500);

    // A second rotation with nothing to do is a no-op; then everything goes back under the active key.
    expect((await adminWithKeys(rotated, 2104, {})).body.data).toMatchObject({ reencrypted: 0, remaining: 0 });
    let back = await adminWithKeys(JSON.stringify([active, next]), 2104, {});
    for (let round = 0; back.body.data.remaining !== 0 && round < 20; round++) back = await adminWithKeys(JSON.stringify([active, next]), 2104, {});
    expect(back.body.data.remaining).toBe(0);
  });

  it("refuses a malformed key ring with a message that names no key", async () => {
    const [active] = inject("vaultKeys");
    for (const ring of ["not json", "[]", JSON.stringify([{ id: "x", key: active!.key.slice(0, 20) }])]) {
      const reply = await adminWithKeys(ring, 2011, {});
      expect(reply.status, ring).toBe(500);
      expect(reply.body.error?.message).toContain("VAULT_KEYS is misconfigured");
      expect(reply.body.error?.message).not.toContain(active!.key.slice(0, 20));
    }
    // A rotation that fails before its first batch is still an audited attempt.
    const failedRotations = async () =>
      (await sql<{ n: number }>("SELECT count(*)::int AS n FROM audit_records WHERE method = 'admin/ROTATE_VAULT_KEY' AND outcome = 'error'"))[0]!.n;
    const before = await failedRotations();
    expect((await adminWithKeys("not json", 2104, {})).status).toBe(500);
    expect(await failedRotations()).toBe(before + 1);
  });
});
