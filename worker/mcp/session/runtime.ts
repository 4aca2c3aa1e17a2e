import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CallToolResultSchema,
  type ClientCapabilities,
  CompleteResultSchema,
  EmptyResultSchema,
  GetPromptResultSchema,
  type Implementation,
  type JSONRPCRequest,
  McpError as SdkMcpError,
  type Notification,
  ReadResourceResultSchema,
  type Result,
} from "@modelcontextprotocol/sdk/types.js";
import packageJson from "../../../package.json" with { type: "json" };
import type { AppEnv } from "../../env.ts";
import { auditArguments } from "../../audit/arguments.ts";
import { logEvent } from "../../observability/log.ts";
import { VaultError } from "../../vault/errors.ts";
import {
  listPrompts,
  listResources,
  listResourceTemplates,
  listTools,
  paginate,
  presentContent,
  presentUri,
  resolveName,
  resolveUri,
  type View,
} from "../aggregate.ts";
import type { CatalogList } from "../catalog.ts";
import type { McpConfig } from "../config.ts";
import { DownstreamPool } from "../downstream.ts";
import { errorText } from "../../db/errors.ts";
import { parseExposedName, parseExposedUri } from "../names.ts";
import {
  BATCH_PROTOCOL_VERSION,
  errorResponse,
  isNotification,
  isRequest,
  isResponse,
  JSONRPC_ERRORS,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  negotiateVersion,
  type RequestId,
  RpcFailure,
} from "../protocol.ts";
import { LiveStreams, SSE_HEADERS, sseEvent } from "./live-streams.ts";
import { jsonRpcReply, SESSION_HEADER, sessionNotFound, transportError } from "./responses.ts";
import { NeedsConfiguration, type ServerAccess, ServerDirectory } from "./server-directory.ts";
import { type SessionRecord, SessionStore, STANDALONE_STREAM } from "./store.ts";
import type { Caller, CloseInput, ListenInput, OpenInput, PostInput, SessionAudit } from "./types.ts";

/** Requests that go to a downstream server and may take a while: they are answered on an SSE stream. */
const ROUTED_DOWNSTREAM = new Set([
  "tools/call",
  "prompts/get",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "completion/complete",
]);

/** Reverse requests a downstream may make, and the client capability each needs. */
const REVERSE_CAPABILITIES: Record<string, keyof ClientCapabilities> = {
  "elicitation/create": "elicitation",
  "sampling/createMessage": "sampling",
  "roots/list": "roots",
};

/** Servers from the 2025-11-25 revision on expect a priming event (SEP-1699) to make a stream resumable. */
const PRIMING_FROM = "2025-11-25";

interface InFlight {
  controller: AbortController;
  /** Who sent this request: the role and address may differ from when the session was opened. */
  caller: Caller;
  serverId: string | null;
  /** What the audit record names: the client's name until routing finds the original. */
  subject: { name: string | null; arguments: unknown };
  /** Servers read while answering this request: resolving a name and forwarding need one read, not two. */
  rows: Map<string, ServerAccess>;
  streamId: string | null;
  /** The id the downstream client gave this request when it forwarded it: the server's requests name it. */
  downstreamId: RequestId | undefined;
  cancelled: boolean;
}

/** What a request's audit record names before routing: the tool or prompt name, or the resource URI. */
function subjectOf(request: Pick<JsonRpcRequest, "params">): InFlight["subject"] {
  const params = request.params ?? {};
  return { name: typeof params.name === "string" ? params.name : typeof params.uri === "string" ? params.uri : null, arguments: params.arguments };
}

interface ReverseWait {
  resolve(result: Result): void;
  reject(error: Error): void;
}

/**
 * Everything one MCP session does: it answers the upstream client, routes to downstream servers and
 * relays what they send back. It lives inside the session's Durable Object; durable state goes through
 * SessionStore, live connections stay in memory and are rebuilt on demand after an eviction.
 */
export class SessionRuntime {
  readonly #config: McpConfig;
  readonly #store: SessionStore;
  readonly #streams = new LiveStreams();
  readonly #inFlight = new Map<string, InFlight>();
  readonly #reverseWaits = new Map<string, ReverseWait>();
  readonly #audit: SessionAudit;
  readonly #directory: ServerDirectory;
  #record: SessionRecord | null;
  #pool: DownstreamPool | null = null;

  constructor(env: AppEnv, config: McpConfig, store: SessionStore, audit: SessionAudit) {
    this.#config = config;
    this.#store = store;
    this.#audit = audit;
    this.#directory = new ServerDirectory(env, config, () => this.#record!, () => this.#downstream());
    this.#record = store.load();
  }

  // ---- the four entry points -------------------------------------------------------------------------

  async open(input: OpenInput): Promise<Response> {
    if (this.#record) return sessionNotFound(); // ids are random; a clash means someone is guessing
    const params = input.initialize.params ?? {};
    const started = Date.now();
    const record: SessionRecord = {
      sessionId: input.sessionId,
      subject: input.caller.subject,
      principal: input.caller.principal,
      ip: input.caller.ip,
      scope: input.scope,
      protocolVersion: negotiateVersion(params.protocolVersion),
      clientCapabilities: (params.capabilities ?? {}) as ClientCapabilities,
      clientInfo: (params.clientInfo ?? { name: "unknown", version: "unknown" }) as Implementation,
      loggingLevel: null,
    };
    // Set first: answering initialize for /mcp/<serverId> already talks to that server through this session.
    this.#record = record;
    const subject = { caller: input.caller, serverId: record.scope, subject: { name: null, arguments: undefined } };
    let result: Record<string, unknown>;
    try {
      result = await this.#initializeResult(record);
    } catch (error) {
      const failure = this.#failure(input.initialize.id, error);
      await this.#recordCall("initialize", subject, started, failure);
      await this.teardown("initialize failed");
      return jsonRpcReply(failure);
    }
    this.#store.save(record);
    const response: JsonRpcResponse = { jsonrpc: "2.0", id: input.initialize.id, result };
    await this.#recordCall("initialize", subject, started, response);
    logEvent("session.open", { sessionId: record.sessionId, subject: record.subject, scope: record.scope, client: record.clientInfo.name });
    return jsonRpcReply(response, 200, record.sessionId);
  }

  async receive(input: PostInput): Promise<Response> {
    const record = this.#authorize(input);
    if (!record) return this.#refuse(input, input.messages.flatMap((m) => (isRequest(m) || isNotification(m) ? [m] : [])));
    if (input.batch && record.protocolVersion !== BATCH_PROTOCOL_VERSION) {
      return transportError(400, JSONRPC_ERRORS.INVALID_REQUEST, `Batches are not supported in protocol version ${record.protocolVersion}`);
    }
    this.#store.prune(this.#config.eventRetentionCount, this.#config.eventRetentionMs, Date.now());

    const requests: JsonRpcRequest[] = [];
    for (const message of input.messages) {
      if (isRequest(message)) requests.push(message);
      else if (isNotification(message)) this.#onClientNotification(message);
      else if (isResponse(message)) this.#onClientResponse(message);
    }
    if (requests.length === 0) return new Response(null, { status: 202 });

    if (!input.acceptsSse || !requests.some((r) => ROUTED_DOWNSTREAM.has(r.method))) {
      this.#store.addPending(null, requests, input.caller, Date.now());
      const responses = await Promise.all(requests.map((r) => this.#answer(r, null, input.caller, () => this.#store.settle(null, r.id))));
      const answered = responses.filter((r) => r !== null);
      return jsonRpcReply(input.batch ? answered : answered[0]!);
    }

    const streamId = crypto.randomUUID();
    this.#store.addPending(streamId, requests, input.caller, Date.now());
    const body = this.#streams.open(streamId);
    if (record.protocolVersion >= PRIMING_FROM) this.#emit(streamId, null);
    for (const request of requests) {
      // Left in flight, the request is answered and audited as interrupted when the object next starts.
      void this.#answerOnStream(streamId, request, input.caller).catch((error: unknown) =>
        logEvent("request.error", { sessionId: record.sessionId, error: errorText(error) }, "error"),
      );
    }
    return new Response(body, { headers: { ...SSE_HEADERS, [SESSION_HEADER]: record.sessionId } });
  }

  /** GET: the standalone stream, or the replay of a dropped stream from `Last-Event-ID` onwards. */
  listen(input: ListenInput): Response {
    const record = this.#authorize(input);
    if (!record) return this.#refuse(input, [{ method: "http/GET" }]);
    const replay = input.lastEventId ? this.#store.eventsAfter(input.lastEventId) : null;
    const streamId = replay?.streamId ?? STANDALONE_STREAM;
    // Replay and attach happen in one synchronous step: no event can slip between them, or come twice.
    const body = this.#streams.open(streamId);
    for (const event of replay?.events ?? []) this.#streams.write(streamId, sseEvent(event.id, event.message));
    if (streamId !== STANDALONE_STREAM && this.#store.pendingOn(streamId).length === 0) this.#streams.close(streamId);
    return new Response(body, { headers: { ...SSE_HEADERS, [SESSION_HEADER]: record.sessionId } });
  }

  async close(input: CloseInput): Promise<Response> {
    if (!this.#authorize(input)) return this.#refuse(input, [{ method: "http/DELETE" }]);
    await this.teardown("closed by client");
    return new Response(null, { status: 200 });
  }

  /** Ends the session: downstream connections closed, streams ended, durable state deleted. */
  async teardown(reason: string): Promise<void> {
    if (this.#record) logEvent("session.close", { sessionId: this.#record.sessionId, reason });
    for (const flight of this.#inFlight.values()) flight.controller.abort(new Error(reason));
    for (const wait of this.#reverseWaits.values()) wait.reject(new Error(reason));
    this.#streams.closeAll();
    await this.#pool?.closeAll();
    await this.#directory.close();
    this.#pool = null;
    this.#record = null;
    this.#store.destroy();
  }

  #authorize(input: { caller: Caller; scope: string | null }): SessionRecord | null {
    const record = this.#record;
    return record && record.subject === input.caller.subject && record.scope === input.scope ? record : null;
  }

  /**
   * Answers as if the session did not exist (404). When it does exist, the attempt is recorded in its
   * chain as a denial, since someone else presenting its id may hold a stolen one: one record per HTTP
   * request (a batch is counted, not listed), written without holding up the answer, so neither a flood
   * of messages nor the answer's timing tells the sender more than an unknown id would.
   */
  #refuse(input: { caller: Caller; scope: string | null }, attempted: Pick<JsonRpcRequest, "method" | "params">[]): Response {
    const record = this.#record;
    const first = attempted[0];
    if (record && first) {
      const denial = record.subject === input.caller.subject ? "the session belongs to another endpoint" : "the session belongs to another identity";
      const refused = errorResponse(null, JSONRPC_ERRORS.SESSION_NOT_FOUND, "Session not found");
      const subject = { name: subjectOf(first).name, arguments: attempted.length > 1 ? { batch: attempted.length } : undefined };
      void this.#recordCall(first.method, { caller: input.caller, serverId: null, subject }, Date.now(), refused, { denial }).catch((error: unknown) =>
        logEvent("audit.record_failed", { sessionId: record.sessionId, error: errorText(error) }, "error"),
      );
    }
    return sessionNotFound();
  }

  // ---- answering requests ----------------------------------------------------------------------------

  async #answerOnStream(streamId: string, request: JsonRpcRequest, caller: Caller): Promise<void> {
    await this.#answer(request, streamId, caller, (response) => {
      if (!this.#record) return; // the session ended while the request ran
      if (response) this.#emit(streamId, response);
      if (this.#store.settle(streamId, request.id) === 0) this.#streams.close(streamId);
    });
  }

  /**
   * Runs one request; null when the client cancelled it (a cancelled request gets no response).
   * `deliver` stores the answer and marks the request settled in the same step as its audit record,
   * so an eviction leaves either all three or none: never a call audited twice or answered twice.
   */
  async #answer(
    request: JsonRpcRequest,
    streamId: string | null,
    caller: Caller,
    deliver: (response: JsonRpcResponse | null) => void,
  ): Promise<JsonRpcResponse | null> {
    const key = JSON.stringify(request.id);
    const flight: InFlight = {
      controller: new AbortController(),
      caller,
      serverId: null,
      subject: subjectOf(request),
      rows: new Map(),
      streamId,
      downstreamId: undefined,
      cancelled: false,
    };
    this.#inFlight.set(key, flight);
    const started = Date.now();
    let response: JsonRpcResponse;
    try {
      response = { jsonrpc: "2.0", id: request.id, result: await this.#dispatch(request, flight) };
    } catch (error) {
      response = this.#failure(request.id, error);
    } finally {
      this.#inFlight.delete(key);
    }
    const answer = flight.cancelled ? null : response;
    await this.#recordCall(request.method, flight, started, answer, { then: () => deliver(answer) });
    return answer;
  }

  /**
   * One audit record per request, sealed into the session's chain before the answer goes out. `then`
   * runs in the same synchronous step that stores the record: one SQLite transaction for both. A
   * `denial` records a request refused before it ran, by someone who is not the session's client.
   */
  async #recordCall(
    method: string,
    flight: Pick<InFlight, "caller" | "serverId" | "subject">,
    started: number,
    response: JsonRpcResponse | null,
    { then = () => {}, denial }: { then?: () => void; denial?: string } = {},
  ): Promise<void> {
    const record = this.#record;
    if (!record || !this.#audit.enabled) return then();
    const redactor = flight.serverId ? await this.#downstream().redactor(flight.serverId) : undefined;
    const error = response && "error" in response ? response.error : null;
    // A tool that reports failure in its result answered fine as far as JSON-RPC goes, but it failed.
    const toolFailed = response !== null && "result" in response && response.result.isError === true;
    await this.#audit.record({
      ts: new Date(started).toISOString(),
      userId: flight.caller.principal.userId,
      role: flight.caller.principal.role,
      clientName: denial ? null : (record.clientInfo.name ?? null),
      clientVersion: denial ? null : (record.clientInfo.version ?? null),
      sessionId: record.sessionId,
      ip: flight.caller.ip,
      serverId: flight.serverId,
      method,
      name: flight.subject.name,
      arguments: auditArguments(flight.subject.arguments, redactor),
      decision: denial ? "deny" : "allow",
      decisionReason: denial ?? null,
      policyId: null,
      approvalId: null,
      outcome: response === null || error || toolFailed ? "error" : "ok",
      errorCode: response === null ? JSONRPC_ERRORS.REQUEST_CANCELLED : (error?.code ?? null),
      errorMessage:
        response === null
          ? "cancelled by the client"
          : error
            ? (redactor?.scrubText(error.message) ?? error.message)
            : toolFailed
              ? "the tool reported an error (isError)"
              : null,
      latencyMs: Date.now() - started,
      responseBytes: response ? JSON.stringify(response).length : 0,
    }, then);
  }

  #failure(id: RequestId, error: unknown): JsonRpcResponse {
    if (error instanceof RpcFailure) return errorResponse(id, error.code, error.message);
    // Vault failures name the record and the reason, never a key or a value: the caller may see them.
    if (error instanceof VaultError) return errorResponse(id, JSONRPC_ERRORS.INTERNAL_ERROR, `Vault: ${error.message}`);
    logEvent("request.error", { sessionId: this.#record?.sessionId, error: errorText(error), cause: errorText((error as { cause?: unknown }).cause ?? "") }, "error");
    return errorResponse(id, JSONRPC_ERRORS.INTERNAL_ERROR, "Internal error");
  }

  async #dispatch(request: JsonRpcRequest, flight: InFlight): Promise<Record<string, unknown>> {
    const record = this.#record!;
    const view: View = { scope: record.scope };
    const params = request.params ?? {};
    switch (request.method) {
      case "ping":
        return {};
      case "initialize":
        throw new RpcFailure(JSONRPC_ERRORS.INVALID_REQUEST, "The session is already initialized");
      case "tools/list":
        return this.#page("tools", listTools(view, await this.#directory.entries()), params);
      case "prompts/list":
        return this.#page("prompts", listPrompts(view, await this.#directory.entries()), params);
      case "resources/list":
        return this.#page("resources", listResources(view, await this.#directory.entries()), params);
      case "resources/templates/list":
        return this.#page("resourceTemplates", listResourceTemplates(view, await this.#directory.entries()), params);
      case "logging/setLevel":
        return this.#setLoggingLevel(record, String(params.level ?? ""));
      case "tools/call":
        return this.#forwardNamed(request, "tool", flight, CallToolResultSchema).catch((error: unknown) => {
          // The model calling the tool should read what to do, so this is a tool result, not a protocol error.
          if (error instanceof NeedsConfiguration) return { isError: true, content: [{ type: "text", text: error.message }] };
          throw error;
        });
      case "prompts/get":
        return this.#forwardNamed(request, "prompt", flight, GetPromptResultSchema);
      case "resources/read":
        return this.#forwardUri(request, flight, ReadResourceResultSchema);
      case "resources/subscribe":
      case "resources/unsubscribe":
        return this.#forwardUri(request, flight, EmptyResultSchema);
      case "completion/complete":
        return this.#complete(request, flight);
      default:
        throw new RpcFailure(JSONRPC_ERRORS.METHOD_NOT_FOUND, `Method not found: ${request.method}`);
    }
  }

  #page(key: string, items: Record<string, unknown>[], params: Record<string, unknown>): Record<string, unknown> {
    const { page, nextCursor } = paginate(items, params.cursor, this.#config.listPageSize);
    return nextCursor ? { [key]: page, nextCursor } : { [key]: page };
  }

  async #initializeResult(record: SessionRecord): Promise<Record<string, unknown>> {
    const base = { protocolVersion: record.protocolVersion };
    if (record.scope) {
      // The single-server endpoint presents the downstream server as it is.
      const { serverInfo, instructions, capabilities } = (await this.#directory.entry(record.scope, true)).catalog;
      return { ...base, capabilities, serverInfo, ...(instructions ? { instructions } : {}) };
    }
    return {
      ...base,
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        logging: {},
        completions: {},
      },
      serverInfo: { name: "peta-core", title: "Peta Core", version: packageJson.version },
      instructions: "Tools and prompts are named <serverId>__<name>; resources are peta://<serverId>/<uri>.",
    };
  }

  async #setLoggingLevel(record: SessionRecord, level: string): Promise<Record<string, unknown>> {
    const levels = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"];
    if (!levels.includes(level)) throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `Invalid logging level "${level}"`);
    record.loggingLevel = level;
    this.#store.save(record);
    const clients = (await this.#pool?.connectedClients()) ?? [];
    await Promise.allSettled(clients.map((client) => this.#applyLoggingLevel(client)));
    return {};
  }

  async #applyLoggingLevel(client: Client): Promise<void> {
    const level = this.#record?.loggingLevel;
    if (level && client.getServerCapabilities()?.logging) {
      await client.setLoggingLevel(level as Parameters<Client["setLoggingLevel"]>[0]);
    }
  }

  // ---- routing to downstream servers -------------------------------------------------------------------

  async #forwardNamed(
    request: JsonRpcRequest,
    kind: "tool" | "prompt",
    flight: InFlight,
    schema: typeof CallToolResultSchema | typeof GetPromptResultSchema,
  ): Promise<Record<string, unknown>> {
    const params = request.params ?? {};
    if (typeof params.name !== "string") throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `"name" must be a string`);
    const view: View = { scope: this.#record!.scope };
    const target = await this.#resolveNamed(kind, params.name, flight);
    const result = await this.#forward(target.serverId, { ...params, name: target.name }, request, flight, schema);
    const present = (content: unknown) => presentContent(view, target.serverId, content);
    if (kind === "tool" && Array.isArray(result.content)) return { ...result, content: result.content.map(present) };
    if (kind === "prompt" && Array.isArray(result.messages)) {
      return { ...result, messages: (result.messages as Record<string, unknown>[]).map((message) => ({ ...message, content: present(message.content) })) };
    }
    return result;
  }

  async #resolveNamed(kind: "tool" | "prompt", name: string, flight: InFlight) {
    const scope = this.#record!.scope;
    const serverId = scope ?? parseExposedName(name)?.serverId;
    const view: View = { scope };
    if (!serverId) return resolveName(view, kind, name, []);
    try {
      return resolveName(view, kind, name, [await this.#directory.entry(serverId, false, flight.rows)]);
    } catch (error) {
      // The name may be new since the catalog was cached: look once more before calling it unknown.
      if (scope || !(error instanceof RpcFailure) || error.code !== JSONRPC_ERRORS.INVALID_PARAMS) throw error;
      return resolveName(view, kind, name, [await this.#directory.entry(serverId, true, flight.rows)]);
    }
  }

  async #forwardUri(
    request: JsonRpcRequest,
    flight: InFlight,
    schema: typeof ReadResourceResultSchema | typeof EmptyResultSchema,
  ): Promise<Record<string, unknown>> {
    const params = request.params ?? {};
    if (typeof params.uri !== "string") throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `"uri" must be a string`);
    const target = resolveUri({ scope: this.#record!.scope }, params.uri);
    const result = await this.#forward(target.serverId, { ...params, uri: target.uri }, request, flight, schema);
    if (request.method !== "resources/read" || this.#record!.scope) return result;
    const contents = (result.contents as { uri?: string }[] | undefined) ?? [];
    return { ...result, contents: contents.map((c) => (c.uri ? { ...c, uri: presentUri({ scope: null }, target.serverId, c.uri) } : c)) };
  }

  async #complete(request: JsonRpcRequest, flight: InFlight): Promise<Record<string, unknown>> {
    const params = request.params ?? {};
    const ref = (params.ref ?? {}) as { type?: string; name?: string; uri?: string };
    if (ref.type === "ref/prompt" && typeof ref.name === "string") {
      const target = await this.#resolveNamed("prompt", ref.name, flight);
      return this.#forward(target.serverId, { ...params, ref: { ...ref, name: target.name } }, request, flight, CompleteResultSchema);
    }
    if (ref.type === "ref/resource" && typeof ref.uri === "string") {
      const target = resolveUri({ scope: this.#record!.scope }, ref.uri);
      return this.#forward(target.serverId, { ...params, ref: { ...ref, uri: target.uri } }, request, flight, CompleteResultSchema);
    }
    throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `"ref" must be a ref/prompt with a name or a ref/resource with a uri`);
  }

  async #forward(
    serverId: string,
    params: Record<string, unknown>,
    request: JsonRpcRequest,
    flight: InFlight,
    schema: Parameters<Client["request"]>[1],
  ): Promise<Record<string, unknown>> {
    const target = await this.#directory.target(await this.#directory.server(serverId, flight.rows));
    flight.serverId = serverId;
    flight.subject = {
      name: typeof params.name === "string" ? params.name : typeof params.uri === "string" ? params.uri : flight.subject.name,
      arguments: params.arguments,
    };
    const { _meta, ...rest } = params as { _meta?: { progressToken?: unknown } & Record<string, unknown> };
    const { progressToken, ...meta } = _meta ?? {};
    const forwarded = Object.keys(meta).length > 0 ? { ...rest, _meta: meta } : rest;
    const { client, origins, redactor } = await this.#downstream().connection(target);
    try {
      const sent = origins.sending(() => client.request({ method: request.method, params: forwarded }, schema, {
        signal: flight.controller.signal,
        timeout: this.#config.callTimeoutMs,
        resetTimeoutOnProgress: true,
        ...(progressToken !== undefined && flight.streamId
          ? {
              onprogress: (progress) =>
                this.#emit(flight.streamId!, {
                  jsonrpc: "2.0",
                  method: "notifications/progress",
                  params: { ...redactor.scrub(progress), progressToken },
                }),
            }
          : {}),
      }));
      flight.downstreamId = sent.id;
      return redactor.scrub((await sent.result) as Record<string, unknown>);
    } catch (error) {
      // A cancelled call is no failure of the server: its connection stays, to carry the cancellation.
      if (flight.controller.signal.aborted) throw error;
      throw await this.#downstreamFailure(serverId, error);
    }
  }

  /** A downstream's own JSON-RPC error passes through; a broken connection is dropped and reported plainly. */
  async #downstreamFailure(serverId: string, error: unknown): Promise<RpcFailure> {
    const redactor = await this.#downstream().redactor(serverId);
    const message = redactor.scrubText(errorText(error));
    if (error instanceof SdkMcpError && error.code !== -32000 && error.code !== -32001) {
      return new RpcFailure(error.code, message.replace(/^MCP error -?\d+: /, ""));
    }
    await this.#pool?.drop(serverId);
    logEvent("downstream.error", { sessionId: this.#record?.sessionId, serverId, error: message }, "warn");
    return new RpcFailure(JSONRPC_ERRORS.DOWNSTREAM_ERROR, `Server "${serverId}" failed: ${message}`);
  }

  #downstream(): DownstreamPool {
    this.#pool ??= new DownstreamPool({
      connectTimeoutMs: this.#config.connectTimeoutMs,
      capabilities: this.#downstreamCapabilities(),
      events: {
        onNotification: (serverId, notification) => void this.#onDownstreamNotification(serverId, notification),
        onReverseRequest: (serverId, request, signal, origin) => this.#relayReverseRequest(serverId, request, signal, origin),
        onConnect: (_serverId, client) => this.#applyLoggingLevel(client),
      },
    });
    return this.#pool;
  }

  /** Only what the upstream client declared: a server then asks only for what can be answered. */
  #downstreamCapabilities(): ClientCapabilities {
    const declared = this.#record!.clientCapabilities;
    const capabilities: ClientCapabilities = {};
    if (declared.elicitation) capabilities.elicitation = declared.elicitation;
    if (declared.sampling) capabilities.sampling = declared.sampling;
    if (declared.roots) capabilities.roots = declared.roots;
    return capabilities;
  }

  // ---- messages in both directions -------------------------------------------------------------------

  #emit(streamId: string, message: JsonRpcMessage | null): void {
    const id = this.#store.append(streamId, message, Date.now());
    this.#streams.write(streamId, sseEvent(id, message));
  }

  /** A server's message about work in progress goes on the stream of its in-flight call, else the standalone one. */
  #streamFor(serverId: string): string {
    let streamId = STANDALONE_STREAM;
    for (const flight of this.#inFlight.values()) {
      if (flight.serverId === serverId && flight.streamId) streamId = flight.streamId;
    }
    return streamId;
  }

  #onClientNotification(notification: JsonRpcNotification): void {
    const params = notification.params ?? {};
    if (notification.method === "notifications/cancelled") {
      const flight = this.#inFlight.get(JSON.stringify(params.requestId));
      if (flight) {
        flight.cancelled = true;
        flight.controller.abort(String(params.reason ?? "cancelled by client"));
      }
    } else if (notification.method === "notifications/roots/list_changed" && this.#pool) {
      void this.#pool.connectedClients().then((clients) => {
        for (const client of clients) client.sendRootsListChanged().catch(() => {});
      });
    }
  }

  #onClientResponse(response: JsonRpcResponse): void {
    const key = JSON.stringify(response.id);
    const wait = this.#reverseWaits.get(key);
    if (!wait) return;
    this.#reverseWaits.delete(key);
    if ("result" in response) wait.resolve(response.result);
    else wait.reject(new SdkMcpError(response.error.code, response.error.message, response.error.data));
  }

  async #relayReverseRequest(serverId: string, request: JSONRPCRequest, signal: AbortSignal, origin: RequestId | undefined): Promise<Result> {
    const capability = REVERSE_CAPABILITIES[request.method];
    if (!capability || !this.#record?.clientCapabilities[capability]) {
      throw new SdkMcpError(JSONRPC_ERRORS.METHOD_NOT_FOUND, `The client does not support ${request.method}`);
    }
    const id = `peta-${crypto.randomUUID()}`;
    const key = JSON.stringify(id);
    // A request that came with a call goes on that call's stream, or on the standalone one if the call is
    // answered as JSON or is no call of the client's (a list the gateway fetched). Else: see #streamFor.
    const call = origin === undefined ? undefined : [...this.#inFlight.values()].find((f) => f.serverId === serverId && f.downstreamId === origin);
    const streamId = origin === undefined ? this.#streamFor(serverId) : (call?.streamId ?? STANDALONE_STREAM);
    const answer = new Promise<Result>((resolve, reject) => {
      this.#reverseWaits.set(key, { resolve, reject });
      signal.addEventListener("abort", () => {
        this.#emit(streamId, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: "cancelled by server" } });
        reject(new SdkMcpError(JSONRPC_ERRORS.INTERNAL_ERROR, "The server cancelled its request"));
      });
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SdkMcpError(JSONRPC_ERRORS.INTERNAL_ERROR, `The client did not answer ${request.method} in time`)),
        this.#config.callTimeoutMs,
      );
    });
    const params = request.params ? (await this.#downstream().redactor(serverId)).scrub(request.params) : undefined;
    this.#emit(streamId, { jsonrpc: "2.0", id, method: request.method, ...(params ? { params } : {}) });
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
      this.#reverseWaits.delete(key);
    }
  }

  async #onDownstreamNotification(serverId: string, notification: Notification): Promise<void> {
    const view: View = { scope: this.#record?.scope ?? null };
    const redactor = await this.#downstream().redactor(serverId);
    const params = redactor.scrub((notification.params ?? {}) as Record<string, unknown>);
    const refreshed: Record<string, CatalogList[]> = {
      "notifications/tools/list_changed": ["tools"],
      "notifications/prompts/list_changed": ["prompts"],
      "notifications/resources/list_changed": ["resources", "resourceTemplates"],
    };
    const lists = refreshed[notification.method];
    if (lists) {
      await this.#directory.refreshCatalog((await this.#directory.server(serverId)).row, lists).catch((error: unknown) =>
        logEvent("catalog.refresh_failed", { serverId, error: redactor.scrubText(errorText(error)) }, "warn"),
      );
      this.#emit(STANDALONE_STREAM, { jsonrpc: "2.0", method: notification.method });
    } else if (notification.method === "notifications/resources/updated") {
      this.#emit(STANDALONE_STREAM, { jsonrpc: "2.0", method: notification.method, params: { ...params, uri: presentUri(view, serverId, String(params.uri)) } });
    } else if (notification.method === "notifications/message") {
      const logger = view.scope ? params.logger : [serverId, params.logger].filter(Boolean).join("/");
      this.#emit(this.#streamFor(serverId), { jsonrpc: "2.0", method: notification.method, params: { ...params, ...(logger ? { logger } : {}) } });
    }
  }

  /**
   * Requests that were in flight when the Durable Object was evicted can never be answered. Each is
   * audited as failed, and one owed on a stream gets an error the client can act on, stored so that a
   * resuming stream replays it. Runs before the new instance takes any request.
   */
  async recoverInterrupted(): Promise<void> {
    try {
      await this.#recoverInterrupted();
    } catch (error) {
      // Failing here would fail every restart of the object, and with it the delivery of its audit outbox.
      logEvent("session.recovery_failed", { sessionId: this.#record?.sessionId, error: errorText(error) }, "error");
      this.#store.forgetInterrupted();
    }
  }

  async #recoverInterrupted(): Promise<void> {
    for (const { streamId, request, caller, startedAt } of this.#store.interrupted()) {
      const answer = errorResponse(request.id, JSONRPC_ERRORS.DOWNSTREAM_ERROR, "The request was interrupted when the session restarted; please retry it");
      const subject = subjectOf(request);
      const serverId = this.#record?.scope ?? (subject.name ? (parseExposedName(subject.name) ?? parseExposedUri(subject.name))?.serverId : null) ?? null;
      await this.#recordCall(request.method, { caller, serverId, subject }, startedAt, answer, {
        then: () => {
          if (streamId !== null) this.#emit(streamId, answer);
          this.#store.settle(streamId, request.id);
        },
      });
    }
  }
}
