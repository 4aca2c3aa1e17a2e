// A downstream server that speaks only 2026-07-28 (test/fixtures/fixture-2026-server.ts, SDK v2 server):
// found with server/discover, spoken to in its own revision, and reached by clients of both eras. A 2025
// session's client gets the server's input_required as ordinary elicitation; a 2026 client gets it as
// the gateway's own input_required.
import { ElicitRequestSchema, ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, deleteServersStartingWith } from "./gateway.ts";
import { connectClient, registerServer, textOf } from "./mcp-client.ts";
import { connectStateless, statelessRequest } from "./mcp-2026-client.ts";

describe("a 2026-07-28 downstream server", () => {
  let modern: string;

  beforeAll(async () => {
    modern = await registerServer("modern");
  });

  afterAll(async () => {
    await deleteServersStartingWith(modern);
  });

  it("serves a 2025 session's client: initialize from its discover result, calls, and its input_required as elicitation", async () => {
    const { client } = await connectClient({ path: `/mcp/${modern}`, capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      expect(request.params.message).toBe("What is your name?");
      return { action: "accept", content: { name: "Ada" } };
    });
    try {
      expect(client.getServerVersion()).toMatchObject({ name: "modern", version: "2.0.0" });
      expect(client.getInstructions()).toBe("fixture modern (2026-07-28)");
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("ask");
      expect(textOf(await client.callTool({ name: "echo", arguments: { text: "from 2025" } }))).toBe("modern: from 2025");
      expect(textOf(await client.callTool({ name: "ask", arguments: {} }))).toBe("hello Ada");
    } finally {
      await client.close();
    }
  });

  it("hears its list changes and resource updates through subscriptions/listen in a 2025 session", async () => {
    const { client } = await connectClient({ path: `/mcp/${modern}` });
    const heard: string[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void heard.push("tools"));
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void heard.push(n.params.uri));
    try {
      await client.subscribeResource({ uri: "modern://doc/1" });
      await client.callTool({ name: "add_tool", arguments: {} });
      await expect.poll(() => heard.includes("tools"), { timeout: 10_000 }).toBe(true);
      await expect.poll(async () => (await client.listTools()).tools.some((tool) => String(tool.name).startsWith("dynamic_")), { timeout: 10_000 }).toBe(true);
      await client.callTool({ name: "touch", arguments: { uri: "modern://doc/1" } });
      await expect.poll(() => heard.includes("modern://doc/1"), { timeout: 10_000 }).toBe(true);
    } finally {
      await client.close();
    }
  });

  it("serves a 2026 client through the bridge, the server's question passed on as the gateway's own input_required", async () => {
    const client = await connectStateless({ capabilities: { elicitation: {} } });
    client.setRequestHandler("elicitation/create", async () => ({ action: "accept", content: { name: "Grace" } }));
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain(`${modern}__ask`);
      expect(textOf(await client.callTool({ name: `${modern}__echo`, arguments: { text: "2026 to 2026" } }))).toBe("modern: 2026 to 2026");
      expect(textOf(await client.callTool({ name: `${modern}__ask`, arguments: {} }))).toBe("hello Grace");
    } finally {
      await client.close();
    }
  });

  it("checks and mirrors Mcp-Param-* headers of a tool that declares x-mcp-header", async () => {
    const client = await connectStateless({ path: `/mcp/${modern}` });
    try {
      const listed = (await client.listTools()).tools.find((tool) => tool.name === "regional_echo");
      expect(listed?.inputSchema.properties?.region).toMatchObject({ "x-mcp-header": "Region" });
      // The SDK v2 client sends Mcp-Param-Region; the gateway checks it and sends its own to the server, which checks that.
      expect(textOf(await client.callTool({ name: "regional_echo", arguments: { region: "eu-west", text: "hi" } }))).toBe("modern [eu-west]: hi");
    } finally {
      await client.close();
    }
    const call = (headers: Record<string, string>) =>
      statelessRequest(`/mcp/${modern}`, { method: "tools/call", params: { name: "regional_echo", arguments: { region: "eu-west", text: "hi" } } }, { headers });
    const wrong = await call({ "mcp-param-region": "us-east" });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: { code: number; message: string } }).error).toMatchObject({ code: -32020 });
    const missing = await call({});
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain("mcp-param-region header is absent");
    // Another caller's bridge, whose catalog comes from the gateway's cache: it reads the tool's declaration itself.
    const user = await createUser();
    const right = await statelessRequest(`/mcp/${modern}`, { method: "tools/call", params: { name: "regional_echo", arguments: { region: "eu-west", text: "hi" } } }, { headers: { "mcp-param-region": "eu-west" }, credential: user.apiKey });
    expect(textOf(((await right.json()) as { result: unknown }).result)).toBe("modern [eu-west]: hi");
  });
});
