// One user cannot slow the others down (issue 21): a body over MCP_MAX_BODY_BYTES is refused before it is
// read, and a user over RATE_LIMIT_BYTES_PER_MINUTE is refused with Retry-After while others go on. The
// test config sets both low (vitest.config.mts): 256 KiB per body, 1 MiB per user per minute.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, deleteServersStartingWith } from "./gateway.ts";
import { connectStateless, statelessRequest } from "./mcp-2026-client.ts";
import { connectClient, echoCalls, registerServer, textOf } from "./mcp-client.ts";
import { mcp, openSession } from "./raw-mcp.ts";

const MAX_BODY_BYTES = 262_144;

let serverId: string;
let owner: Client;

beforeAll(async () => {
  serverId = await registerServer("alpha");
  owner = (await connectClient()).client;
});

afterAll(async () => {
  await owner.close();
  await deleteServersStartingWith("alpha-");
});

function echo(sessionId: string, credential: string, text: string, id = 1) {
  return mcp({ sessionId, credential, body: { jsonrpc: "2.0", id, method: "tools/call", params: { name: `${serverId}__echo`, arguments: { text } } } });
}

describe("per-user fairness on /mcp", () => {
  it("refuses a body over MCP_MAX_BODY_BYTES with 413 and -32013, and the downstream never sees it", async () => {
    const user = await createUser();
    const sessionId = await openSession({ credential: user.apiKey });
    const before = await echoCalls(owner, serverId);

    const response = await echo(sessionId, user.apiKey, "x".repeat(MAX_BODY_BYTES));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32013, message: expect.stringContaining("MCP_MAX_BODY_BYTES") } });
    expect(await echoCalls(owner, serverId)).toBe(before);

    // The same call within the limit goes through: the session is unharmed.
    const small = await echo(sessionId, user.apiKey, "small", 2);
    expect(small.status).toBe(200);
    expect(await small.text()).toContain("small");
    expect(await echoCalls(owner, serverId)).toBe(before + 1);
  });

  it("answers a user over RATE_LIMIT_BYTES_PER_MINUTE with 429 and Retry-After, while another user's calls go on", async () => {
    const [flooder, other] = [await createUser(), await createUser()];
    const floodSession = await openSession({ credential: flooder.apiKey });
    const before = await echoCalls(owner, serverId);

    // 200 KB bodies: the fifth still fits in 1 MiB, the sixth cannot.
    const payload = "x".repeat(200_000);
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 8 && !refused; i++) {
      const response = await echo(floodSession, flooder.apiKey, payload, i);
      statuses.push(response.status);
      // Read to the end: the answer arrives on an SSE stream once the downstream has echoed.
      if (response.status === 429) refused = response;
      else await response.text();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(Number(refused!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused!.json()).toMatchObject({
      id: null,
      error: { code: -32029, message: expect.stringContaining("RATE_LIMIT_BYTES_PER_MINUTE"), data: { retryAfterMs: expect.any(Number) } },
    });
    expect(await echoCalls(owner, serverId)).toBe(before + 5);

    // The budget is the user's, not the session's: a small call, or a new session, is refused as well.
    const small = await echo(floodSession, flooder.apiKey, "small", 10);
    expect(small.status).toBe(429);
    expect(Number(small.headers.get("retry-after"))).toBeGreaterThan(0);
    await small.body?.cancel();
    const opening = await mcp({ credential: flooder.apiKey, body: { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } } });
    expect(opening.status).toBe(429);
    await opening.body?.cancel();
    expect(await echoCalls(owner, serverId)).toBe(before + 5);

    // The other user is untouched, through the SDK client as any agent calls.
    const { client } = await connectClient({ credential: other.apiKey });
    const result = await client.callTool({ name: `${serverId}__echo`, arguments: { text: "still here" } });
    expect(textOf(result)).toContain("still here");
    await client.close();
  });

  it("counts 2026-07-28 stateless requests against the same budget", async () => {
    const [flooder, other] = [await createUser(), await createUser()];
    const call = (text: string, id: number) => statelessRequest("/mcp", { id, method: "tools/call", params: { name: `${serverId}__echo`, arguments: { text } } }, { credential: flooder.apiKey });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await call("x".repeat(200_000), i);
      statuses.push(response.status);
      if (response.status === 429) {
        expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(await response.json()).toMatchObject({ error: { code: -32029, data: { retryAfterMs: expect.any(Number) } } });
      } else await response.text();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);

    const client = await connectStateless({ credential: other.apiKey });
    expect(textOf(await client.callTool({ name: `${serverId}__echo`, arguments: { text: "2026 still here" } }))).toContain("2026 still here");
    await client.close();
  });

  it("does not refuse a forged key for the user whose budget is spent", async () => {
    const flooder = await createUser();
    const sessionId = await openSession({ credential: flooder.apiKey });
    const payload = "x".repeat(200_000);
    for (let i = 0; i < 6; i++) await (await echo(sessionId, flooder.apiKey, payload, i)).text();
    const spent = await echo(sessionId, flooder.apiKey, "small");
    expect(spent.status).toBe(429);
    await spent.body?.cancel();

    // Same key id, wrong secret: the credential is what is refused, never with the other's budget.
    const forged = await echo(sessionId, `${flooder.apiKey.slice(0, "pk_".length + 16 + 1)}${"A".repeat(43)}`, "small");
    expect(forged.status).not.toBe(429);
    await forged.body?.cancel();
  });
});
