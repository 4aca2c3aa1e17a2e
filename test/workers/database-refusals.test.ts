// An outage is never a 500: whatever way the database refuses a connection (no connections allowed, no
// such database, no such role, a wrong password, a pooler's own error, nothing listening), a request that
// needs it is answered "unavailable" (503, Retry-After, -32012 on /mcp, 50301 on /admin and /auth).
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { app } from "../../worker/app.ts";
import { issueApiKey } from "../../worker/auth/api-key.ts";
import type { AppEnv } from "../../worker/env.ts";
import { JSONRPC_ERRORS } from "../../worker/mcp/protocol.ts";
import { sql } from "./gateway.ts";

const scratch = `peta_refusing_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
const postgresKind = inject("databaseKind") === "postgres";

beforeAll(async () => {
  if (!postgresKind) return;
  await sql(`create database ${scratch}`);
  await sql(`alter database ${scratch} allow_connections false`);
});

afterAll(async () => {
  if (postgresKind) await sql(`drop database if exists ${scratch}`);
});

function directUrl(change: (url: URL) => void): string {
  const url = new URL(env.TEST_DIRECT_DATABASE_URL);
  change(url);
  return url.toString();
}

function refusingUrl(sqlstate: string): string {
  return `postgres://postgres:wrong-password@${inject("refusingDatabase")}/${sqlstate}`;
}

const viaHyperdrive = (connectionString: string): AppEnv => ({ ...env, HYPERDRIVE: { ...env.HYPERDRIVE, connectionString } as Hyperdrive });

const refusals: { way: string; env: () => AppEnv; postgresOnly?: boolean }[] = [
  { way: "connections not allowed (55000)", env: () => viaHyperdrive(directUrl((url) => (url.pathname = `/${scratch}`))), postgresOnly: true },
  {
    way: "connections not allowed, through Neon's driver (55000)",
    env: () => ({ ...env, HYPERDRIVE: undefined, DATABASE_URL: directUrl((url) => (url.pathname = `/${scratch}`)), NEON_WS_PROXY: env.TEST_NEON_WS_PROXY }),
    postgresOnly: true,
  },
  { way: "no such database (3D000)", env: () => viaHyperdrive(directUrl((url) => (url.pathname = `/${scratch}_missing`))), postgresOnly: true },
  { way: "no such role (28000)", env: () => viaHyperdrive(directUrl((url) => (url.username = "no_such_role"))), postgresOnly: true },
  { way: "wrong password (28P01)", env: () => viaHyperdrive(refusingUrl("28P01")) },
  { way: "the pooler's own error (XX000)", env: () => viaHyperdrive(refusingUrl("XX000")) },
  { way: "nothing listening", env: () => viaHyperdrive(directUrl((url) => (url.port = "1"))) },
];

async function fetchWith(appEnv: AppEnv, path: string, init: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`http://gateway.test${path}`, init), appEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

function initialize(credential: string): RequestInit {
  return {
    method: "POST",
    headers: { authorization: `Bearer ${credential}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "refusals", version: "1" } } }),
  };
}

async function expectUnavailable(appEnv: AppEnv): Promise<void> {
  const { apiKey } = await issueApiKey();
  const opened = await fetchWith(appEnv, "/mcp", initialize(apiKey));
  expect(opened.status).toBe(503);
  expect(opened.headers.get("retry-after")).toBe("5");
  expect(((await opened.json()) as { error: { code: number } }).error.code).toBe(JSONRPC_ERRORS.SERVICE_UNAVAILABLE);

  const action = await fetchWith(appEnv, "/admin", { method: "POST", headers: { authorization: `Bearer ${env.OWNER_KEY}` }, body: JSON.stringify({ action: 1011, data: {} }) });
  expect(action.status).toBe(503);
  expect(action.headers.get("retry-after")).toBe("5");
  expect(await action.json()).toMatchObject({ success: false, error: { code: 50301 } });

  const token = await fetchWith(appEnv, "/auth/token", { method: "POST", headers: { authorization: `Bearer ${apiKey}` } });
  expect(token.status).toBe(503);
  expect(token.headers.get("retry-after")).toBe("5");
}

describe("a database that refuses connections", () => {
  // First in the file: this isolate has not read the IP allow-list yet, so the request fails there.
  it("answers \"unavailable\" before the IP allow-list was ever read", async () => {
    await expectUnavailable(viaHyperdrive(directUrl((url) => (url.port = "1"))));
  });

  describe("once the IP allow-list is cached (the request fails at authentication)", () => {
    beforeAll(async () => {
      expect((await fetchWith(env, "/admin", { method: "POST", headers: { authorization: `Bearer ${env.OWNER_KEY}` }, body: JSON.stringify({ action: 1011, data: {} }) })).status).toBe(200);
    });

    for (const refusal of refusals) {
      it.skipIf(refusal.postgresOnly && !postgresKind)(`answers "unavailable", never 500: ${refusal.way}`, async () => {
        await expectUnavailable(refusal.env());
      });
    }
  });
});
