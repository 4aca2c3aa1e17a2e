import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../worker/app.ts";
import type { AppEnv } from "../../worker/env.ts";
import { insertChain, uniqueId } from "./audit-support.ts";

/** The same Worker, deployed without Hyperdrive: DATABASE_URL reaches Postgres through Neon's driver. */
function neonEnv(): AppEnv {
  return { ...env, HYPERDRIVE: undefined, DATABASE_URL: env.TEST_DIRECT_DATABASE_URL, NEON_WS_PROXY: env.TEST_NEON_WS_PROXY };
}

async function fetchWith(appEnv: AppEnv, path: string, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`http://gateway.test${path}`, init), appEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const createUserRequest = (name: string): RequestInit => ({
  method: "POST",
  headers: { authorization: `Bearer ${env.OWNER_KEY}` },
  body: JSON.stringify({ action: 1010, data: { name } }),
});

describe("database drivers", () => {
  it("reaches Postgres through Neon's serverless driver when there is no Hyperdrive", async () => {
    const health = await fetchWith(neonEnv(), "/health");
    expect(await health.json()).toMatchObject({ status: "ok", database: { ok: true } });
  });

  it("writes through one driver what the other reads, transactions included", async () => {
    const name = `neon-${crypto.randomUUID()}`;
    const created = await fetchWith(neonEnv(), "/admin", createUserRequest(name));
    expect(created.status).toBe(200);
    const { data } = (await created.json()) as { data: { userId: string; apiKey: string } };

    const viaHyperdrive = await fetchWith(env, "/admin", {
      method: "POST",
      headers: { authorization: `Bearer ${env.OWNER_KEY}` },
      body: JSON.stringify({ action: 1011, data: { userId: data.userId } }),
    });
    expect(((await viaHyperdrive.json()) as { data: { users: { name: string }[] } }).data.users[0]?.name).toBe(name);

    // The key written in the same transaction through Neon authenticates through Hyperdrive.
    const token = await fetchWith(env, "/auth/token", { method: "POST", headers: { authorization: `Bearer ${data.apiKey}` } });
    expect(token.status).toBe(200);
  });

  it("reads a jsonb string that looks like JSON back as the string through either driver", async () => {
    const chainId = uniqueId("drivers");
    await insertChain(chainId, [{ arguments: '{"a":1}' }, { arguments: "123" }, { arguments: "null" }]);
    const verify: RequestInit = { method: "POST", headers: { authorization: `Bearer ${env.OWNER_KEY}` }, body: JSON.stringify({ action: 7004, data: { sessionId: chainId } }) };
    for (const appEnv of [env, neonEnv()]) {
      const reply = (await (await fetchWith(appEnv, "/admin", verify)).json()) as { data: { ok: boolean; checked: number } };
      expect(reply.data).toMatchObject({ ok: true, checked: 3 });
    }
  });

  it("reports a missing database as degraded health and a clean 500, never a stack", async () => {
    const bare: AppEnv = { ...env, HYPERDRIVE: undefined, DATABASE_URL: undefined };
    const health = await fetchWith(bare, "/health");
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "degraded", database: { ok: false } });

    const action = await fetchWith(bare, "/admin", createUserRequest("x"));
    expect(action.status).toBe(500);
    const text = await action.text();
    expect(JSON.parse(text)).toMatchObject({ success: false, error: { code: 50001 } });
    expect(text).not.toMatch(/\bat\s+\S+\.(ts|js):\d+/);
  });
});
