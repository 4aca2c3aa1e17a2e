// Helpers for driving the Worker in workerd exactly as a client would: over fetch, with real credentials.
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import pg from "pg";

export const ORIGIN = "http://gateway.test";

export function request(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, init));
}

export interface ActionReply<T> {
  status: number;
  body: { success: boolean; data?: T; error?: { code: number; message: string } };
}

export async function callAction<T = Record<string, unknown>>(
  path: "/admin" | "/user",
  action: number,
  data: unknown,
  credential: string = env.OWNER_KEY,
): Promise<ActionReply<T>> {
  const response = await request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
    body: JSON.stringify({ action, data }),
  });
  return { status: response.status, body: await response.json() };
}

export function admin<T = Record<string, unknown>>(action: number, data: unknown, credential?: string): Promise<ActionReply<T>> {
  return callAction<T>("/admin", action, data, credential);
}

export interface CreatedUser {
  userId: string;
  apiKey: string;
  user: { role: string; status: string; email: string | null };
}

export async function createUser(data: Record<string, unknown> = {}, credential?: string) {
  const reply = await admin<CreatedUser>(1010, { name: `user-${crypto.randomUUID().slice(0, 8)}`, ...data }, credential);
  expect(reply.body.error).toBeUndefined();
  return reply.body.data as CreatedUser;
}

export async function exchangeForToken(apiKey: string): Promise<Response> {
  return request("/auth/token", { method: "POST", headers: { authorization: `Bearer ${apiKey}` } });
}

export async function accessTokenFor(apiKey: string): Promise<string> {
  const response = await exchangeForToken(apiKey);
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Opens an MCP session: 200 means the credential was accepted, 401 that it was not. */
export async function mcpStatus(credential?: string): Promise<Response> {
  return request("/mcp", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "auth-test", version: "1" } },
    }),
  });
}

/** A direct SQL connection to the test database, for checks a client cannot make (scans, tampering). */
export async function sql<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: env.HYPERDRIVE.connectionString });
  client.on("error", () => {}); // pg-cloudflare reports its own socket closing after end()
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Deletes the servers this file registered (by their id prefix): an enabled server nobody can reach
 * would make every other file's aggregated sessions wait for its connect timeout on each list.
 */
export async function deleteServersStartingWith(...prefixes: string[]): Promise<void> {
  const listed = await admin<{ servers: { serverId: string }[] }>(2011, {});
  for (const { serverId } of listed.body.data?.servers ?? []) {
    if (prefixes.some((prefix) => serverId.startsWith(prefix))) await admin(2013, { serverId });
  }
}
