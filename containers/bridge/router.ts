import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import type { StdioChild } from "./child.ts";

/** Where messages for one client request go: the SSE stream of the POST that carried it. */
export interface ReplySink {
  send(message: JSONRPCMessage, relatedRequestId: RequestId): Promise<void>;
}

interface InFlight {
  client: string;
  originalId: RequestId;
  progressToken: string | number | undefined;
  sink: ReplySink;
}

const INTERNAL_ERROR = -32603;
const METHOD_NOT_FOUND = -32601;

/**
 * Multiplexes many HTTP clients onto one stdio server. Each client request gets an id of the bridge's
 * own on the way in (ids are only unique per client) and its own back on the way out; progress tokens
 * likewise. The server's own requests (sampling, elicitation) and notifications go to the newest call in
 * flight, since stdio cannot say which call they belong to, but only while all calls in flight are one
 * client's; otherwise, and with no call in flight, there is no stream to carry them, and the server's
 * request is refused.
 */
export class Router {
  readonly #child: StdioChild;
  readonly #inFlight = new Map<number, InFlight>();
  #nextId = 1;

  constructor(child: StdioChild) {
    this.#child = child;
    child.onmessage = (message) => void this.#fromChild(message);
    child.onexit = (reason) => this.#failAll(reason);
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** One message a client POSTed; `client` tells clients apart (the `x-bridge-client` header). */
  async fromClient(message: JSONRPCMessage, client: string, sink: ReplySink): Promise<void> {
    if (isJSONRPCRequest(message)) return this.#request(message, client, sink);
    if (isJSONRPCNotification(message)) {
      // The bridge initialized the server itself; a client's "initialized" would be a second one.
      if (message.method === "notifications/initialized") return;
      if (message.method === "notifications/cancelled") {
        const ours = this.#ourId(client, message.params?.requestId as RequestId | undefined);
        if (ours === undefined) return;
        return this.#child.send({ ...message, params: { ...message.params, requestId: ours } });
      }
      return this.#child.send(message);
    }
    // A client's answer to the server's own request: those ids are the server's, unique already.
    return this.#child.send(message);
  }

  async #request(request: JSONRPCRequest, client: string, sink: ReplySink): Promise<void> {
    if (request.method === "initialize") {
      try {
        const result = await this.#child.ready();
        await sink.send({ jsonrpc: "2.0", id: request.id, result }, request.id);
      } catch (error) {
        await sink.send(errorReply(request.id, error instanceof Error ? error.message : String(error)), request.id);
      }
      return;
    }
    const id = this.#nextId++;
    const meta = request.params?._meta;
    const progressToken = meta?.progressToken;
    this.#inFlight.set(id, { client, originalId: request.id, progressToken, sink });
    const params = request.params && progressToken !== undefined ? { ...request.params, _meta: { ...meta, progressToken: id } } : request.params;
    try {
      await this.#child.send({ ...request, id, ...(params ? { params } : {}) });
    } catch (error) {
      this.#inFlight.delete(id);
      await sink.send(errorReply(request.id, error instanceof Error ? error.message : String(error)), request.id);
    }
  }

  async #fromChild(message: JSONRPCMessage): Promise<void> {
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      const call = typeof message.id === "number" ? this.#inFlight.get(message.id) : undefined;
      if (!call || typeof message.id !== "number") return;
      this.#inFlight.delete(message.id);
      await call.sink.send({ ...message, id: call.originalId }, call.originalId).catch(() => {});
      return;
    }
    if (isJSONRPCNotification(message) && message.method === "notifications/progress") {
      const token = message.params?.progressToken;
      const call = typeof token === "number" ? this.#inFlight.get(token) : undefined;
      if (!call || call.progressToken === undefined) return;
      await call.sink.send({ ...message, params: { ...message.params, progressToken: call.progressToken } }, call.originalId).catch(() => {});
      return;
    }
    const carrier = this.#soleClientCall();
    if (carrier) {
      await carrier.sink.send(message, carrier.originalId).catch(() => {});
    } else if (isJSONRPCRequest(message)) {
      await this.#child.send({ jsonrpc: "2.0", id: message.id, error: { code: METHOD_NOT_FOUND, message: "No single client call is in flight to carry this request" } }).catch(() => {});
    }
  }

  /**
   * The newest call in flight, if every call in flight is one client's. With calls of several clients
   * (a shared instance serves many users) the message could belong to any of them: it goes to none,
   * rather than showing one user what another's call asked.
   */
  #soleClientCall(): InFlight | undefined {
    const calls = [...this.#inFlight.values()];
    const newest = calls.at(-1);
    return newest && calls.every((call) => call.client === newest.client) ? newest : undefined;
  }

  #ourId(client: string, originalId: RequestId | undefined): number | undefined {
    for (const [id, call] of this.#inFlight) if (call.client === client && call.originalId === originalId) return id;
    return undefined;
  }

  /** The server exited: every call it had is answered now, rather than left waiting for a reply that cannot come. */
  #failAll(reason: string): void {
    const calls = [...this.#inFlight.values()];
    this.#inFlight.clear();
    for (const call of calls) void call.sink.send(errorReply(call.originalId, `${reason}. The next call starts it again.`), call.originalId).catch(() => {});
  }
}

function errorReply(id: RequestId, message: string): JSONRPCMessage {
  return { jsonrpc: "2.0", id, error: { code: INTERNAL_ERROR, message } };
}
