// A private server (publicAccess: false) is, to a user without a grant, a server that does not exist:
// /mcp/<id> answers initialize and 2026 server/discover as for an unknown id, and the self-service
// listings leave it out. With a grant it is reached like any other.
import { beforeAll, describe, expect, it } from "vitest";
import { admin, callAction, type CreatedUser, createUser } from "./gateway.ts";
import { statelessRequest } from "./mcp-2026-client.ts";
import { registerServer } from "./mcp-client.ts";
import { mcp } from "./raw-mcp.ts";

const initialize = { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "private", version: "1" } } };

/** Status and body, with the server id in the message replaced, so an unknown and a private server compare equal. */
async function answer(response: Response, serverId: string): Promise<{ status: number; body: string }> {
  return { status: response.status, body: (await response.text()).replaceAll(serverId, "<id>") };
}

describe("a private server to a user without a grant", () => {
  let hidden: string;
  let outsider: CreatedUser;
  let insider: CreatedUser;
  const unknown = "nosuch-server";

  beforeAll(async () => {
    hidden = await registerServer("alpha", { publicAccess: false });
    outsider = await createUser();
    insider = await createUser();
    expect((await admin(1002, { userId: insider.userId, servers: { [hidden]: { enabled: true } } })).status).toBe(200);
  });

  it("answers initialize on /mcp/<id> as for an unknown server", async () => {
    const known = await answer(await mcp({ path: `/mcp/${hidden}`, credential: outsider.apiKey, body: initialize }), hidden);
    const none = await answer(await mcp({ path: `/mcp/${unknown}`, credential: outsider.apiKey, body: initialize }), unknown);
    expect(none.status).toBe(404);
    expect(known).toEqual(none);
    const granted = await mcp({ path: `/mcp/${hidden}`, credential: insider.apiKey, body: initialize });
    expect(granted.status).toBe(200);
    expect(await granted.text()).toContain("serverInfo");
  });

  it("answers 2026 server/discover on /mcp/<id> as for an unknown server", async () => {
    const known = await answer(await statelessRequest(`/mcp/${hidden}`, { method: "server/discover" }, { credential: outsider.apiKey }), hidden);
    const none = await answer(await statelessRequest(`/mcp/${unknown}`, { method: "server/discover" }, { credential: outsider.apiKey }), unknown);
    expect(none.status).toBe(404);
    expect(known).toEqual(none);
    const granted = await statelessRequest(`/mcp/${hidden}`, { method: "server/discover" }, { credential: insider.apiKey });
    expect(granted.status).toBe(200);
    expect(await granted.text()).toContain("serverInfo");
  });

  it("leaves it out of LIST_MY_SERVERS and GET_MY_CAPABILITIES", async () => {
    const ids = async (code: number, credential: string) =>
      ((await callAction<{ servers: { serverId: string }[] }>("/user", code, {}, credential)).body.data?.servers ?? []).map((s) => s.serverId);
    expect(await ids(2003, outsider.apiKey)).not.toContain(hidden);
    expect(await ids(3010, outsider.apiKey)).not.toContain(hidden);
    expect(await ids(2003, insider.apiKey)).toContain(hidden);
    expect(await ids(3010, insider.apiKey)).toContain(hidden);
  });
});
