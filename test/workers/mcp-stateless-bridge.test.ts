// The bridge between the eras: what a 2025 server says reaches a 2026-07-28 client in the 2026 form
// (error codes, capabilities), while a 2025 session on the same server sees it unchanged.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteServersStartingWith } from "./gateway.ts";
import { connectClient, registerServer, textOf } from "./mcp-client.ts";
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

    // A server's own -32602 for a URI it does not know gets the data.uri SEP-2164 asks for.
    const unknown = await rpc(await statelessRequest(`/mcp/${alpha}`, { method: "resources/read", params: { uri: "fixture://nothing" } }));
    expect(unknown.error).toMatchObject({ code: -32602, data: { uri: "fixture://nothing" } });

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

  it("declares downstream exactly the capabilities the request declared: the server lists and asks only what the client can answer", async () => {
    const names = async (capabilities: Record<string, object>) => {
      const all: string[] = [];
      let cursor: unknown;
      do {
        const page = (await rpc(await statelessRequest(`/mcp/${alpha}`, { method: "tools/list", params: cursor ? { cursor } : {} }, { capabilities }))).result!;
        all.push(...(page.tools as { name: string }[]).map((tool) => tool.name));
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    };
    expect(await names({ roots: {} })).toContain("roots_only");
    expect(await names({ sampling: {} })).not.toContain("roots_only");

    // A server that honours capabilities asks a sampling-only client for sampling alone.
    const capabilities = { sampling: {} };
    const first = await rpc(await statelessRequest(`/mcp/${alpha}`, { id: 1, method: "tools/call", params: { name: "ask_all", arguments: {} } }, { capabilities }));
    expect(first.result).toMatchObject({ resultType: "input_required" });
    const inputRequests = first.result!.inputRequests as Record<string, { method: string }>;
    expect(Object.values(inputRequests).map((input) => input.method)).toEqual(["sampling/createMessage"]);
    const [key] = Object.keys(inputRequests);
    const done = await rpc(
      await statelessRequest(
        `/mcp/${alpha}`,
        { id: 2, method: "tools/call", params: { name: "ask_all", arguments: {}, requestState: first.result!.requestState, inputResponses: { [key!]: { role: "assistant", content: { type: "text", text: "hi" }, model: "m" } } } },
        { capabilities },
      ),
    );
    expect(textOf(done.result)).toBe("sampling: hi");
  });

  it("answers a server that asks anyway with an error, and the client with -32021 (HTTP 400): the connection goes on", async () => {
    const capabilities = { elicitation: {} };
    const refused = await statelessRequest(`/mcp/${alpha}`, { method: "tools/call", params: { name: "sample", arguments: {} } }, { capabilities });
    expect(refused.status).toBe(400);
    expect((await rpc(refused)).error).toMatchObject({ code: -32021, data: { requiredCapabilities: { sampling: {} } } });
    const next = await rpc(await statelessRequest(`/mcp/${alpha}`, { method: "tools/call", params: { name: "echo", arguments: { text: "still here" } } }, { capabilities }));
    expect(textOf(next.result)).toBe("alpha: still here");
  });
});
