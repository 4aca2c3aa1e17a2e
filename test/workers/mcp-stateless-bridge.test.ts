// The bridge between the eras: what a 2025 server says reaches a 2026-07-28 client in the 2026 form
// (error codes, capabilities), while a 2025 session on the same server sees it unchanged.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteServersStartingWith } from "./gateway.ts";
import { connectClient, registerServer } from "./mcp-client.ts";
import { statelessRequest } from "./mcp-2026-client.ts";

type RpcBody = { result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } };

async function rpc(response: Response): Promise<RpcBody> {
  return (await response.json()) as RpcBody;
}

describe("the 2026-07-28 bridge in front of a 2025 server", () => {
  let alpha: string;

  beforeAll(async () => {
    alpha = await registerServer("alpha");
  });

  afterAll(async () => {
    await deleteServersStartingWith(alpha);
  });

  it("answers a 2025 server's -32002 'resource not found' as -32602 with data.uri, the URI the client asked for (SEP-2164)", async () => {
    const single = await rpc(await statelessRequest(`/mcp/${alpha}`, { method: "resources/read", params: { uri: "fixture://doc/missing" } }));
    expect(single.error).toMatchObject({ code: -32602, data: { uri: "fixture://doc/missing" } });
    expect(single.error!.message).toContain("not found");

    const exposed = `peta://${alpha}/fixture://doc/missing`;
    const aggregated = await rpc(await statelessRequest("/mcp", { method: "resources/read", params: { uri: exposed } }));
    expect(aggregated.error).toMatchObject({ code: -32602, data: { uri: exposed } });

    // A 2025 session speaks the server's own era: its -32002 passes unchanged.
    const { client } = await connectClient({ path: `/mcp/${alpha}` });
    try {
      await expect(client.readResource({ uri: "fixture://doc/missing" })).rejects.toMatchObject({ code: -32002 });
    } finally {
      await client.close();
    }
  });
});
