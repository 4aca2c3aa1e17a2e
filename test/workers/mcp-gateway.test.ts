import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { admin } from "./gateway.ts";
import { connectClient, listAll, registerServer, textOf } from "./mcp-client.ts";

function waitFor<T>(register: (resolve: (value: T) => void) => void, what: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

describe("the aggregated endpoint /mcp", () => {
  let alpha: string;
  let beta: string;
  let everything: string;
  let client: Client;

  beforeAll(async () => {
    [alpha, beta, everything] = await Promise.all([registerServer("alpha"), registerServer("beta"), registerServer("everything")]);
    ({ client } = await connectClient({
      capabilities: { elicitation: {}, sampling: {}, roots: { listChanged: true } },
    }));
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: "accept", content: { name: "Ada" } }));
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant",
      content: { type: "text", text: "4" },
      model: "test-model",
    }));
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: "file:///workspace", name: "ws" }] }));
  });

  afterAll(async () => {
    await client?.close();
  });

  it("announces itself and its capabilities", () => {
    expect(client.getServerVersion()?.name).toBe("peta-core");
    expect(client.getServerCapabilities()).toMatchObject({ tools: { listChanged: true }, resources: { subscribe: true } });
  });

  it("lists every server's tools as <serverId>__<name>, valid for LLM tool-name rules", async () => {
    const names = (await listAll(client, "tools")).map((t) => String(t.name));
    expect(names).toEqual(expect.arrayContaining([`${alpha}__echo`, `${beta}__echo`, `${everything}__echo`, `${everything}__get-sum`]));
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });

  it("routes two servers' same-named tools to their own server", async () => {
    expect(textOf(await client.callTool({ name: `${alpha}__echo`, arguments: { text: "x" } }))).toBe("alpha: x");
    expect(textOf(await client.callTool({ name: `${beta}__echo`, arguments: { text: "x" } }))).toBe("beta: x");
    expect(textOf(await client.callTool({ name: `${everything}__get-sum`, arguments: { a: 2, b: 3 } }))).toContain("5");
  });

  it("accepts the serverId::name alias", async () => {
    expect(textOf(await client.callTool({ name: `${alpha}::echo`, arguments: { text: "alias" } }))).toBe("alpha: alias");
  });

  it("shortens a name over 64 characters and routes the short name back", async () => {
    const tools = await listAll(client, "tools");
    const long = tools.find((t) => String(t.name).startsWith(`${alpha}__summarise_every`));
    expect(long).toBeDefined();
    expect(String(long!.name).length).toBeLessThanOrEqual(64);
    expect(long!.title).toBe("summarise_every_document_in_the_shared_archive_and_rank_them_by_relevance");
    expect(textOf(await client.callTool({ name: String(long!.name) }))).toBe("alpha: long");
  });

  it("passes a tool-level error through as a result, not a protocol error", async () => {
    const result = await client.callTool({ name: `${alpha}__fail` });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe("this tool always fails");
  });

  it("answers an unknown tool, an unknown server and a disabled server with clear JSON-RPC errors", async () => {
    await expect(client.callTool({ name: `${alpha}__nope` })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining(`Unknown tool "${alpha}__nope"`) });
    await expect(client.callTool({ name: "ghost__echo" })).rejects.toMatchObject({ code: -32602 });
    await expect(client.callTool({ name: "no-separator" })).rejects.toMatchObject({ code: -32602 });

    const off = await registerServer("alpha");
    expect(textOf(await client.callTool({ name: `${off}__echo`, arguments: { text: "on" } }))).toBe("alpha: on");
    await admin(2012, { serverId: off, enabled: false });
    // An open session is told by the admin request itself (a pushed refresh).
    const outcome = () => client.callTool({ name: `${off}__echo`, arguments: { text: "off" } }).then(() => "answered", (error: { code?: number }) => error.code);
    await expect.poll(outcome, { timeout: 10_000, interval: 250 }).toBe(-32602);
    expect((await listAll(client, "tools")).some((t) => String(t.name).startsWith(`${off}__`))).toBe(false);
  });

  it("presents resource links and embedded resources in results as peta:// URIs a client can read back", async () => {
    const linked = (await client.callTool({ name: `${alpha}__link` })) as { content: { type: string; uri?: string; resource?: { uri: string } }[] };
    expect(linked.content.map((c) => c.uri ?? c.resource?.uri)).toEqual([`peta://${alpha}/fixture://doc/1`, `peta://${alpha}/fixture://doc/2`]);
    const read = await client.readResource({ uri: linked.content[0]!.uri! });
    expect(read.contents[0]).toMatchObject({ uri: `peta://${alpha}/fixture://doc/1`, text: "alpha doc 1" });

    const cited = await client.getPrompt({ name: `${alpha}__cite` });
    expect(cited.messages[0]?.content).toMatchObject({ type: "resource", resource: { uri: `peta://${alpha}/fixture://doc/1` } });

    // The single-server endpoint shows the server's own URIs.
    const { client: direct } = await connectClient({ path: `/mcp/${alpha}` });
    const raw = (await direct.callTool({ name: "link" })) as { content: { uri?: string }[] };
    expect(raw.content[0]?.uri).toBe("fixture://doc/1");
    await direct.close();
  });

  it("lists and gets prompts, with completion", async () => {
    const prompts = (await listAll(client, "prompts")).map((p) => p.name);
    expect(prompts).toEqual(expect.arrayContaining([`${alpha}__greeting`, `${everything}__simple-prompt`]));
    const prompt = await client.getPrompt({ name: `${alpha}__greeting`, arguments: { who: "Grace" } });
    expect(prompt.messages[0]?.content).toMatchObject({ text: "Hello Grace from alpha" });
    const completion = await client.complete({ ref: { type: "ref/prompt", name: `${alpha}__greeting` }, argument: { name: "who", value: "al" } });
    expect(completion.completion.values).toEqual(["alice", "albert"]);
  });

  it("lists and reads resources and templates under peta://<serverId>/<uri>", async () => {
    const resources = (await listAll(client, "resources")).map((r) => r.uri);
    expect(resources).toContain(`peta://${alpha}/fixture://doc/1`);
    expect(resources).toContain(`peta://${beta}/fixture://doc/1`);
    const read = await client.readResource({ uri: `peta://${beta}/fixture://doc/1` });
    expect(read.contents[0]).toMatchObject({ uri: `peta://${beta}/fixture://doc/1`, text: "beta doc 1" });

    const templates = (await listAll(client, "resourceTemplates")).map((t) => t.uriTemplate);
    expect(templates).toContain(`peta://${alpha}/fixture://doc/{id}`);
    const expanded = await client.readResource({ uri: `peta://${alpha}/fixture://doc/42` });
    expect(expanded.contents[0]).toMatchObject({ text: "alpha doc 42" });
    await expect(client.readResource({ uri: "fixture://doc/1" })).rejects.toMatchObject({ code: -32602 });
  });

  it("collects every page of a downstream list and pages its own", async () => {
    const fromAlpha = (await listAll(client, "resources")).filter((r) => String(r.uri).startsWith(`peta://${alpha}/`));
    // The fixture serves 25 resources in pages of 10; all of them arrive, once each.
    expect(fromAlpha.map((r) => r.uri)).toEqual(Array.from({ length: 25 }, (_, i) => `peta://${alpha}/fixture://doc/${i + 1}`));
    const first = await client.listTools();
    expect(first.tools).toHaveLength(10);
    expect(first.nextCursor).toBeDefined();
    await expect(client.listTools({ cursor: "garbage" })).rejects.toMatchObject({ code: -32602 });
  });

  it("relays progress with the client's own token", async () => {
    const seen: number[] = [];
    const result = await client.callTool({ name: `${alpha}__slow`, arguments: { steps: 3, delayMs: 20 } }, undefined, {
      onprogress: (progress) => seen.push(progress.progress),
    });
    expect(textOf(result)).toBe("alpha: done after 3 steps");
    expect(seen).toEqual([1, 2, 3]);
  });

  it("cancels a call downstream when the client cancels it", async () => {
    const controller = new AbortController();
    const call = client.callTool({ name: `${beta}__slow`, arguments: { steps: 40, delayMs: 50 } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort("changed my mind"),
    });
    await expect(call).rejects.toThrow();
    await expect
      .poll(async () => JSON.parse(textOf(await client.callTool({ name: `${beta}__stats` }))).cancelled, { timeout: 5000 })
      .toBeGreaterThanOrEqual(1);
  });

  it("fans logging/setLevel out and relays notifications/message", async () => {
    await client.setLoggingLevel("info");
    const message = waitFor<{ logger?: string; data: unknown }>(
      (resolve) => client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => resolve(n.params)),
      "a log message",
    );
    await client.callTool({ name: `${alpha}__log`, arguments: { level: "warning", message: "disk almost full" } });
    expect(await message).toMatchObject({ logger: `${alpha}/fixture`, data: "disk almost full" });
  });

  it("routes a downstream's elicitation, sampling and roots requests to the client and back", async () => {
    expect(textOf(await client.callTool({ name: `${alpha}__ask` }))).toBe('accept: {"name":"Ada"}');
    expect(textOf(await client.callTool({ name: `${alpha}__sample` }))).toBe("model said: 4");
    expect(textOf(await client.callTool({ name: `${alpha}__roots` }))).toBe("file:///workspace");
  });

  it("relays tools/list_changed and serves the new list", async () => {
    const changed = waitFor<void>(
      (resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
      "tools/list_changed",
    );
    await client.listTools(); // the session's standalone stream is open once the client has initialized
    await client.callTool({ name: `${beta}__add_tool` });
    await changed;
    const names = (await listAll(client, "tools")).map((t) => t.name);
    expect(names).toContain(`${beta}__dynamic_1`);
    expect(textOf(await client.callTool({ name: `${beta}__dynamic_1` }))).toBe("dynamic 1");
  });

  it("subscribes to a resource and relays resources/updated with the gateway's URI", async () => {
    const uri = `peta://${alpha}/fixture://doc/1`;
    await client.subscribeResource({ uri });
    const updated = waitFor<string>(
      (resolve) => client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri)),
      "resources/updated",
    );
    await client.callTool({ name: `${alpha}__touch`, arguments: { uri: "fixture://doc/1" } });
    expect(await updated).toBe(uri);
    await client.unsubscribeResource({ uri });
  });

  it("skips a server that is down, and the list still answers", async () => {
    const dead = `dead-${crypto.randomUUID().slice(0, 6)}`;
    await admin(2010, { serverId: dead, transport: "streamable-http", url: "http://127.0.0.1:9/mcp" });
    try {
      const names = (await listAll(client, "tools")).map((t) => String(t.name));
      expect(names).toContain(`${alpha}__echo`);
      expect(names.some((n) => n.startsWith(`${dead}__`))).toBe(false);
      // A call to it says why it cannot be made, rather than calling the tool unknown.
      await expect(client.callTool({ name: `${dead}__echo` })).rejects.toMatchObject({
        code: -32003,
        message: expect.stringContaining(`Could not connect to server "${dead}"`),
      });
    } finally {
      await admin(2013, { serverId: dead });
    }
  });

  it("answers ping and an unknown method", async () => {
    await expect(client.ping()).resolves.toBeDefined();
    await expect(client.request({ method: "nope/nothing" }, ToolListChangedNotificationSchema)).rejects.toMatchObject({ code: -32601 });
  });
});

describe("the single-server endpoint /mcp/<serverId>", () => {
  it("passes one server through with its own names, instructions and capabilities", async () => {
    const alpha = await registerServer("alpha");
    const { client } = await connectClient({ path: `/mcp/${alpha}` });
    expect(client.getServerVersion()?.name).toBe("alpha");
    expect(client.getInstructions()).toBe("fixture alpha");
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("echo");
    expect(names).toContain("summarise_every_document_in_the_shared_archive_and_rank_them_by_relevance");
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "direct" } }))).toBe("alpha: direct");
    expect((await client.readResource({ uri: "fixture://doc/3" })).contents[0]).toMatchObject({ uri: "fixture://doc/3", text: "alpha doc 3" });
    await client.close();
  });

  it("refuses an unknown or disabled server at initialize", async () => {
    await expect(connectClient({ path: "/mcp/ghost-server" })).rejects.toThrow(/404|No enabled server/);
    const off = await registerServer("beta", { enabled: false });
    await expect(connectClient({ path: `/mcp/${off}` })).rejects.toThrow(/404|No enabled server/);
  });
});

describe("downstream connections", () => {
  it("sends the server's configured headers", async () => {
    const serverId = await registerServer("alpha", { headers: { "X-Team": "data" } });
    const { client } = await connectClient();
    const seen = JSON.parse(textOf(await client.callTool({ name: `${serverId}__whoami` }))) as { headers: Record<string, string> };
    expect(seen.headers["x-team"]).toBe("data");
    await client.close();
  });

  it("reaches a legacy HTTP+SSE server, configured as sse or found by falling back from streamable-http", async () => {
    const sseUrl = inject("downstream").beta.replace(/\/mcp$/, "/sse");
    const configured = await registerServer("beta", { transport: "sse", url: sseUrl });
    const fellBack = await registerServer("beta", { transport: "streamable-http", url: sseUrl });
    const { client } = await connectClient();
    expect(textOf(await client.callTool({ name: `${configured}__echo`, arguments: { text: "old" } }))).toBe("beta: old");
    expect(textOf(await client.callTool({ name: `${fellBack}__echo`, arguments: { text: "older" } }))).toBe("beta: older");
    await client.close();
  });

  it("shares a server's catalog between sessions, so a new session does not connect just to list", async () => {
    const serverId = await registerServer("alpha");
    const sessionsSeen = async (client: Client) =>
      (JSON.parse(textOf(await client.callTool({ name: `${serverId}__stats` }))) as { sessions: number }).sessions;
    const first = (await connectClient()).client;
    await listAll(first, "tools");
    const before = await sessionsSeen(first);
    const second = (await connectClient()).client;
    expect((await listAll(second, "tools")).some((t) => t.name === `${serverId}__echo`)).toBe(true);
    expect(await sessionsSeen(first)).toBe(before);
    await Promise.all([first.close(), second.close()]);
  });

  it("keeps a catalog per set of client capabilities, since a server may list tools only to clients that can answer them", async () => {
    const serverId = await registerServer("alpha");
    const listsRootsOnly = async (capabilities: ClientCapabilities) => {
      const { client } = await connectClient({ capabilities });
      const names = (await listAll(client, "tools")).map((t) => t.name);
      await client.close();
      return names.includes(`${serverId}__roots_only`);
    };
    expect(await listsRootsOnly({ roots: {} })).toBe(true);
    expect(await listsRootsOnly({})).toBe(false);
    expect(await listsRootsOnly({ roots: { listChanged: true } })).toBe(true);
  });
});
