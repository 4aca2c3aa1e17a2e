import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import { isJSONRPCRequest, type JSONRPCMessage, type RequestId } from "@modelcontextprotocol/sdk/types.js";

/**
 * More server requests than this outstanding at once on one connection is no real workload; the oldest
 * notes go first, so a stream that was cut off (whose end is never seen) cannot make the map grow.
 */
const MAX_NOTED = 256;

/**
 * Which of our requests to a server each of the server's own requests belongs to. A Streamable HTTP
 * server sends `elicitation/create`, `sampling/createMessage` or `roots/list` for a tool call on that
 * call's POST stream, but the SDK Client hands them over without saying which stream they came on. So
 * each POST's SSE stream is read on its way to the SDK, and every request the server sends on it is noted
 * against the id of the request that opened the stream. One instance per downstream connection: ids are
 * only unique within one.
 */
export class RequestOrigins {
  readonly #origins = new Map<string, RequestId>();
  readonly #send: typeof fetch;
  #lastSent: RequestId | undefined;

  /** `send` carries the requests: plain fetch (called unbound: workerd refuses another `this`), or a stdio server's bridge. */
  constructor(send: typeof fetch = (input, init) => fetch(input, init)) {
    this.#send = send;
  }

  /** Runs `send`, which must hand one request to this connection's transport at once, and says its id. */
  sending<T>(send: () => T): { id: RequestId | undefined; result: T } {
    this.#lastSent = undefined;
    const result = send();
    return { id: this.#lastSent, result };
  }

  /** The id of our request on whose stream the server sent its request `serverRequestId`; asked once. */
  take(serverRequestId: RequestId): RequestId | undefined {
    const key = JSON.stringify(serverRequestId);
    const origin = this.#origins.get(key);
    this.#origins.delete(key);
    return origin;
  }

  /** A server request a transport made up itself for one of our requests (a 2026 server's `input_required`). */
  note(serverRequestId: RequestId, opener: RequestId): void {
    this.#origins.set(JSON.stringify(serverRequestId), opener);
  }

  noteSent(message: JSONRPCMessage): void {
    if (isJSONRPCRequest(message)) this.#lastSent = message.id;
  }

  /** The `fetch` for the connection's transport. */
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await this.#send(input, init);
    const opener = requestIdOf(init?.body);
    const isStream = response.headers.get("content-type")?.toLowerCase().startsWith("text/event-stream") ?? false;
    if (opener === undefined || !isStream || !response.body) return response;
    const noted: string[] = [];
    const watched = response.body.pipeThrough(
      sseDataTap((data) => {
        // Most events are progress, logs and the result: only one that names a method can be a request.
        if (!data.includes('"method"')) return;
        const message = parseJson(data);
        if (!isJSONRPCRequest(message)) return;
        const key = JSON.stringify(message.id);
        this.#origins.set(key, opener);
        noted.push(key);
        for (const oldest of this.#origins.keys()) {
          if (this.#origins.size <= MAX_NOTED) break;
          this.#origins.delete(oldest);
        }
      }, () => {
        // A request never asked about (the SDK refused it) must not outlive its stream.
        for (const key of noted) this.#origins.delete(key);
      }),
    );
    return new Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** The Streamable HTTP transport, telling `origins` the id of each request it sends as it sends it. */
export class TracedTransport extends StreamableHTTPClientTransport {
  readonly #origins: RequestOrigins;

  constructor(url: URL, headers: Record<string, string>, origins: RequestOrigins) {
    super(url, { requestInit: { headers }, fetch: origins.fetch });
    this.#origins = origins;
  }

  override send(message: JSONRPCMessage | JSONRPCMessage[], options?: TransportSendOptions): Promise<void> {
    if (!Array.isArray(message)) this.#origins.noteSent(message);
    return super.send(message, options);
  }
}

function requestIdOf(body: RequestInit["body"]): RequestId | undefined {
  if (typeof body !== "string") return undefined;
  const message = parseJson(body);
  return isJSONRPCRequest(message) ? message.id : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Passes the bytes through unchanged, and hands each SSE event's data to `onData` before the bytes that
 * complete it go on: whoever reads the stream next sees nothing the tap has not.
 */
function sseDataTap(onData: (data: string) => void, onEnd: () => void): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  let pending = "";
  let data: string[] = [];
  const consume = (text: string) => {
    pending += text;
    // A trailing "\r" may be the first half of a "\r\n" split across chunks: it waits for the next one.
    const held = pending.endsWith("\r") ? "\r" : "";
    const lines = pending.slice(0, pending.length - held.length).split(/\r\n|\r|\n/);
    // The last piece is half a line until its line break arrives.
    pending = (lines.pop() ?? "") + held;
    for (const line of lines) {
      if (line === "") {
        if (data.length > 0) onData(data.join("\n"));
        data = [];
      } else if (line.startsWith("data:")) {
        data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      }
    }
  };
  return new TransformStream({
    transform(chunk, controller) {
      consume(decoder.decode(chunk, { stream: true }));
      controller.enqueue(chunk);
    },
    flush() {
      consume(decoder.decode());
      onEnd();
    },
  });
}
