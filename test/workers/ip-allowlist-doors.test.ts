// A user's own IP allow-list holds on every door that acts for that user, with the 403 and the message
// /user gives: MCP in both eras (at initialize and on every later request of an open session), the token
// exchange, the OAuth sign-in and token endpoints, and the Desk socket.
import { beforeAll, describe, expect, it } from "vitest";
import { admin, callAction, type CreatedUser, createUser, request } from "./gateway.ts";
import { deskSocket } from "./desk-client.ts";
import { statelessRequest } from "./mcp-2026-client.ts";
import { registerServer } from "./mcp-client.ts";
import { authorizeThroughSdk, MemoryProvider, openAuthorization, postForm, runAuth, ticketOf, tokenRequest } from "./oauth-flow.ts";

const ON_LIST = "203.0.113.7";
const OFF_LIST = "127.0.0.1";
const REFUSAL = `Refused: the address ${OFF_LIST} is not on the IP allow-list of your account`;

async function restrict(userId: string): Promise<void> {
  expect((await admin(4001, { userId, cidrs: [`${ON_LIST}/32`] })).status).toBe(200);
  expect((await admin(4005, { userId, mode: "allow-list" })).status).toBe(200);
}

function mcpFrom(ip: string, credential: string, body: unknown, { path = "/mcp", sessionId }: { path?: string; sessionId?: string } = {}): Promise<Response> {
  return request(path, {
    method: "POST",
    headers: {
      authorization: `Bearer ${credential}`,
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "cf-connecting-ip": ip,
      ...(sessionId ? { "mcp-session-id": sessionId } : {}),
    },
    body: JSON.stringify(body),
  });
}

const initialize = { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "ip-doors", version: "1" } } };
const ping = (id: number) => ({ jsonrpc: "2.0", id, method: "ping" });

async function openFrom(ip: string, credential: string, path?: string): Promise<string> {
  const response = await mcpFrom(ip, credential, initialize, { path });
  expect(response.status).toBe(200);
  await response.body?.cancel();
  return response.headers.get("mcp-session-id")!;
}

/** The refusal as /mcp answers it: HTTP 403, a JSON-RPC error whose message is /user's. */
async function expectMcpRefusal(response: Response): Promise<void> {
  expect(response.status).toBe(403);
  expect(await response.json()).toMatchObject({ jsonrpc: "2.0", error: { message: REFUSAL } });
}

describe("a user's own IP allow-list", () => {
  let alpha: string;
  let user: CreatedUser;

  beforeAll(async () => {
    alpha = await registerServer("alpha");
    user = await createUser();
    await restrict(user.userId);
  });

  it("is refused on /user with the message every other door repeats", async () => {
    const reply = await request("/user", {
      method: "POST",
      headers: { authorization: `Bearer ${user.apiKey}`, "content-type": "application/json", "cf-connecting-ip": OFF_LIST },
      body: JSON.stringify({ action: 3010, data: {} }),
    });
    expect(reply.status).toBe(403);
    expect(((await reply.json()) as { error: { message: string } }).error.message).toBe(REFUSAL);
  });

  it("refuses initialize on /mcp and /mcp/<id> from an address off the list, and opens from one on it", async () => {
    await expectMcpRefusal(await mcpFrom(OFF_LIST, user.apiKey, initialize));
    await expectMcpRefusal(await mcpFrom(OFF_LIST, user.apiKey, initialize, { path: `/mcp/${alpha}` }));
    expect(await openFrom(ON_LIST, user.apiKey)).toBeTruthy();
    expect(await openFrom(ON_LIST, user.apiKey, `/mcp/${alpha}`)).toBeTruthy();
  });

  it("refuses every later request of an open session from an address off the list", async () => {
    const sessionId = await openFrom(ON_LIST, user.apiKey);
    expect((await mcpFrom(ON_LIST, user.apiKey, ping(1), { sessionId })).status).toBe(200);
    await expectMcpRefusal(await mcpFrom(OFF_LIST, user.apiKey, ping(2), { sessionId }));
    const call = { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: `${alpha}__echo`, arguments: { text: "x" } } };
    await expectMcpRefusal(await mcpFrom(OFF_LIST, user.apiKey, call, { sessionId }));
    expect((await mcpFrom(ON_LIST, user.apiKey, ping(4), { sessionId })).status).toBe(200);
  });

  it("reaches a session opened before the list changed, from its very next request, and lets it in again when it changes back", async () => {
    const other = await createUser();
    const sessionId = await openFrom(OFF_LIST, other.apiKey);
    expect((await mcpFrom(OFF_LIST, other.apiKey, ping(1), { sessionId })).status).toBe(200);
    await restrict(other.userId);
    await expectMcpRefusal(await mcpFrom(OFF_LIST, other.apiKey, ping(2), { sessionId }));
    expect((await admin(4004, { userId: other.userId, cidrs: [`${OFF_LIST}/32`] })).status).toBe(200);
    expect((await mcpFrom(OFF_LIST, other.apiKey, ping(3), { sessionId })).status).toBe(200);
  });

  it("refuses a 2026-07-28 stateless request from an address off the list", async () => {
    const refused = await statelessRequest("/mcp", { method: "tools/list" }, { credential: user.apiKey, headers: { "cf-connecting-ip": OFF_LIST } });
    await expectMcpRefusal(refused);
    const scoped = await statelessRequest(`/mcp/${alpha}`, { method: "server/discover" }, { credential: user.apiKey, headers: { "cf-connecting-ip": OFF_LIST } });
    await expectMcpRefusal(scoped);
    const allowed = await statelessRequest("/mcp", { method: "tools/list" }, { credential: user.apiKey, headers: { "cf-connecting-ip": ON_LIST } });
    expect(allowed.status).toBe(200);
  });

  it("refuses POST /auth/token from an address off the list, and mints from one on it", async () => {
    const mint = (ip: string) => request("/auth/token", { method: "POST", headers: { authorization: `Bearer ${user.apiKey}`, "cf-connecting-ip": ip } });
    const refused = await mint(OFF_LIST);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ success: false, error: { code: 40301, message: REFUSAL } });
    expect((await mint(ON_LIST)).status).toBe(200);
  });

  it("refuses an OAuth sign-in and a token refresh for the user from an address off the list", async () => {
    const oauthUser = await createUser();
    const provider = new MemoryProvider();
    const { tokens } = await authorizeThroughSdk(provider, oauthUser.apiKey);
    const clientId = provider.clientInformation()!.client_id;
    // The test requests carry no CF-Connecting-IP: an unknown address never passes a list in force.
    await restrict(oauthUser.userId);
    const refresh = await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token as string, client_id: clientId });
    expect(refresh.status).toBe(403);
    expect(await refresh.json()).toMatchObject({ error: "access_denied", error_description: expect.stringContaining("IP allow-list of your account") });

    const again = new MemoryProvider();
    expect(await runAuth(again)).toBe("REDIRECT");
    const page = await (await openAuthorization(again.authorizationUrl as URL)).text();
    const signIn = await postForm("/authorize", { ticket: ticketOf(page), step: "sign-in", api_key: oauthUser.apiKey });
    expect(signIn.status).toBe(403);
    expect(await signIn.text()).toContain("IP allow-list of your account");
  });

  it("refuses the Desk socket from an address off the list, and closes one already open when the list stops admitting it", async () => {
    const ticket = async (ip: string) => {
      const response = await request("/desk/ticket", { method: "POST", headers: { authorization: `Bearer ${user.apiKey}`, "cf-connecting-ip": ip }, body: "" });
      expect(response.status).toBe(200);
      return ((await response.json()) as { ticket: string }).ticket;
    };
    const upgradeFrom = (ip: string, issued: string) => request(`/desk?ticket=${encodeURIComponent(issued)}`, { headers: { upgrade: "websocket", "cf-connecting-ip": ip } });
    const refused = await upgradeFrom(OFF_LIST, await ticket(ON_LIST));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(REFUSAL);

    const opened = await upgradeFrom(ON_LIST, await ticket(ON_LIST));
    expect(opened.status).toBe(101);
    const desk = deskSocket(opened.webSocket!);
    await desk.next("hello");
    expect((await admin(4001, { userId: user.userId, cidrs: ["198.51.100.0/24"] })).status).toBe(200);
    expect((await desk.closed).code).toBe(4403);
    expect((await callAction("/user", 3010, {}, user.apiKey)).status).toBe(403);
  });
});
