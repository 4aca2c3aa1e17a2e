import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { ClientCapabilities, JSONRPCRequest, Notification, Result } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import packageJson from "../../package.json" with { type: "json" };
import type { ServerTransport } from "../db/schema.ts";
import { JSONRPC_ERRORS, RpcFailure } from "./protocol.ts";

export interface DownstreamServer {
  serverId: string;
  transport: ServerTransport;
  url: string;
  headers: Record<string, string>;
}

export interface DownstreamEvents {
  /** list_changed, notifications/message, resources/updated: everything a server says outside a reply. */
  onNotification(serverId: string, notification: Notification): void;
  /** elicitation/create, sampling/createMessage, roots/list: requests the server makes of the client. */
  onReverseRequest(serverId: string, request: JSONRPCRequest, signal: AbortSignal): Promise<Result>;
  /** A new connection is ready: the place to replay session settings such as the logging level. */
  onConnect(serverId: string, client: Client): Promise<void>;
}

export interface DownstreamOptions {
  connectTimeoutMs: number;
  /** Mirrors what the upstream client declared, so a server only asks for what can be answered. */
  capabilities: ClientCapabilities;
  events: DownstreamEvents;
}

interface Connection {
  fingerprint: string;
  client: Client;
}

/**
 * The session's connections to downstream servers, opened lazily on first need with the official SDK
 * Client, and reopened when the server's configuration changes or the connection breaks.
 */
export class DownstreamPool {
  readonly #connections = new Map<string, Promise<Connection>>();
  readonly #options: DownstreamOptions;

  constructor(options: DownstreamOptions) {
    this.#options = options;
  }

  async client(server: DownstreamServer): Promise<Client> {
    const fingerprint = JSON.stringify([server.transport, server.url, server.headers]);
    let pending = this.#connections.get(server.serverId);
    if (pending) {
      const existing = await pending.catch(() => undefined);
      if (existing?.fingerprint === fingerprint) return existing.client;
      await this.drop(server.serverId);
    }
    pending = this.#connectWithRetry(server, fingerprint);
    this.#connections.set(server.serverId, pending);
    pending.catch(() => this.#connections.delete(server.serverId));
    return (await pending).client;
  }

  connectedServerIds(): string[] {
    return [...this.#connections.keys()];
  }

  /** Forgets a connection (closing it), so the next call reconnects. */
  async drop(serverId: string): Promise<void> {
    const pending = this.#connections.get(serverId);
    this.#connections.delete(serverId);
    const connection = await pending?.catch(() => undefined);
    await connection?.client.close().catch(() => {});
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#connections.keys()].map((serverId) => this.drop(serverId)));
  }

  // One retry: a server that is waking up, or a connection reset in flight, should not fail the call.
  async #connectWithRetry(server: DownstreamServer, fingerprint: string): Promise<Connection> {
    try {
      return { fingerprint, client: await this.#connect(server) };
    } catch {
      try {
        return { fingerprint, client: await this.#connect(server) };
      } catch (error) {
        throw new RpcFailure(
          JSONRPC_ERRORS.DOWNSTREAM_ERROR,
          `Could not connect to server "${server.serverId}": ${errorMessage(error)}`,
        );
      }
    }
  }

  async #connect(server: DownstreamServer): Promise<Client> {
    if (server.transport === "sse") return this.#open(server, sseTransport(server));
    try {
      return await this.#open(server, streamableTransport(server));
    } catch (error) {
      // Servers that predate Streamable HTTP answer its POST with 4xx; their SSE endpoint is the fallback.
      if (!isHttpClientError(error)) throw error;
      return this.#open(server, sseTransport(server));
    }
  }

  async #open(server: DownstreamServer, transport: Transport): Promise<Client> {
    const client = new Client(
      { name: "peta-core", version: packageJson.version },
      { capabilities: this.#options.capabilities, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
    );
    const { events } = this.#options;
    client.fallbackNotificationHandler = async (notification) => events.onNotification(server.serverId, notification);
    client.fallbackRequestHandler = (request, extra) => events.onReverseRequest(server.serverId, request, extra.signal);
    client.onerror = (error) => {
      // A stream cut under a call leaves the SDK waiting for a reply that cannot come; closing the client
      // fails those calls at once ("Connection closed"), and the next call reconnects.
      if (/disconnected|connection lost|other side closed|ECONNRESET/i.test(error.message)) void client.close().catch(() => {});
    };
    client.onclose = () => {
      // A connection that closed under us is forgotten; the next call opens a fresh one.
      void this.#connections
        .get(server.serverId)
        ?.then((c) => c.client === client && this.#connections.delete(server.serverId))
        .catch(() => {});
    };
    const timeout = AbortSignal.timeout(this.#options.connectTimeoutMs);
    try {
      await client.connect(transport, { timeout: this.#options.connectTimeoutMs, signal: timeout });
      await events.onConnect(server.serverId, client);
      return client;
    } catch (error) {
      await client.close().catch(() => {});
      throw error;
    }
  }
}

function streamableTransport(server: DownstreamServer): Transport {
  return new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: server.headers } });
}

function sseTransport(server: DownstreamServer): Transport {
  const withHeaders: typeof fetch = (input, init) =>
    fetch(input, { ...init, headers: { ...server.headers, ...Object.fromEntries(new Headers(init?.headers).entries()) } });
  return new SSEClientTransport(new URL(server.url), { requestInit: { headers: server.headers }, eventSourceInit: { fetch: withHeaders } });
}

function isHttpClientError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" && code >= 400 && code < 500;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
