import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type ClientCapabilities,
  type Implementation,
  isJSONRPCNotification,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type JSONRPCRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { JSONRPC_ERRORS } from "./protocol.ts";
import { encodeHeaderValue, paramHeadersFor } from "./param-headers.ts";
import type { RequestOrigins } from "./request-origins.ts";

const MODERN = "2026-07-28";
const META = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
  logLevel: "io.modelcontextprotocol/logLevel",
  serverInfo: "io.modelcontextprotocol/serverInfo",
} as const;
/** The methods whose `Mcp-Name` header mirrors a body field (SEP-2243). */
const NAME_FIELD: Record<string, string> = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri" };
const INPUT_ID_PREFIX = "peta-input:";

/** The 2026 server's own key of a question this transport asked on its behalf, from the request's id. */
export function inputKeyOf(id: unknown): string | undefined {
  if (typeof id !== "string" || !id.startsWith(INPUT_ID_PREFIX)) return undefined;
  return id.slice(id.indexOf(":", INPUT_ID_PREFIX.length) + 1);
}

/** A server that keeps asking is not answered forever. */
const MAX_ROUNDS = 16;
const LISTEN_RETRY_MS = 1000;

type Message = Record<string, unknown>;

export interface ModernEndpoint {
  url: URL;
  headers: Record<string, string>;
  fetch: typeof fetch;
}

/**
 * Asks a server whether it speaks 2026-07-28 (`server/discover`, with the per-request envelope): its
 * discover result if it does, null for anything else (a 2025 server refuses a request without a session).
 */
export async function discoverModern(endpoint: ModernEndpoint, capabilities: ClientCapabilities, clientInfo: Implementation, timeoutMs: number): Promise<Message | null> {
  const body = { jsonrpc: "2.0", id: "peta-discover", method: "server/discover", params: { _meta: envelope(capabilities, clientInfo, null) } };
  try {
    const response = await post(endpoint, body, AbortSignal.timeout(timeoutMs));
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    const reply = await readReply(response, "peta-discover", () => {});
    const result = reply?.result as Message | undefined;
    return Array.isArray(result?.supportedVersions) && result.supportedVersions.includes(MODERN) ? result : null;
  } catch {
    return null;
  }
}

/**
 * The SDK (v1) Client's transport to a server that speaks 2026-07-28: the rest of the gateway keeps its
 * one Client API, and this is where the eras meet. `initialize` is answered from the server's discover
 * result; every request is posted on its own with the envelope and the standard headers; an
 * `input_required` answer is turned into the server requests a 2025 client would have received
 * (elicitation, sampling, roots), whose answers go back in the retry with the server's `requestState`;
 * list changes and resource updates come from a `subscriptions/listen` stream, whose filter
 * `resources/subscribe` and `unsubscribe` edit.
 */
export class ModernTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  readonly #endpoint: ModernEndpoint;
  readonly #discover: Message;
  readonly #origins: RequestOrigins;
  #capabilities: ClientCapabilities = {};
  #clientInfo: Implementation = { name: "peta-core", version: "0" };
  #logLevel: string | null = null;
  readonly #inFlight = new Map<string, AbortController>();
  readonly #answers = new Map<string, (reply: Message) => void>();
  readonly #subscribed = new Set<string>();
  /** Each tool's input schema, as its listing last said: a call mirrors the arguments it declares into headers. */
  readonly #inputSchemas = new Map<string, unknown>();
  #listen: AbortController | null = null;
  #closed = false;

  constructor(endpoint: ModernEndpoint, discover: Message, origins: RequestOrigins) {
    this.#endpoint = endpoint;
    this.#discover = discover;
    this.#origins = origins;
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    this.#origins.noteSent(message);
    if (isJSONRPCRequest(message)) {
      void this.#request(message).catch((error: unknown) => this.#deliver(failure(message.id, JSONRPC_ERRORS.DOWNSTREAM_ERROR, String((error as Error).message ?? error))));
    } else if (isJSONRPCNotification(message)) {
      if (message.method === "notifications/initialized") this.#relisten();
      // 2026 cancels a request by closing its stream.
      if (message.method === "notifications/cancelled") this.#inFlight.get(JSON.stringify(message.params?.requestId))?.abort();
    } else if ("id" in message) {
      this.#answers.get(JSON.stringify(message.id))?.(message as unknown as Message);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listen?.abort();
    for (const controller of this.#inFlight.values()) controller.abort();
    this.onclose?.();
  }

  #deliver(message: Message): void {
    if (!this.#closed) this.onmessage?.(message as unknown as JSONRPCMessage);
  }

  async #request(request: JSONRPCRequest): Promise<void> {
    const params = (request.params ?? {}) as Message;
    switch (request.method) {
      case "initialize":
        this.#capabilities = (params.capabilities ?? {}) as ClientCapabilities;
        this.#clientInfo = (params.clientInfo ?? this.#clientInfo) as Implementation;
        return this.#deliver({ jsonrpc: "2.0", id: request.id, result: this.#initializeResult(String(params.protocolVersion)) });
      case "logging/setLevel":
        this.#logLevel = String(params.level);
        return this.#deliver({ jsonrpc: "2.0", id: request.id, result: {} });
      case "resources/subscribe":
      case "resources/unsubscribe":
        if (request.method === "resources/subscribe") this.#subscribed.add(String(params.uri));
        else this.#subscribed.delete(String(params.uri));
        this.#relisten();
        return this.#deliver({ jsonrpc: "2.0", id: request.id, result: {} });
    }
    const key = JSON.stringify(request.id);
    const controller = new AbortController();
    this.#inFlight.set(key, controller);
    try {
      let retry: Message = {};
      for (let round = 0; round < MAX_ROUNDS; round++) {
        // A stateless client's own capabilities, when the request carries them: the server then asks only what it can answer.
        const meta = (params._meta as Message | undefined) ?? {};
        const capabilities = (meta[META.clientCapabilities] as ClientCapabilities | undefined) ?? this.#capabilities;
        const body = { ...request, params: { ...params, ...retry, _meta: { ...meta, ...envelope(capabilities, this.#clientInfo, this.#logLevel) } } };
        const mirrored = request.method === "tools/call" ? paramHeadersFor(await this.#inputSchemaOf(String(params.name), controller.signal), params.arguments) : {};
        const response = await post(this.#endpoint, body, controller.signal, mirrored);
        const reply = (await readReply(response, request.id, (notification) => this.#deliver(notification))) ?? failure(request.id, JSONRPC_ERRORS.DOWNSTREAM_ERROR, `The server answered HTTP ${response.status} without a JSON-RPC response`);
        const result = reply.result as Message | undefined;
        if (result?.resultType !== "input_required") {
          if (result) delete result.resultType;
          if (request.method === "tools/list" && Array.isArray(result?.tools)) {
            for (const tool of result.tools as { name?: unknown; inputSchema?: unknown }[]) this.#inputSchemas.set(String(tool.name), tool.inputSchema);
          }
          return this.#deliver(reply);
        }
        const answered = await this.#ask(request, (result.inputRequests ?? {}) as Record<string, Message>);
        if ("error" in answered) return this.#deliver({ jsonrpc: "2.0", id: request.id, error: answered.error });
        retry = { inputResponses: answered.responses, ...(typeof result.requestState === "string" ? { requestState: result.requestState } : {}) };
      }
      this.#deliver(failure(request.id, JSONRPC_ERRORS.DOWNSTREAM_ERROR, `The server asked for input more than ${MAX_ROUNDS} times`));
    } finally {
      this.#inFlight.delete(key);
    }
  }

  /**
   * A tool's input schema, for its `x-mcp-header` declarations: as a listing through this connection
   * said, or else read now (the gateway's catalog may come from its cache, with no listing sent here).
   */
  async #inputSchemaOf(tool: string, signal: AbortSignal): Promise<unknown> {
    if (!this.#inputSchemas.has(tool)) {
      let cursor: unknown;
      for (let page = 0; page < MAX_ROUNDS; page++) {
        const body = { jsonrpc: "2.0", id: `peta-tools-${crypto.randomUUID()}`, method: "tools/list", params: { ...(cursor ? { cursor } : {}), _meta: envelope(this.#capabilities, this.#clientInfo, null) } };
        const result = (await readReply(await post(this.#endpoint, body, signal), body.id, () => {}))?.result as { tools?: { name?: unknown; inputSchema?: unknown }[]; nextCursor?: unknown } | undefined;
        for (const listed of result?.tools ?? []) this.#inputSchemas.set(String(listed.name), listed.inputSchema);
        cursor = result?.nextCursor;
        if (!cursor) break;
      }
      // A name the listing lacks is not looked up again on every call.
      if (!this.#inputSchemas.has(tool)) this.#inputSchemas.set(tool, undefined);
    }
    return this.#inputSchemas.get(tool);
  }

  /**
   * The server's questions, asked of the SDK Client at once, as a 2025 server would ask them; their
   * answers, by the server's keys. Each request's id carries its key, so a bridge can ask its own client
   * under the same key (inputKeyOf).
   */
  async #ask(request: JSONRPCRequest, inputRequests: Record<string, Message>): Promise<{ responses: Message } | { error: unknown }> {
    const asked = Object.entries(inputRequests).map(async ([key, input]) => {
      const id = `${INPUT_ID_PREFIX}${crypto.randomUUID()}:${key}`;
      this.#origins.note(id, request.id);
      const reply = await new Promise<Message>((resolve) => {
        this.#answers.set(JSON.stringify(id), resolve);
        this.#deliver({ jsonrpc: "2.0", id, method: input.method, ...(input.params ? { params: input.params } : {}) });
      });
      this.#answers.delete(JSON.stringify(id));
      return [key, reply] as const;
    });
    const responses: Message = {};
    for (const [key, reply] of await Promise.all(asked)) {
      if ("error" in reply) return { error: reply.error };
      responses[key] = reply.result;
    }
    return { responses };
  }

  #initializeResult(protocolVersion: string): Message {
    const { capabilities, instructions, _meta } = this.#discover as { capabilities?: Message; instructions?: string; _meta?: Message };
    const serverInfo = (_meta?.[META.serverInfo] as Implementation | undefined) ?? { name: "unknown", version: "0" };
    return { protocolVersion, capabilities: capabilities ?? {}, serverInfo, ...(instructions ? { instructions } : {}) };
  }

  /** (Re)opens the listen stream with what the server offers and what is subscribed; a dropped one is reopened. */
  #relisten(): void {
    this.#listen?.abort();
    const capabilities = (this.#discover.capabilities ?? {}) as { tools?: Message; prompts?: Message; resources?: Message };
    const notifications = {
      ...(capabilities.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(capabilities.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(capabilities.resources?.listChanged ? { resourcesListChanged: true } : {}),
      ...(this.#subscribed.size > 0 ? { resourceSubscriptions: [...this.#subscribed] } : {}),
    };
    if (this.#closed || Object.keys(notifications).length === 0) return;
    const controller = new AbortController();
    this.#listen = controller;
    const body = { jsonrpc: "2.0", id: `peta-listen-${crypto.randomUUID()}`, method: "subscriptions/listen", params: { notifications, _meta: envelope(this.#capabilities, this.#clientInfo, null) } };
    void post(this.#endpoint, body, controller.signal)
      .then((response) => readReply(response, body.id, (notification) => notification.method !== "notifications/subscriptions/acknowledged" && this.#deliver(notification)))
      .catch(() => {})
      .finally(() => {
        if (!controller.signal.aborted && !this.#closed) setTimeout(() => this.#listen === controller && this.#relisten(), LISTEN_RETRY_MS);
      });
  }
}

function envelope(capabilities: ClientCapabilities, clientInfo: Implementation, logLevel: string | null): Message {
  return { [META.protocolVersion]: MODERN, [META.clientInfo]: clientInfo, [META.clientCapabilities]: capabilities, ...(logLevel ? { [META.logLevel]: logLevel } : {}) };
}

function failure(id: unknown, code: number, message: string): Message {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

function post(endpoint: ModernEndpoint, body: Message & { method: string; params?: Message }, signal: AbortSignal, extraHeaders: Record<string, string> = {}): Promise<Response> {
  const field = NAME_FIELD[body.method];
  const name = field ? body.params?.[field] : undefined;
  return endpoint.fetch(endpoint.url, {
    method: "POST",
    signal,
    headers: {
      ...endpoint.headers,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": MODERN,
      "mcp-method": body.method,
      ...(typeof name === "string" ? { "mcp-name": encodeHeaderValue(name) } : {}),
      ...extraHeaders,
    },
    body: JSON.stringify(body),
  });
}

/**
 * The JSON-RPC response to request `id`, from a JSON body or an SSE stream; every notification on the
 * stream before it goes to `onNotification`. Null when the body holds no such response.
 */
async function readReply(response: Response, id: unknown, onNotification: (message: Message & { method: string }) => void): Promise<Message | null> {
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("text/event-stream")) {
    const parsed = (await response.json().catch(() => null)) as Message | null;
    return parsed && "jsonrpc" in parsed ? parsed : null;
  }
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += value;
      let end: number;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
        const data = event
          .split(/\r?\n/)
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5))
          .join("\n");
        if (!data) continue;
        const message = JSON.parse(data) as Message;
        if (typeof message.method === "string" && !("id" in message)) onNotification(message as Message & { method: string });
        else if (JSON.stringify(message.id) === JSON.stringify(id)) return message;
      }
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
}
