import type { ClientCapabilities, JSONRPCRequest, RequestId, Result } from "@modelcontextprotocol/sdk/types.js";
import { McpError as SdkMcpError } from "@modelcontextprotocol/sdk/types.js";
import type { CallRun } from "../core/gateway.ts";
import { subjectOf } from "../core/resolve.ts";
import { JSONRPC_ERRORS, type JsonRpcMessage, type JsonRpcRequest, type JsonRpcResponse } from "../protocol.ts";
import type { Redactor } from "../../vault/redactor.ts";
import { STANDALONE_STREAM } from "./store.ts";
import type { Caller } from "./types.ts";

/** Reverse requests a downstream may make, and the client capability each needs. */
const REVERSE_CAPABILITIES: Record<string, keyof ClientCapabilities> = {
  "elicitation/create": "elicitation",
  "sampling/createMessage": "sampling",
  "roots/list": "roots",
};

/** One request being answered: who sent it, where its answer goes, and how far routing got. */
export interface InFlight extends CallRun {
  controller: AbortController;
  /** Who sent this request: the role and address may differ from when the session was opened. */
  caller: Caller;
  streamId: string | null;
  /** The id the downstream client gave this request when it forwarded it: the server's requests name it. */
  downstreamId: RequestId | undefined;
  cancelled: boolean;
}

interface ReverseWait {
  resolve(result: Result): void;
  reject(error: Error): void;
}

/** Where a reverse request or a server's message is written; the exchange's emit. */
export type Emit = (streamId: string, message: JsonRpcMessage) => void;

/**
 * The protocol engine between the client and the servers: the requests in flight, their cancellation,
 * and the requests servers make of the client (elicitation, sampling, roots) with their timeouts.
 */
export class Calls {
  readonly #inFlight = new Map<string, InFlight>();
  readonly #reverseWaits = new Map<string, ReverseWait>();

  get size(): number {
    return this.#inFlight.size;
  }

  start(request: JsonRpcRequest, caller: Caller, streamId: string | null, scope: string | null): InFlight {
    const controller = new AbortController();
    const flight: InFlight = {
      controller,
      requestId: request.id,
      signal: controller.signal,
      caller,
      subject: subjectOf(request, scope),
      decision: null,
      streamId,
      downstreamId: undefined,
      cancelled: false,
    };
    flight.onSent = (id) => {
      flight.downstreamId = id;
    };
    this.#inFlight.set(JSON.stringify(request.id), flight);
    return flight;
  }

  finish(requestId: RequestId): void {
    this.#inFlight.delete(JSON.stringify(requestId));
  }

  /** notifications/cancelled: the request gets no answer, and its downstream call is cancelled too. */
  cancel(requestId: unknown, reason: string): void {
    const flight = this.#inFlight.get(JSON.stringify(requestId));
    if (!flight) return;
    flight.cancelled = true;
    flight.controller.abort(reason);
  }

  abortAll(reason: string): void {
    for (const flight of this.#inFlight.values()) flight.controller.abort(new Error(reason));
    for (const wait of this.#reverseWaits.values()) wait.reject(new Error(reason));
  }

  /** A server's message about work in progress goes on the stream of its newest call, else the standalone one. */
  streamFor(serverId: string): string {
    let streamId = STANDALONE_STREAM;
    for (const flight of this.#inFlight.values()) {
      if (flight.subject.serverId === serverId && flight.streamId) streamId = flight.streamId;
    }
    return streamId;
  }

  /** The client's answer to one of the reverse requests relayed to it. */
  answered(response: JsonRpcResponse): void {
    const key = JSON.stringify(response.id);
    const wait = this.#reverseWaits.get(key);
    if (!wait) return;
    this.#reverseWaits.delete(key);
    if ("result" in response) wait.resolve(response.result);
    else wait.reject(new SdkMcpError(response.error.code, response.error.message, response.error.data));
  }

  /**
   * Relays a server's request to the client and waits for its answer. A request that came with a call
   * goes on that call's stream, or on the standalone one if the call is answered as JSON or is no call
   * of the client's (a list the gateway fetched); without an origin, see streamFor.
   */
  async relay(
    relayed: { serverId: string; request: JSONRPCRequest; signal: AbortSignal; origin: RequestId | undefined; redactor: Redactor },
    client: { capabilities: ClientCapabilities; emit: Emit; timeoutMs: number },
  ): Promise<Result> {
    const { serverId, request, signal, origin } = relayed;
    const capability = REVERSE_CAPABILITIES[request.method];
    if (!capability || !client.capabilities[capability]) {
      throw new SdkMcpError(JSONRPC_ERRORS.METHOD_NOT_FOUND, `The client does not support ${request.method}`);
    }
    const id = `peta-${crypto.randomUUID()}`;
    const key = JSON.stringify(id);
    const call = origin === undefined ? undefined : [...this.#inFlight.values()].find((f) => f.subject.serverId === serverId && f.downstreamId === origin);
    const streamId = origin === undefined ? this.streamFor(serverId) : (call?.streamId ?? STANDALONE_STREAM);
    const answer = new Promise<Result>((resolve, reject) => {
      this.#reverseWaits.set(key, { resolve, reject });
      signal.addEventListener("abort", () => {
        client.emit(streamId, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: "cancelled by server" } });
        reject(new SdkMcpError(JSONRPC_ERRORS.INTERNAL_ERROR, "The server cancelled its request"));
      });
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SdkMcpError(JSONRPC_ERRORS.INTERNAL_ERROR, `The client did not answer ${request.method} in time`)), client.timeoutMs);
    });
    const params = request.params ? relayed.redactor.scrub(request.params) : undefined;
    client.emit(streamId, { jsonrpc: "2.0", id, method: request.method, ...(params ? { params } : {}) });
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
      this.#reverseWaits.delete(key);
    }
  }
}
