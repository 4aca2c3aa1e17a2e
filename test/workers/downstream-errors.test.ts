// What a client sees when a downstream server answers with an error, or cannot be reached at all.
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { sessionRows } from "./audit-support.ts";
import { admin } from "./gateway.ts";
import { connectClient, registerServer } from "./mcp-client.ts";

const CANARY = `canary-${crypto.randomUUID()}`;

describe("downstream errors", () => {
  let alpha: string;

  beforeAll(async () => {
    alpha = await registerServer("alpha", { headers: { "X-Api-Key": "{{secret:CONNECT_KEY}}" } });
    expect((await admin(2101, { serverId: alpha, name: "CONNECT_KEY", value: CANARY })).status).toBe(200);
  });

  it("passes a server's error data on (a URL elicitation's -32042), scrubbed of injected values", async () => {
    const { client } = await connectClient({ capabilities: { elicitation: { url: {} } } });
    try {
      const error = await client.callTool({ name: `${alpha}__connect_account` }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(McpError);
      const { code, data } = error as McpError;
      expect(code).toBe(-32042);
      const elicitations = (data as { elicitations: { url: string; elicitationId: string }[] }).elicitations;
      expect(elicitations[0]).toMatchObject({ elicitationId: "connect-1", url: "https://auth.example/connect?key=[REDACTED:CONNECT_KEY]" });
      expect(JSON.stringify(data)).not.toContain(CANARY);
    } finally {
      await client.close();
    }
  });

  it("audits a call to a server that cannot be reached with that server's id", async () => {
    const serverId = `dead-${crypto.randomUUID().slice(0, 6)}`;
    expect((await admin(2010, { serverId, transport: "streamable-http", url: "http://127.0.0.1:9/mcp" })).status).toBe(200);
    const { client, transport } = await connectClient();
    try {
      await expect(client.callTool({ name: `${serverId}__anything` })).rejects.toMatchObject({ code: -32003 });
      await expect(client.getPrompt({ name: `${serverId}__anything` })).rejects.toMatchObject({ code: -32003 });
      const rows = await sessionRows<{ method: string; server_id: string | null }>(transport.sessionId!, 3);
      expect(rows.slice(1).map((row) => [row.method, row.server_id])).toEqual([
        ["tools/call", serverId],
        ["prompts/get", serverId],
      ]);
    } finally {
      await client.close();
      await admin(2013, { serverId });
    }
  });

  it("names the transport tried, the HTTP status and the URL without its secrets when a server cannot be reached", async () => {
    const serverId = `wrong-path-${crypto.randomUUID().slice(0, 6)}`;
    const url = new URL("/wrong-path", inject("downstream").alpha);
    url.username = "user";
    url.password = CANARY;
    url.searchParams.set("token", CANARY);
    expect((await admin(2010, { serverId, transport: "streamable-http", url: url.toString() })).status).toBe(200);
    const { client } = await connectClient();
    try {
      const error = (await client.callTool({ name: `${serverId}__echo`, arguments: { text: "x" } }).then(() => null, (e: unknown) => e)) as McpError;
      expect(error.code).toBe(-32003);
      expect(error.message).toContain("streamable-http");
      expect(error.message).toContain("HTTP 404");
      expect(error.message).toContain(`${url.origin}/wrong-path`);
      expect(error.message).not.toContain(CANARY);
      expect(error.message).not.toContain("token=");
      expect(error.message).not.toContain("user:");
    } finally {
      await client.close();
      await admin(2013, { serverId });
    }
  });
});
