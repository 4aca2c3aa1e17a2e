// Raw Streamable HTTP against the gateway, for what the SDK client hides: SSE event ids, dropped
// streams, Last-Event-ID resumption and evictions of the session's Durable Object.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { request } from "./gateway.ts";

const SSE_AND_JSON = "application/json, text/event-stream";

export interface SseEvent {
  id?: string;
  data: string;
}

export function mcp(init: { method?: string; sessionId?: string; body?: unknown; headers?: Record<string, string>; credential?: string; path?: string }) {
  return request(init.path ?? "/mcp", {
    method: init.method ?? "POST",
    headers: {
      authorization: `Bearer ${init.credential ?? env.OWNER_KEY}`,
      accept: SSE_AND_JSON,
      "content-type": "application/json",
      ...(init.sessionId ? { "mcp-session-id": init.sessionId } : {}),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
  });
}

export async function openSession(options: { credential?: string; protocolVersion?: string; path?: string; capabilities?: Record<string, unknown> } = {}): Promise<string> {
  const response = await mcp({
    credential: options.credential,
    path: options.path,
    body: {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: options.protocolVersion ?? "2025-11-25", capabilities: options.capabilities ?? {}, clientInfo: { name: "raw", version: "1" } },
    },
  });
  expect(response.status).toBe(200);
  const sessionId = response.headers.get("mcp-session-id");
  expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
  await response.body?.cancel();
  const initialized = await mcp({ sessionId: sessionId!, credential: options.credential, path: options.path, body: { jsonrpc: "2.0", method: "notifications/initialized" } });
  expect(initialized.status).toBe(202);
  return sessionId!;
}

/** Reads one SSE event at a time off a body, keeping the stream open between reads; null at its end. */
export function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    async next(): Promise<SseEvent | null> {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { data: "" };
          for (const line of block.split("\n")) {
            if (line.startsWith("id: ")) event.id = line.slice(4);
            if (line.startsWith("data: ")) event.data += line.slice(6);
          }
          return event;
        }
        const { done, value } = await reader.read();
        if (done) return null;
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

/** Reads SSE events until `until` says stop (the client then drops the connection) or the stream ends. */
export async function readEvents(body: ReadableStream<Uint8Array>, until: (events: SseEvent[]) => boolean = () => false): Promise<SseEvent[]> {
  const reader = sseReader(body);
  const events: SseEvent[] = [];
  for (let event = await reader.next(); event !== null; event = await reader.next()) {
    events.push(event);
    if (until(events)) {
      await reader.cancel();
      break;
    }
  }
  return events;
}

/** The next JSON-RPC message on a stream that `match` accepts. */
export async function nextMessage(reader: ReturnType<typeof sseReader>, match: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (let event = await reader.next(); event !== null; event = await reader.next()) {
    if (event.data.trim() === "") continue;
    const message = JSON.parse(event.data) as Record<string, unknown>;
    if (match(message)) return message;
  }
  throw new Error("the stream ended first");
}

/**
 * Evicts the session's Durable Object: its memory (downstream connections, live streams, waits) is gone
 * and the next request meets a fresh instance over the same SQLite storage. The plugin's
 * evictDurableObject() would wait for the object's open sockets (downstream SSE, Postgres) to close,
 * which an eviction in production does not; ctx.abort() resets the object the way eviction does.
 */
export async function evictSession(sessionId: string): Promise<void> {
  await runInDurableObject(env.MCP_SESSION.getByName(sessionId), (_instance, state) => state.abort("evicted by test")).catch(
    (error: unknown) => expect(String(error)).toContain("evicted by test"),
  );
}

export const messagesOf = (events: SseEvent[]) => events.filter((e) => e.data.trim() !== "").map((e) => JSON.parse(e.data) as Record<string, unknown>);
