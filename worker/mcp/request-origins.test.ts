import { afterEach, describe, expect, it, vi } from "vitest";
import { RequestOrigins } from "./request-origins.ts";

/** A server's answer to our POST, as an SSE body delivered in the given chunks. */
function serverStream(chunks: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

async function post(origins: RequestOrigins, chunks: string[], body: unknown): Promise<string> {
  vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(serverStream(chunks));
  const response = await origins.fetch("http://server.test/mcp", { method: "POST", body: JSON.stringify(body) });
  return response.text();
}

const elicitation = JSON.stringify({ jsonrpc: "2.0", id: "srv-1", method: "elicitation/create", params: { message: "?" } });
const result = JSON.stringify({ jsonrpc: "2.0", id: 7, result: { content: [] } });

describe("RequestOrigins", () => {
  afterEach(() => vi.restoreAllMocks());

  it("notes a server's request against the request whose stream carried it, once, and passes the bytes on unchanged", async () => {
    const origins = new RequestOrigins();
    const chunks = ["id: 1\ndata: ", `${elicitation}\n\nid: 2\ndata: ${result}\n\n`];
    const passed = await post(origins, chunks, { jsonrpc: "2.0", id: 7, method: "tools/call", params: {} });
    expect(passed).toBe(chunks.join(""));
    // The stream has ended, so what was never asked about is forgotten with it.
    expect(origins.take("srv-1")).toBeUndefined();
  });

  it("has the origin ready before the event reaches the reader, even with CRLF split across chunks", async () => {
    const origins = new RequestOrigins();
    vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(serverStream([`data: ${elicitation}\r`, "\n\r\n", `data: ${result}\r\n\r\n`]));
    const response = await origins.fetch("http://server.test/mcp", { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/call" }) });
    const reader = response.body!.getReader();
    const seen: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      seen.push(new TextDecoder().decode(value));
      if (seen.join("").includes(`${elicitation}\r\n\r\n`)) break;
    }
    expect(origins.take("srv-1")).toBe(9);
    expect(origins.take("srv-1")).toBeUndefined();
    await reader.cancel();
  });

  it("notes nothing for a stream that no request of ours opened, or for a JSON answer", async () => {
    const origins = new RequestOrigins();
    await post(origins, [`data: ${elicitation}\n\n`], { jsonrpc: "2.0", method: "notifications/initialized" });
    vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(Response.json({ jsonrpc: "2.0", id: 3, result: {} }));
    await origins.fetch("http://server.test/mcp", { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "ping" }) });
    expect(origins.take("srv-1")).toBeUndefined();
  });

  it("tells the id of the request a send hands to the transport", () => {
    const origins = new RequestOrigins();
    const sent = origins.sending(() => {
      origins.noteSent({ jsonrpc: "2.0", id: 12, method: "tools/call" });
      return "result";
    });
    expect(sent).toEqual({ id: 12, result: "result" });
    expect(origins.sending(() => origins.noteSent({ jsonrpc: "2.0", method: "notifications/cancelled" })).id).toBeUndefined();
  });
});
