// A server that cannot be reached says so: when it is registered, and in GET_SERVER_STATUS after a session's call.
import { describe, expect, inject, it, vi } from "vitest";
import { admin } from "./gateway.ts";
import { connectClient, textOf } from "./mcp-client.ts";

const CANARY = `canary-${crypto.randomUUID()}`;

interface ProbedReply {
  server: { serverId: string };
  warning?: string;
  notProbed?: string;
}

interface ServerStatus {
  serverId: string;
  lastConnectError: string | null;
  lastConnectErrorAt: string | null;
  nextConnectTryAt: string | null;
  lastConnectedAt: string | null;
}

async function statusOf(serverId: string): Promise<ServerStatus> {
  const reply = await admin<{ servers: ServerStatus[] }>(3004, { serverId });
  expect(reply.status).toBe(200);
  return reply.body.data!.servers[0]!;
}

const freshId = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 6)}`;

describe("server connection status", () => {
  it("accepts a server where nothing listens, with a warning saying what failed, and keeps it for GET_SERVER_STATUS", async () => {
    const serverId = freshId("nobody");
    try {
      const reply = await admin<ProbedReply>(2010, { serverId, transport: "streamable-http", url: "http://127.0.0.1:9/mcp" });
      expect(reply.status).toBe(200);
      expect(reply.body.data!.server.serverId).toBe(serverId);
      expect(reply.body.data!.warning).toContain(`Could not connect to server "${serverId}" (streamable-http at http://127.0.0.1:9/mcp)`);
      const status = await statusOf(serverId);
      expect(status.lastConnectError).toBe(reply.body.data!.warning);
      expect(status.lastConnectErrorAt).not.toBeNull();
      expect(status.nextConnectTryAt).not.toBeNull();
      expect(status.lastConnectedAt).toBeNull();
    } finally {
      await admin(2013, { serverId });
    }
  });

  it("names the legacy SSE transport when that is what could not be reached", async () => {
    const serverId = freshId("nobody-sse");
    try {
      const reply = await admin<ProbedReply>(2010, { serverId, transport: "sse", url: "http://127.0.0.1:9/sse" });
      expect(reply.status).toBe(200);
      expect(reply.body.data!.warning).toContain(`Could not connect to server "${serverId}" (sse at http://127.0.0.1:9/sse)`);
      expect((await statusOf(serverId)).lastConnectError).toBe(reply.body.data!.warning);
    } finally {
      await admin(2013, { serverId });
    }
  });

  it("warns about a wrong path with the HTTP status, on CREATE_SERVER and on UPDATE_SERVER, and not once it is right", async () => {
    const serverId = freshId("wrong-path");
    const { alpha } = inject("downstream");
    try {
      const created = await admin<ProbedReply>(2010, { serverId, transport: "streamable-http", url: new URL("/wrong-path", alpha).toString() });
      expect(created.status).toBe(200);
      expect(created.body.data!.warning).toContain("HTTP 404");
      const fixed = await admin<ProbedReply>(2012, { serverId, url: alpha });
      expect(fixed.status).toBe(200);
      expect(fixed.body.data!.warning).toBeUndefined();
      expect((await statusOf(serverId)).lastConnectedAt).not.toBeNull();
      const broken = await admin<ProbedReply>(2012, { serverId, url: new URL("/elsewhere", alpha).toString() });
      expect(broken.body.data!.warning).toContain("HTTP 404");
      // A change that does not touch the connection does not try it.
      const renamed = await admin<ProbedReply>(2012, { serverId, name: "Renamed" });
      expect(renamed.body).toMatchObject({ success: true, data: { server: { name: "Renamed" } } });
      expect(renamed.body.data!.warning).toBeUndefined();
    } finally {
      await admin(2013, { serverId });
    }
  });

  it("does not try a URL with {{user:…}} values, and says so", async () => {
    const serverId = freshId("per-user");
    try {
      const reply = await admin<ProbedReply>(2010, {
        serverId,
        transport: "streamable-http",
        url: "http://127.0.0.1:9/{{user:TENANT}}/mcp",
        userInputs: [{ name: "TENANT" }],
      });
      expect(reply.status).toBe(200);
      expect(reply.body.data!.warning).toBeUndefined();
      expect(reply.body.data!.notProbed).toContain("{{user:…}}");
      expect((await statusOf(serverId)).lastConnectError).toBeNull();
    } finally {
      await admin(2013, { serverId });
    }
  });

  it("shows a session's failed connection with its transport and no secret, and its recovery once a call succeeds", async () => {
    const serverId = freshId("comeback");
    const origin = new URL(inject("downstream").alpha).origin.replace("//", `//user:${CANARY}@`);
    try {
      const created = await admin<ProbedReply>(2010, {
        serverId,
        transport: "streamable-http",
        url: `${origin}/{{secret:MCP_PATH}}?token=${CANARY}`,
      });
      expect(created.status).toBe(200);
      expect(created.body.data!.notProbed).toContain("MCP_PATH");
      expect((await admin(2101, { serverId, name: "MCP_PATH", value: "wrong-path" })).status).toBe(200);

      const { client } = await connectClient();
      try {
        await expect(client.callTool({ name: `${serverId}__echo`, arguments: { text: "x" } })).rejects.toMatchObject({ code: -32003 });
        const failed = await vi.waitFor(async () => {
          const status = await statusOf(serverId);
          expect(status.lastConnectError).not.toBeNull();
          return status;
        });
        expect(failed.lastConnectError).toContain("streamable-http");
        expect(failed.lastConnectError).toContain("HTTP 404");
        expect(failed.lastConnectError).not.toContain(CANARY);
        expect(failed.lastConnectError).not.toContain("wrong-path");
        expect(failed.lastConnectError).not.toContain("token=");

        // The server "comes back": the right path is set, and the next call connects.
        expect((await admin(2101, { serverId, name: "MCP_PATH", value: "mcp" })).status).toBe(200);
        expect(textOf(await client.callTool({ name: `${serverId}__echo`, arguments: { text: "back" } }))).toBe("alpha: back");
        const recovered = await vi.waitFor(async () => {
          const status = await statusOf(serverId);
          expect(status.lastConnectedAt).not.toBeNull();
          return status;
        });
        expect(Date.parse(recovered.lastConnectedAt!)).toBeGreaterThanOrEqual(Date.parse(failed.lastConnectErrorAt!));
        expect(recovered.nextConnectTryAt).toBeNull();
        expect(JSON.stringify(recovered)).not.toContain(CANARY);
      } finally {
        await client.close();
      }
    } finally {
      await admin(2013, { serverId });
    }
  });
});
