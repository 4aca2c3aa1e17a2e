import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { ClientCapabilities, JSONRPCRequest, Notification, RequestId, Result } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import packageJson from "../../package.json" with { type: "json" };
import type { ServerTransport } from "../db/schema.ts";
import { Redactor } from "../vault/redactor.ts";
import { errorText } from "../db/errors.ts";
import { JSONRPC_ERRORS, RpcFailure } from "./protocol.ts";
import { discoverModern, ModernTransport } from "./modern-transport.ts";
import { RequestOrigins, TracedTransport } from "./request-origins.ts";

const NO_SECRETS = new Redactor({});
const CLIENT_INFO = { name: "peta-core", version: packageJson.version };

/** After a failed connection a server is left alone this long, doubling with each failure in a row, up to a minute. */
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;

/** A server's last failure to connect, and when it may be tried again. */
export interface ConnectFailure {
  error: string;
  failedAt: number;
  failuresInARow: number;
  nextTryAt: number;
}

/**
 * Shared by every session and bridge of this isolate, by server and configuration (a changed one is tried
 * at once): until the next try is due, a call to a server that is down is answered at once with its last
 * error instead of reconnecting, so no number of sessions or retries hammers it.
 */
const connectFailures = new Map<string, ConnectFailure>();

const failureKey = (target: DownstreamTarget) => `${target.serverId}\u0000${target.fingerprint}`;

/** Connections this isolate has already reported as opened: a success is reported once, after each failure. */
const reportedConnected = new Set<string>();

function noteConnectFailure(target: DownstreamTarget, error: string, now: number): ConnectFailure {
  const failuresInARow = (connectFailures.get(failureKey(target))?.failuresInARow ?? 0) + 1;
  const backoff = Math.min(FIRST_BACKOFF_MS * 2 ** (failuresInARow - 1), MAX_BACKOFF_MS);
  const failure = { error, failedAt: now, failuresInARow, nextTryAt: now + backoff };
  connectFailures.set(failureKey(target), failure);
  reportedConnected.delete(failureKey(target));
  return failure;
}

/** A change in whether a server can be reached, for GET_SERVER_STATUS (worker/mcp/connect-outcomes.ts). */
export type ConnectOutcome = { kind: "connected"; at: number } | { kind: "failed"; failure: ConnectFailure };

/** Where and how to reach a server, once its placeholders are resolved. */
export interface ResolvedConnection {
  url: string;
  headers: Record<string, string>;
  /** Scrubs the values injected into this connection from everything the server sends back. */
  redactor: Redactor;
  /** How requests reach `url` when not by plain fetch: a stdio server's bridge (worker/servers/stdio-connector.ts). */
  fetch?: typeof fetch;
}

export interface DownstreamTarget {
  serverId: string;
  transport: ServerTransport;
  /** Changes whenever the configuration or an injected value does: a new fingerprint means a new connection. */
  fingerprint: string;
  /** Decrypts and resolves; called only when a connection is actually opened. */
  resolve(): Promise<ResolvedConnection>;
}

/** Which connection an event came from: its server, and the scrubber of the values injected into it. */
export interface EventSource {
  serverId: string;
  redactor: Redactor;
}

export interface DownstreamEvents {
  /** list_changed, notifications/message, resources/updated: everything a server says outside a reply. */
  onNotification(source: EventSource, notification: Notification): void;
  /**
   * elicitation/create, sampling/createMessage, roots/list: requests the server makes of the client.
   * `origin` is the id of our request on whose stream it came, when the transport can tell.
   */
  onReverseRequest(source: EventSource, request: JSONRPCRequest, signal: AbortSignal, origin: RequestId | undefined): Promise<Result>;
  /** A new connection is ready: the place to replay session settings such as the logging level. */
  onConnect(serverId: string, client: Client): Promise<void>;
}

export interface DownstreamOptions {
  connectTimeoutMs: number;
  /** Mirrors what the upstream client declared, so a server only asks for what can be answered. */
  capabilities: ClientCapabilities;
  /**
   * Track which call each server request belongs to even when no capability was declared: a 2026 client's
   * call must end with -32021 when its server asks anyway. A session needs no such answer, so it skips the cost.
   */
  traceUndeclared?: boolean;
  events: DownstreamEvents;
  /**
   * Told of every failed connection attempt (at most one per back-off) and of the first success after
   * one: never of a call on an open connection. It must not block: the connection waits for nothing.
   */
  onOutcome?(serverId: string, outcome: ConnectOutcome): void;
}

export interface Connection {
  fingerprint: string;
  client: Client;
  redactor: Redactor;
  /** Which of this connection's requests each of the server's own requests belongs to. */
  origins: RequestOrigins;
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

  /** What every connection of this pool tells servers the client can do: it shapes what they list. */
  get declaredCapabilities(): ClientCapabilities {
    return this.#options.capabilities;
  }

  async connection(target: DownstreamTarget): Promise<Connection> {
    let pending = this.#connections.get(target.serverId);
    if (pending) {
      const existing = await pending.catch(() => undefined);
      if (existing?.fingerprint === target.fingerprint) return existing;
      await this.drop(target.serverId);
    }
    const failed = connectFailures.get(failureKey(target));
    if (failed && failed.nextTryAt > Date.now()) {
      throw new RpcFailure(
        JSONRPC_ERRORS.DOWNSTREAM_ERROR,
        `${failed.error} (${failed.failuresInARow} failure(s) in a row; not tried again before ${new Date(failed.nextTryAt).toISOString()})`,
      );
    }
    pending = this.#connectWithRetry(target);
    this.#connections.set(target.serverId, pending);
    pending.catch(() => this.#connections.delete(target.serverId));
    return pending;
  }

  /** The open connections' clients, for settings that apply to every server (logging level, roots). */
  async connectedClients(): Promise<Client[]> {
    const settled = await Promise.all([...this.#connections.values()].map((pending) => pending.catch(() => undefined)));
    return settled.filter((connection) => connection !== undefined).map((connection) => connection.client);
  }

  /** The redactor of a server's current connection, for a log line about it; empty when it has none. */
  async redactor(serverId: string): Promise<Redactor> {
    const connection = await this.#connections.get(serverId)?.catch(() => undefined);
    return connection?.redactor ?? NO_SECRETS;
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
  async #connectWithRetry(target: DownstreamTarget): Promise<Connection> {
    const resolved = await target.resolve();
    const origins = new RequestOrigins(resolved.fetch);
    const attempt = async (): Promise<Connection> => ({
      fingerprint: target.fingerprint,
      client: await this.#connect({ serverId: target.serverId, redactor: resolved.redactor }, target.transport, resolved, origins),
      redactor: resolved.redactor,
      origins,
    });
    try {
      const connection = await attempt().catch(() => attempt());
      connectFailures.delete(failureKey(target));
      if (!reportedConnected.has(failureKey(target))) {
        reportedConnected.add(failureKey(target));
        this.#options.onOutcome?.(target.serverId, { kind: "connected", at: Date.now() });
      }
      return connection;
    } catch (error) {
      // The message quotes the URL, and with it any value injected into its path: all of it is scrubbed.
      const tried = `${target.transport} at ${urlWithoutSecrets(resolved.url)}`;
      const message = resolved.redactor.scrubText(`Could not connect to server "${target.serverId}" (${tried}): ${failureText(error)}`);
      this.#options.onOutcome?.(target.serverId, { kind: "failed", failure: noteConnectFailure(target, message, Date.now()) });
      throw new RpcFailure(JSONRPC_ERRORS.DOWNSTREAM_ERROR, message);
    }
  }

  async #connect(source: EventSource, transport: ServerTransport, resolved: ResolvedConnection, origins: RequestOrigins): Promise<Client> {
    // The older SSE transport carries the server's requests on one stream for all calls: no origins there.
    if (transport === "sse") return this.#open(source, sseTransport(resolved), origins);
    // A 2026-07-28 server is spoken to in its own revision; anything else gets the 2025 handshake.
    if (transport === "streamable-http") {
      const endpoint = { url: new URL(resolved.url), headers: resolved.headers, fetch: resolved.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init)) };
      const discover = await discoverModern(endpoint, this.#options.capabilities, CLIENT_INFO, this.#options.connectTimeoutMs);
      if (discover) return this.#open(source, new ModernTransport(endpoint, discover, origins), origins);
    }
    // A server asks the client things only if the client declared it can answer; when it declared none,
    // there is no server request to place, and no stream to read twice (unless asked to: traceUndeclared).
    const answersServer = Object.keys(this.#options.capabilities).length > 0 || this.#options.traceUndeclared === true;
    const streamable = answersServer
      ? new TracedTransport(new URL(resolved.url), resolved.headers, origins)
      : new StreamableHTTPClientTransport(new URL(resolved.url), { requestInit: { headers: resolved.headers }, ...(resolved.fetch ? { fetch: resolved.fetch } : {}) });
    try {
      return await this.#open(source, streamable, origins);
    } catch (error) {
      // Servers that predate Streamable HTTP answer its POST with 4xx; their SSE endpoint is the fallback.
      // A stdio server's bridge speaks Streamable HTTP only.
      if (!isHttpClientError(error) || transport === "stdio") throw error;
      return this.#open(source, sseTransport(resolved), origins).catch((fallback: unknown) => {
        throw new Error(`${failureText(error)}, and the SSE fallback: ${failureText(fallback)}`);
      });
    }
  }

  async #open(source: EventSource, transport: Transport, origins: RequestOrigins): Promise<Client> {
    const { serverId } = source;
    const client = new Client(
      CLIENT_INFO,
      { capabilities: this.#options.capabilities, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
    );
    const { events } = this.#options;
    client.fallbackNotificationHandler = async (notification) => events.onNotification(source, notification);
    client.fallbackRequestHandler = (request, extra) => events.onReverseRequest(source, request, extra.signal, origins.take(request.id));
    client.onerror = (error) => {
      // A stream cut under a call leaves the SDK waiting for a reply that cannot come; closing the client
      // fails those calls at once ("Connection closed"), and the next call reconnects.
      if (/disconnected|connection lost|other side closed|ECONNRESET/i.test(error.message)) void client.close().catch(() => {});
    };
    client.onclose = () => {
      // A connection that closed under us is forgotten; the next call opens a fresh one.
      void this.#connections
        .get(serverId)
        ?.then((c) => c.client === client && this.#connections.delete(serverId))
        .catch(() => {});
    };
    try {
      // A timeout, not an AbortSignal.timeout: the SDK keeps listening to a signal after the handshake,
      // and would send the server a stray notifications/cancelled (waking a sleeping stdio instance) when it fired.
      await client.connect(transport, { timeout: this.#options.connectTimeoutMs });
      await events.onConnect(serverId, client);
      return client;
    } catch (error) {
      await client.close().catch(() => {});
      throw error;
    }
  }
}

function sseTransport(connection: ResolvedConnection): Transport {
  const withHeaders: typeof fetch = (input, init) =>
    fetch(input, { ...init, headers: { ...connection.headers, ...Object.fromEntries(new Headers(init?.headers).entries()) } });
  return new SSEClientTransport(new URL(connection.url), { requestInit: { headers: connection.headers }, eventSourceInit: { fetch: withHeaders } });
}

/** An HTTP refusal as its status (the SDK's own text for it names the wrong transport); anything else as its message. */
function failureText(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" && code >= 100 && code < 600 ? `HTTP ${code}` : errorText(error);
}

/** Where a connection went, fit for an error message: no userinfo, query string or fragment, which may hold credentials. */
function urlWithoutSecrets(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(an invalid URL)";
  }
}

function isHttpClientError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" && code >= 400 && code < 500;
}

