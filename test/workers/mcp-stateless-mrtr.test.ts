// MRTR through the bridge: a 2025 server's elicitation, sampling and roots requests reach a 2026-07-28
// client as `input_required` answers, and the held downstream call resumes when the client retries with
// its `inputResponses` and the `requestState` (tamper-evident, expiring). Progress and log messages go
// on the request's own SSE stream.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealRequestState } from "../../worker/mcp/stateless/request-state.ts";
import { deleteServersStartingWith } from "./gateway.ts";
import { registerServer, textOf } from "./mcp-client.ts";
import { connectStateless, statelessRequest } from "./mcp-2026-client.ts";

type RpcBody = { result?: Record<string, unknown>; error?: { code: number; message: string } };

/** The JSON-RPC messages of an SSE body, in order. */
function sseMessages(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("data: ") && line.length > 6)
    .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);
}

describe("MRTR: a 2025 server's requests of the client, through a 2026-07-28 client's retries", () => {
  let alpha: string;

  beforeAll(async () => {
    alpha = await registerServer("alpha");
  });

  afterAll(async () => {
    await deleteServersStartingWith(alpha);
  });

  it("answers elicitation, sampling and roots through the SDK v2 client's own handlers", async () => {
    const client = await connectStateless({ path: `/mcp/${alpha}`, capabilities: { elicitation: {}, sampling: {}, roots: {} } });
    const asked: string[] = [];
    client.setRequestHandler("elicitation/create", async (request) => {
      asked.push(String(request.params.message));
      return { action: "accept", content: { name: "Ada" } };
    });
    client.setRequestHandler("sampling/createMessage", async () => ({ role: "assistant", content: { type: "text", text: "4" }, model: "test-model" }));
    client.setRequestHandler("roots/list", async () => ({ roots: [{ uri: "file:///work/project", name: "project" }] }));
    try {
      expect(textOf(await client.callTool({ name: "ask", arguments: { question: "Who are you?" } }))).toBe('accept: {"name":"Ada"}');
      expect(asked).toEqual(["Who are you?"]);
      expect(textOf(await client.callTool({ name: "sample", arguments: {} }))).toBe("model said: 4");
      expect(textOf(await client.callTool({ name: "roots", arguments: {} }))).toBe("file:///work/project");
    } finally {
      await client.close();
    }
  });

  it("resumes the held call only for the requestState it issued: a tampered, expired or foreign one is refused", async () => {
    const capabilities = { elicitation: {} };
    const first = (await (await statelessRequest(`/mcp/${alpha}`, { id: 1, method: "tools/call", params: { name: "ask", arguments: {} } }, { capabilities })).json()) as RpcBody;
    expect(first.result).toMatchObject({ resultType: "input_required" });
    const inputRequests = first.result!.inputRequests as Record<string, { method: string; params: { message: string } }>;
    const [key] = Object.keys(inputRequests);
    expect(inputRequests[key!]).toMatchObject({ method: "elicitation/create", params: { message: "What is your name?" } });
    const requestState = String(first.result!.requestState);

    const retry = (state: string, id: number) =>
      statelessRequest(`/mcp/${alpha}`, { id, method: "tools/call", params: { name: "ask", arguments: {}, requestState: state, inputResponses: { [key!]: { action: "accept", content: { name: "Grace" } } } } }, { capabilities });

    const [payload, mac] = requestState.split(".");
    const tampered = (await (await retry(`${payload!.slice(0, -3)}abc.${mac}`, 2)).json()) as RpcBody;
    expect(tampered.error).toMatchObject({ code: -32602 });
    expect(tampered.error!.message).toContain("not one this gateway issued");

    const expired = await sealRequestState(env.JWT_SIGNING_KEY, {
      ...(JSON.parse(atob(payload!.replaceAll("-", "+").replaceAll("_", "/"))) as { call: string; bridge: string; subject: string; method: string; name: string | null }),
      expiresAt: Date.now() - 1,
    });
    const late = (await (await retry(expired, 3)).json()) as RpcBody;
    expect(late.error).toMatchObject({ code: -32602 });
    expect(late.error!.message).toContain("expired");

    // Issued for another tool: the state says which request it belongs to.
    const elsewhere = (await (await statelessRequest(`/mcp/${alpha}`, { id: 4, method: "tools/call", params: { name: "echo", arguments: { text: "x" }, requestState } }, { capabilities })).json()) as RpcBody;
    expect(elsewhere.error).toMatchObject({ code: -32602 });

    // The genuine state still resumes the call the refusals left held.
    const done = (await (await retry(requestState, 5)).json()) as RpcBody;
    expect(textOf(done.result)).toBe('accept: {"name":"Grace"}');
    // Used once: the call is over, so the same state resumes nothing.
    const again = (await (await retry(requestState, 6)).json()) as RpcBody;
    expect(again.error!.message).toContain("no longer holds");
  });

  it("gathers what a server asks at once (elicitation, sampling and roots) into one input_required", async () => {
    const capabilities = { elicitation: {}, sampling: {}, roots: {} };
    const call = (id: number, extra: Record<string, unknown> = {}) =>
      statelessRequest(`/mcp/${alpha}`, { id, method: "tools/call", params: { name: "ask_all", arguments: {}, ...extra } }, { capabilities });
    const first = (await (await call(1)).json()) as RpcBody;
    expect(first.result).toMatchObject({ resultType: "input_required" });
    const inputRequests = first.result!.inputRequests as Record<string, { method: string }>;
    expect(Object.values(inputRequests).map((input) => input.method).sort()).toEqual(["elicitation/create", "roots/list", "sampling/createMessage"]);
    const answers: Record<string, unknown> = {
      "elicitation/create": { action: "accept", content: { name: "Ada" } },
      "sampling/createMessage": { role: "assistant", content: { type: "text", text: "hi" }, model: "m" },
      "roots/list": { roots: [{ uri: "file:///work" }] },
    };
    const inputResponses = Object.fromEntries(Object.entries(inputRequests).map(([key, input]) => [key, answers[input.method]]));
    const done = (await (await call(2, { requestState: first.result!.requestState, inputResponses })).json()) as RpcBody;
    expect(textOf(done.result)).toBe('elicitation: {"name":"Ada"}; sampling: hi; roots: file:///work');
  });

  it("refuses at once, with -32602 naming what is wrong, a retry whose inputResponses are malformed; the call stays held", async () => {
    const capabilities = { elicitation: {} };
    const call = (id: number, extra: Record<string, unknown> = {}) =>
      statelessRequest(`/mcp/${alpha}`, { id, method: "tools/call", params: { name: "ask", arguments: {}, ...extra } }, { capabilities });
    const first = (await (await call(1)).json()) as RpcBody;
    const [key] = Object.keys(first.result!.inputRequests as Record<string, unknown>);
    const requestState = first.result!.requestState;

    const malformed = (await (await call(2, { requestState, inputResponses: { [key!]: "x" } })).json()) as RpcBody;
    expect(malformed.error).toMatchObject({ code: -32602 });
    expect(malformed.error!.message).toContain(`inputResponses["${key}"]`);
    expect(malformed.error!.message).toContain("elicitation/create");

    const done = (await (await call(3, { requestState, inputResponses: { [key!]: { action: "accept", content: { name: "Lin" } } } })).json()) as RpcBody;
    expect(textOf(done.result)).toBe('accept: {"name":"Lin"}');
  });

  it("answers a server's roots/list on connect, which names no call, from the roots the client last gave, or refuses it cleanly", async () => {
    const reader = await registerServer("alpha", { headers: { "x-roots-on-connect": "1" } });
    const call = (id: number, capabilities: Record<string, object>, name: string, extra: Record<string, unknown> = {}) =>
      statelessRequest(`/mcp/${reader}`, { id, method: "tools/call", params: { name, arguments: {}, ...extra } }, { capabilities });
    // A connection opened by no call (server/discover); the server lists connect_roots once its roots/list is answered.
    const connectRoots = async (capabilities: Record<string, object>) => {
      await statelessRequest(`/mcp/${reader}`, { method: "server/discover" }, { capabilities });
      const listed = async () => {
        const tools = ((await (await statelessRequest(`/mcp/${reader}`, { method: "tools/list" }, { capabilities })).json()) as RpcBody).result!.tools as { name: string }[];
        return tools.some((tool) => tool.name === "connect_roots");
      };
      await expect.poll(listed, { timeout: 10_000 }).toBe(true);
      return textOf(((await (await call(1, capabilities, "connect_roots")).json()) as RpcBody).result);
    };
    try {
      // No roots known yet: refused, and the connection goes on.
      expect(await connectRoots({ roots: {} })).toContain("refused");
      const first = (await (await call(2, { roots: {} }, "roots")).json()) as RpcBody;
      expect(first.result).toMatchObject({ resultType: "input_required" });
      const [key] = Object.keys(first.result!.inputRequests as Record<string, unknown>);
      const answered = (await (await call(3, { roots: {} }, "roots", { requestState: first.result!.requestState, inputResponses: { [key!]: { roots: [{ uri: "file:///work/given" }] } } })).json()) as RpcBody;
      expect(textOf(answered.result)).toBe("file:///work/given");

      // Another capability set opens another connection: its roots/list on connect gets the roots the client gave.
      expect(await connectRoots({ roots: { listChanged: true } })).toBe("roots: file:///work/given");
    } finally {
      await deleteServersStartingWith(reader);
    }
  });

  it("keeps a held call through the bridge's restart: the retry runs the call again, answering the server's questions with what the client gave", async () => {
    const capabilities = { elicitation: {} };
    const call = (id: number, extra: Record<string, unknown> = {}) =>
      statelessRequest(`/mcp/${alpha}`, { id, method: "tools/call", params: { name: "ask", arguments: { question: "Kept?" }, ...extra } }, { capabilities });
    const first = (await (await call(1)).json()) as RpcBody;
    expect(first.result).toMatchObject({ resultType: "input_required" });
    const [key] = Object.keys(first.result!.inputRequests as Record<string, unknown>);

    // Its downstream call in flight keeps the object from being evicted politely: it is reset, as by a restart.
    await runInDurableObject(env.SERVER_BRIDGE.getByName(`owner/${alpha}/${alpha}`), (_bridge, state) => state.abort("restart")).catch(() => {});

    const done = (await (await call(2, { requestState: first.result!.requestState, inputResponses: { [key!]: { action: "accept", content: { name: "Kept" } } } })).json()) as RpcBody;
    expect(textOf(done.result)).toBe('accept: {"name":"Kept"}');
    // Used once, as before the eviction.
    const again = (await (await call(3, { requestState: first.result!.requestState, inputResponses: { [key!]: { action: "accept", content: {} } } })).json()) as RpcBody;
    expect(again.error!.message).toContain("no longer holds");
  });

  it("sends progress on the request's own stream, before its result", async () => {
    const response = await statelessRequest(`/mcp/${alpha}`, { method: "tools/call", params: { name: "slow", arguments: { steps: 3, delayMs: 10 }, _meta: { progressToken: "p-1" } } });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const messages = sseMessages(await response.text());
    const progress = messages.filter((m) => m.method === "notifications/progress");
    expect(progress.map((m) => (m.params as { progress: number }).progress)).toEqual([1, 2, 3]);
    expect(progress.every((m) => (m.params as { progressToken: string }).progressToken === "p-1")).toBe(true);
    expect(textOf((messages.at(-1) as { result: unknown }).result)).toBe("alpha: done after 3 steps");

    const logged = sseMessages(await (await statelessRequest(`/mcp/${alpha}`, { method: "tools/call", params: { name: "log", arguments: { level: "warning", message: "disk almost full", related: true }, _meta: { progressToken: "p-2" } } })).text());
    expect(logged.find((m) => m.method === "notifications/message")).toMatchObject({ params: { level: "warning", data: "disk almost full" } });
    expect(logged.at(-1)).toHaveProperty("result");
  });
});
