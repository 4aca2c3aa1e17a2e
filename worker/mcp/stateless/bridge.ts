import type { ClientCapabilities, JSONRPCRequest, Result } from "@modelcontextprotocol/sdk/types.js";
import { McpError as SdkMcpError } from "@modelcontextprotocol/sdk/types.js";
import type { AuditFields } from "../../audit/record.ts";
import { type Principal, principalSubject } from "../../auth/principal.ts";
import type { AppEnv } from "../../env.ts";
import { type CompiledPolicy, compilePolicy } from "../../policy/compile.ts";
import { policyDecideHook } from "../../policy/hook.ts";
import { visibleCatalog } from "../../policy/list-filter.ts";
import { loadPolicySnapshot } from "../../policy/snapshot.ts";
import { callerOf } from "../../policy/types.ts";
import type { CatalogEntry } from "../aggregate.ts";
import type { McpConfig } from "../config.ts";
import type { CallContext } from "../core/context.ts";
import { type CallRun, GatewayCore, isListMethod } from "../core/gateway.ts";
import { ROUTED_METHODS, subjectOf } from "../core/resolve.ts";
import { askableCapabilities } from "../client-capabilities.ts";
import { DownstreamPool } from "../downstream.ts";
import { recordConnectOutcomeLater } from "../connect-outcomes.ts";
import { errorResponse, JSONRPC_ERRORS, type JsonRpcRequest, type JsonRpcResponse, LIST_CHANGED, RpcFailure } from "../protocol.ts";
import { errorText } from "../../db/errors.ts";
import { logEvent } from "../../observability/log.ts";
import { callAuditFields } from "../session/call-audit.ts";
import { REVERSE_CAPABILITIES } from "../session/calls.ts";
import { failureResponse } from "../session/failures.ts";
import { SSE_HEADERS } from "../session/live-streams.ts";
import { ApprovalWaits, NO_LEDGER } from "../session/approval-waits.ts";
import type { Bound } from "../session/bound.ts";
import { ServerDirectory } from "../session/server-directory.ts";
import { bridgeHolder } from "../../approvals/holder.ts";
import { SESSION_DIRECTORY_NAME } from "../../users/live-sessions.ts";
import { relayServerNotification } from "../session/server-notifications.ts";
import { STANDALONE_STREAM } from "../session/store.ts";
import { cacheHints, discoverResult, statelessFailure } from "./results.ts";
import { STATELESS_ERRORS, type StatelessClient } from "./era.ts";
import { HeldCall, malformedAnswer, type Sink } from "./held-call.ts";
import type { HeldCallStore, HeldQuestion } from "./held-store.ts";
import { Listeners, MAX_LISTENERS, SUBSCRIPTION_ID_META_KEY, type SubscriptionFilter } from "./listeners.ts";
import { openRequestState, sealRequestState } from "./request-state.ts";
import { inputKeyOf } from "../modern-transport.ts";
import { paramHeaderMismatch } from "../param-headers.ts";

/** Everything the bridge needs of one stateless request; the Worker authenticated it and checked its shape. */
export interface BridgeInput {
  /** The bridge's own name (bridgeName()): part of its audit chain's name and of every requestState it issues. */
  bridge: string;
  principal: Principal;
  ip: string | null;
  /** The endpoint: the one server of `/mcp/<serverId>`, or null for `/mcp`. */
  scope: string | null;
  request: JsonRpcRequest;
  client: StatelessClient;
  acceptsSse: boolean;
  /** The request's `Mcp-Param-*` headers (names lower-cased), checked against the tool's `x-mcp-header` declarations. */
  paramHeaders: Record<string, string>;
}

/** Where the bridge's audit records go: its outbox, sealed into the bridge's chain of the day. */
export interface BridgeAudit {
  enabled: boolean;
  record(chainId: string, fields: AuditFields): Promise<void>;
}

/** Which bridge a request belongs to: the caller, the endpoint, and the one server it talks to ("*": every server, for `/mcp`'s lists). */
export function bridgeName(principal: Principal, scope: string | null, serverId: string | null): string {
  return `${principalSubject(principal)}/${scope ?? "*"}/${serverId ?? "*"}`;
}

/** 2025 methods that 2026-07-28 removed, and what replaces each: -32601 (HTTP 404), as for any unknown method. */
const REMOVED_METHODS = new Map([
  ["initialize", " (call server/discover, or just call)"],
  ["ping", ""],
  ["logging/setLevel", " (send io.modelcontextprotocol/logLevel in _meta)"],
  ["resources/subscribe", " (use subscriptions/listen)"],
  ["resources/unsubscribe", " (close the subscriptions/listen stream)"],
]);

/** How long an `input_required` answer's requestState is honoured, and its downstream call held open. */
const MAX_HOLD_MS = 10 * 60_000;

/**
 * One (user, endpoint, server) for MCP 2026-07-28 clients, which bring no session: this object keeps the
 * downstream session with the server, so each stateless request reuses it, and holds calls whose server
 * asked the client something until the client's retry answers (MRTR). Every request goes through the
 * same gateway core as a session's: resolve → decide (the policy, read for this request) → forward
 * (vault-injected connection) → present.
 */
export class StatelessBridge {
  readonly #env: AppEnv;
  readonly #config: McpConfig;
  readonly #audit: BridgeAudit;
  readonly #store: HeldCallStore;
  /**
   * One downstream connection (and directory, and core) per set of capabilities the requests declared,
   * by askableCapabilities()'s key: each declares its set to the server, which then lists and asks only
   * what such a client can answer.
   */
  readonly #bounds = new Map<string, Bound>();
  #registered = false;
  #waits: ApprovalWaits | null = null;
  /** Each request's policy, read for it alone: a stateless request has nothing to push a change to. */
  readonly #policies = new WeakMap<CallContext, CompiledPolicy>();
  readonly #paramHeaders = new WeakMap<CallContext, Record<string, string>>();
  /** Calls with a downstream request in flight: the server's own requests find theirs by its id. */
  readonly #active = new Set<HeldCall>();
  /** Calls waiting for a client's retry, by the id their requestState names. */
  readonly #held = new Map<string, HeldCall>();
  readonly #listeners = new Listeners();
  /** The roots this caller last gave in an answer: what a server's roots/list that names no call is told. */
  #lastRoots: Result | null = null;

  constructor(env: AppEnv, config: McpConfig, audit: BridgeAudit, store: HeldCallStore) {
    this.#env = env;
    this.#config = config;
    this.#audit = audit;
    this.#store = store;
  }

  async handle(input: BridgeInput): Promise<Response> {
    const { request } = input;
    if (request.method === "subscriptions/listen") return this.#listen(input);
    const progressToken = (request.params?._meta as { progressToken?: string | number } | undefined)?.progressToken;
    // A stream is worth opening only for a routed request that can say something before its answer.
    if (!input.acceptsSse || !ROUTED_METHODS.has(request.method) || progressToken === undefined) {
      const text = await this.#answer(input, null);
      return new Response(text.body, { status: text.status, headers: { "content-type": "application/json" } });
    }
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    let event = 0;
    const send = (text: string) => void writer.write(encoder.encode(`id: ${++event}\nevent: message\ndata: ${text}\n\n`)).catch(() => {});
    const sink: Sink = { id: crypto.randomUUID(), progressToken, write: (message) => send(JSON.stringify(message)) };
    void this.#answer(input, sink).then((text) => {
      send(text.body);
      void writer.close().catch(() => {});
    });
    return new Response(readable, { headers: SSE_HEADERS });
  }

  /**
   * A list change or resource update that reached one of the caller's bridges on `/mcp`: the "every
   * server" bridge holds that caller's listen streams, so the others pass theirs on to it.
   */
  publish(notification: { method: string; params?: Record<string, unknown> }): void {
    this.#listeners.deliver(notification);
  }

  /**
   * A pushed change to servers or their values: the snapshot is read again now (a changed injected
   * value reconnects), and listen streams hear that the lists may have changed. False when nothing was
   * bound, so the directory can forget this bridge.
   */
  async refresh(): Promise<boolean> {
    if (this.#bounds.size === 0) return false;
    await Promise.all([...this.#bounds.values()].map((bound) => bound.directory.reload()));
    for (const method of LIST_CHANGED) this.#listeners.deliver({ method });
    return true;
  }

  /**
   * `subscriptions/listen`: an SSE stream that stays open, acknowledged first with what it will carry,
   * then every list change and update of a subscribed resource, each stamped with the listen's id.
   * A URI to hear about is subscribed downstream through the core, so the policy decides it like a read.
   */
  async #listen(input: BridgeInput): Promise<Response> {
    const { request } = input;
    const started = Date.now();
    const filter = ((request.params ?? {}).notifications ?? {}) as SubscriptionFilter;
    let refusal: JsonRpcResponse | null = null;
    if (!input.acceptsSse) refusal = errorResponse(request.id, JSONRPC_ERRORS.INVALID_REQUEST, "subscriptions/listen is answered with an SSE stream: accept text/event-stream");
    else if (this.#listeners.size >= MAX_LISTENERS) refusal = errorResponse(request.id, JSONRPC_ERRORS.LIMIT_EXCEEDED, `This caller already holds ${MAX_LISTENERS} listen streams here; close one first`);
    const context = this.#context(input);
    const accepted: SubscriptionFilter = {};
    if (!refusal) {
      try {
        await this.#loadPolicy(context, this.#services(input).directory);
        for (const flag of ["toolsListChanged", "promptsListChanged", "resourcesListChanged"] as const) if (filter[flag]) accepted[flag] = true;
        const uris: string[] = [];
        for (const uri of filter.resourceSubscriptions ?? []) {
          const subscribe = { jsonrpc: "2.0" as const, id: request.id, method: "resources/subscribe", params: { uri } };
          const run: CallRun = { requestId: request.id, subject: subjectOf(subscribe, input.scope), decision: null, signal: AbortSignal.timeout(this.#config.callTimeoutMs) };
          // A URI the policy refuses, or its server cannot subscribe to, is left out of the acknowledgement.
          const done = await this.#services(input).core.call(context, subscribe, run).then(() => run.decision?.effect === "allow", () => false);
          if (done) uris.push(uri);
        }
        if (filter.resourceSubscriptions) accepted.resourceSubscriptions = uris;
      } catch (error) {
        refusal = failureResponse(request.id, error, null);
      }
    }
    const audited = { subject: subjectOf(request, input.scope), decision: null };
    const response = refusal ?? { jsonrpc: "2.0" as const, id: request.id, result: {} };
    await this.#record(input, audited, started, response, 0);
    if (refusal) return Response.json(refusal);

    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    let open = true;
    const write = (message: Record<string, unknown>) => {
      if (open) writer.write(encoder.encode(`event: message\ndata: ${JSON.stringify(message)}\n\n`)).catch(() => (open = false));
      return open;
    };
    const remove = this.#listeners.add(request.id, accepted, write);
    void writer.closed.catch(() => {
      open = false;
      remove();
    });
    write({ jsonrpc: "2.0", method: "notifications/subscriptions/acknowledged", params: { notifications: accepted, _meta: { [SUBSCRIPTION_ID_META_KEY]: request.id } } });
    return new Response(readable, { headers: SSE_HEADERS });
  }

  async teardown(): Promise<void> {
    this.#listeners.closeAll();
    for (const held of this.#held.values()) held.abandon("the bridge closed");
    this.#held.clear();
    const bounds = [...this.#bounds.values()];
    this.#bounds.clear();
    await Promise.all(bounds.map(async (bound) => {
      await bound.pool.closeAll();
      await bound.directory.close();
    }));
    this.#waits = null;
  }

  /** Runs the request and audits it; the record is durable before the answer goes. */
  async #answer(input: BridgeInput, sink: Sink | null): Promise<{ body: string; status: number }> {
    const { request } = input;
    const started = Date.now();
    const context = this.#context(input);
    const audited: Pick<HeldCall["run"], "subject" | "decision" | "redactor" | "approvalId"> = { subject: subjectOf(request, input.scope), decision: null };
    let response: JsonRpcResponse;
    try {
      const result = await this.#dispatch(input, context, sink, audited);
      // 2026-07-28 results say whether they are final; an input_required one says so already.
      response = { jsonrpc: "2.0", id: request.id, result: { resultType: "complete", ...result } };
    } catch (error) {
      response = failureResponse(request.id, error, null);
    }
    const body = JSON.stringify(response);
    await this.#record(input, audited, started, response, body.length);
    // The in-band errors 2026-07-28 gives an HTTP status of their own.
    const code = "error" in response ? response.error.code : null;
    const status = code === STATELESS_ERRORS.MISSING_CLIENT_CAPABILITY || code === STATELESS_ERRORS.HEADER_MISMATCH ? 400 : code === JSONRPC_ERRORS.METHOD_NOT_FOUND ? 404 : 200;
    return { body, status };
  }

  #context(input: BridgeInput): CallContext {
    const context: CallContext = {
      principal: input.principal,
      ip: input.ip,
      client: input.client.clientInfo,
      clientCapabilities: input.client.clientCapabilities,
      scope: input.scope,
      sessionId: null,
    };
    this.#paramHeaders.set(context, input.paramHeaders);
    return context;
  }

  /** One audit record per request, sealed into this bridge's chain of the day before the answer goes. */
  async #record(input: BridgeInput, audited: Pick<HeldCall["run"], "subject" | "decision" | "redactor" | "approvalId">, started: number, response: JsonRpcResponse, responseBytes: number): Promise<void> {
    if (!this.#audit.enabled) return;
    const fields = callAuditFields(
      { clientInfo: input.client.clientInfo, sessionId: null },
      { method: input.request.method, who: { userId: input.principal.userId, role: input.principal.role, ip: input.ip }, ...audited, started, response, responseBytes, redactor: audited.redactor },
    );
    await this.#audit.record(`mcp2026/${input.bridge}/${fields.ts.slice(0, 10)}`, fields);
  }

  async #dispatch(input: BridgeInput, context: CallContext, sink: Sink | null, audited: Pick<HeldCall["run"], "subject" | "decision" | "redactor" | "approvalId">): Promise<Record<string, unknown>> {
    const { request } = input;
    const params = request.params ?? {};
    if (REMOVED_METHODS.has(request.method)) throw new RpcFailure(JSONRPC_ERRORS.METHOD_NOT_FOUND, `Method not found: ${request.method} is not part of 2026-07-28${REMOVED_METHODS.get(request.method)}`);
    const { core, directory } = this.#services(input);
    if (request.method === "server/discover") return discoverResult(await core.initializeResult(context, "2026-07-28"));
    await this.#loadPolicy(context, directory);
    if (isListMethod(request.method)) return { ...(await core.list(context, request.method, params)), ...cacheHints(this.#config) };
    if (request.method === "tasks/list") return core.listTasks(context, params, AbortSignal.timeout(this.#config.callTimeoutMs));
    if (ROUTED_METHODS.has(request.method)) {
      const result = await this.#call(input, context, sink, audited).catch((error: unknown) => {
        throw statelessFailure(request, error);
      });
      return request.method === "resources/read" && result.resultType !== "input_required" ? { ...result, ...cacheHints(this.#config, 0) } : result;
    }
    throw new RpcFailure(JSONRPC_ERRORS.METHOD_NOT_FOUND, `Method not found: ${request.method}`);
  }

  /** A routed request: a new downstream call, or the retry of a held one carrying the client's answers. */
  async #call(input: BridgeInput, context: CallContext, sink: Sink | null, audited: Pick<HeldCall["run"], "subject" | "decision" | "redactor" | "approvalId">): Promise<Record<string, unknown>> {
    const params = input.request.params ?? {};
    const { requestState, inputResponses, ...rest } = params as { requestState?: unknown; inputResponses?: unknown } & Record<string, unknown>;
    let held: HeldCall;
    if (requestState !== undefined) {
      const resumed = await this.#resume(input, requestState, inputResponses);
      // A call held by an instance that is gone runs again, its questions answered with what the client said.
      held = resumed instanceof HeldCall ? resumed : this.#start(input, context, audited, rest, resumed);
    } else {
      // Answers with no requestState belong to no held call: a 2026 server reads them itself (it may ask
      // without state), and a 2025 one ignores them and asks again.
      held = this.#start(input, context, audited, inputResponses === undefined ? rest : { ...rest, inputResponses });
    }
    this.#active.add(held);
    held.sink = sink;
    try {
      const result = await held.next();
      if (result) {
        this.#forget(held);
        return result;
      }
      return await this.#inputRequired(input, held);
    } catch (error) {
      this.#forget(held);
      throw error;
    } finally {
      held.sink = null;
      Object.assign(audited, { subject: held.run.subject, decision: held.run.decision, redactor: held.run.redactor, approvalId: held.run.approvalId });
    }
  }

  #start(input: BridgeInput, context: CallContext, audited: Pick<HeldCall["run"], "subject">, params: Record<string, unknown>, replay: HeldQuestion[] = []): HeldCall {
    const held = new HeldCall({ requestId: input.request.id, subject: audited.subject, decision: null }, askableCapabilities(context.clientCapabilities).key, replay);
    held.start(this.#services(input).core.call(context, { ...input.request, params }, held.run));
    return held;
  }

  /** The server asked the client something: the answer says what, and the state the retry must bring back. */
  async #inputRequired(input: BridgeInput, held: HeldCall): Promise<Record<string, unknown>> {
    const expiresAt = Date.now() + Math.min(this.#config.callTimeoutMs, MAX_HOLD_MS);
    this.#held.set(held.id, held);
    this.#store.save({ id: held.id, questions: held.questions, expiresAt });
    held.holdUntil(expiresAt, () => this.#forget(held));
    const requestState = await sealRequestState(this.#env.JWT_SIGNING_KEY, {
      call: held.id,
      bridge: input.bridge,
      subject: principalSubject(input.principal),
      method: input.request.method,
      name: subjectOf(input.request).name,
      expiresAt,
    });
    return { resultType: "input_required", inputRequests: held.inputRequests, requestState };
  }

  /** The held call a retry resumes, or, when the instance that held it is gone, its questions with the retry's answers. */
  async #resume(input: BridgeInput, token: unknown, responses: unknown): Promise<HeldCall | HeldQuestion[]> {
    const checked = await openRequestState(this.#env.JWT_SIGNING_KEY, token);
    if (!checked.ok) {
      throw new RpcFailure(
        JSONRPC_ERRORS.INVALID_PARAMS,
        checked.reason === "expired" ? "requestState has expired: send the request again without it" : "requestState is not one this gateway issued (or it was altered)",
      );
    }
    const { state } = checked;
    const sameRequest = state.bridge === input.bridge && state.subject === principalSubject(input.principal) && state.method === input.request.method && state.name === subjectOf(input.request).name;
    if (!sameRequest) throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, "requestState belongs to another request: retry the request it was issued for");
    const held = this.#held.get(state.call);
    const questions = held?.questions ?? this.#store.read(state.call)?.questions;
    if (!questions) throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, "requestState names a call this gateway no longer holds (it ended or expired): send the request again without it");
    if (typeof responses !== "object" || responses === null || Array.isArray(responses)) {
      throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `"inputResponses" must be an object keyed by the inputRequests it answers`);
    }
    const answers = responses as Record<string, unknown>;
    const open = questions.filter((question) => question.result === undefined);
    // Refused before the server hears it, and the call stays held: the client may retry with a proper answer.
    const malformed = malformedAnswer(open, answers);
    if (malformed) throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, malformed);
    // A state is good for one retry.
    this.#held.delete(state.call);
    this.#store.forget(state.call);
    for (const question of open) if (question.method === "roots/list" && Object.hasOwn(answers, question.key)) this.#lastRoots = answers[question.key] as Result;
    if (!held) return questions.map((question) => (question.result === undefined && Object.hasOwn(answers, question.key) ? { ...question, result: answers[question.key] as Result } : question));
    held.answer(answers);
    return held;
  }

  #forget(held: HeldCall): void {
    this.#active.delete(held);
    this.#held.delete(held.id);
    this.#store.forget(held.id);
  }

  /** The policy for this request's principal and endpoint: one query, compiled programs shared by the isolate. */
  async #loadPolicy(context: CallContext, directory: ServerDirectory): Promise<void> {
    this.#policies.set(context, compilePolicy(await loadPolicySnapshot(directory.db(), context.principal, context.scope)));
  }

  #policy(context: CallContext): CompiledPolicy {
    const policy = this.#policies.get(context);
    if (!policy) throw new RpcFailure(JSONRPC_ERRORS.INTERNAL_ERROR, "No policy was read for this request");
    return policy;
  }

  /**
   * Tool calls held for approval: the request's stream stays open (with progress) until the decision.
   * Nothing of the wait outlives the object; a client that lost the answer repeats the same call and is
   * given the one execution (the repeat finds the request by its arguments).
   */
  #approvalWaits(bridge: string, directory: ServerDirectory): ApprovalWaits {
    this.#waits ??= new ApprovalWaits({
      env: this.#env,
      store: NO_LEDGER,
      db: () => directory.db(),
      sessionId: bridgeHolder(bridge),
      defaultTtlMs: this.#config.approvalTtlMs,
      progressEveryMs: this.#config.approvalProgressMs,
      wakeAt: async () => {},
    });
    return this.#waits;
  }

  /** A decision on one of the calls this bridge holds. */
  wakeApprovalWaits(approvalId: string): void {
    this.#waits?.poke(approvalId);
  }

  /** The connection, directory and core for the capabilities this request declared: made on the first request with them. */
  #services(input: BridgeInput): Bound {
    const declared = askableCapabilities(input.client.clientCapabilities);
    const existing = this.#bounds.get(declared.key);
    if (existing) return existing;
    if (!this.#registered) {
      this.#registered = true;
      // Known to the directory from its first request, so admin changes reach this bridge as they reach sessions.
      void this.#env.SESSION_DIRECTORY.getByName(SESSION_DIRECTORY_NAME)
        .addBridge(input.bridge, principalSubject(input.principal))
        .catch((error: unknown) => logEvent("bridge.register_failed", { bridge: input.bridge, error: errorText(error) }, "warn"));
    }
    const [, , server] = input.bridge.split("/");
    const config = this.#config;
    const ofThisConnection = () => [...this.#active].filter((held) => held.connection === declared.key);
    const pool = new DownstreamPool({
      connectTimeoutMs: config.connectTimeoutMs,
      capabilities: declared.capabilities,
      traceUndeclared: true,
      events: {
        onNotification: (source, notification) =>
          void relayServerNotification(source, notification, {
            scope: input.scope,
            emit: (streamId, message) => this.#emit(input.bridge, streamId, message as unknown as Record<string, unknown>),
            streamFor: () => ofThisConnection().findLast((held) => held.sink)?.sink?.id ?? STANDALONE_STREAM,
            refreshCatalog: async (serverId, lists) => {
              await directory.refreshCatalog((await directory.server(serverId)).row, lists);
            },
          }),
        onReverseRequest: (source, request, signal, origin) => this.#serverAsks(ofThisConnection(), declared.capabilities, source.redactor.scrub(request), signal, origin),
        onConnect: async () => {},
      },
      onOutcome: (serverId, outcome) => recordConnectOutcomeLater(() => directory.db(), serverId, outcome),
    });
    const directory = new ServerDirectory(this.#env, config, { userId: input.principal.userId, scope: server === "*" ? null : server!, sessionId: null }, pool);
    const limiter = input.principal.userId === null ? undefined : this.#env.RATE_LIMITER.getByName(input.principal.userId);
    const core = new GatewayCore({
      config,
      directory,
      pool,
      decide: (context, target) => {
        // Only now is the tool known: its declared Mcp-Param-* headers must say what the body says.
        const mismatch = target.kind === "tool" ? paramHeaderMismatch(this.#paramHeaders.get(context) ?? {}, target.item?.inputSchema, target.arguments) : null;
        if (mismatch) throw new RpcFailure(STATELESS_ERRORS.HEADER_MISMATCH, `Bad Request: the request headers and body disagree: ${mismatch}`);
        return policyDecideHook({ policy: () => this.#policy(context), ...(limiter ? { limiter } : {}), defaultRateLimit: this.#env.RATE_LIMIT_PER_MINUTE })(context, target);
      },
      hold: (call) => this.#approvalWaits(input.bridge, directory).hold(call),
      visible: (context, entry) => inOrder(visibleCatalog(this.#policy(context), callerOf(this.#policy(context).snapshot, context.client), entry)),
    });
    const bound = { pool, directory, core };
    this.#bounds.set(declared.key, bound);
    return bound;
  }

  /**
   * A server's message about a call goes on that call's own stream; what belongs to no call (list
   * changes, resource updates) goes to the caller's listen streams.
   */
  #emit(bridge: string, streamId: string, message: Record<string, unknown>): void {
    if (streamId !== STANDALONE_STREAM) {
      for (const held of this.#active) if (held.sink?.id === streamId) held.sink.write(message);
      return;
    }
    const notification = message as { method: string; params?: Record<string, unknown> };
    const [subject, endpoint, server] = bridge.split("/");
    if (endpoint !== "*" || server === "*") return this.publish(notification);
    void this.#env.SERVER_BRIDGE.getByName(`${subject}/*/*`)
      .publish(notification)
      .catch((error: unknown) => logEvent("bridge.publish_failed", { bridge, error: errorText(error) }, "warn"));
  }

  /**
   * A downstream's elicitation, sampling or roots request: it becomes a question in the answer to the
   * call it came with (MRTR), or, when the client cannot answer that kind, ends the call with -32021.
   */
  #serverAsks(active: HeldCall[], declared: ClientCapabilities, request: JSONRPCRequest, signal: AbortSignal, origin: unknown): Promise<Result> {
    // A request sent on the server's standalone stream names no call: it goes to the newest one of its
    // connection, as in a session; this bridge talks to one server for one caller, so that call is this caller's.
    const calls = active.filter((call) => call.downstreamId !== undefined);
    const held = origin === undefined ? calls.at(-1) : calls.find((call) => call.downstreamId === origin);
    const capability = REVERSE_CAPABILITIES[request.method];
    // Asked on no call's behalf (a server reading roots as it connects): the roots the client last gave, or a refusal the connection survives.
    if (!held && request.method === "roots/list" && declared.roots) {
      if (this.#lastRoots) return Promise.resolve(this.#lastRoots);
      throw new SdkMcpError(JSONRPC_ERRORS.METHOD_NOT_FOUND, "roots/list names no call, and this client has not given its roots yet");
    }
    if (!held || !capability) throw new SdkMcpError(JSONRPC_ERRORS.METHOD_NOT_FOUND, `${request.method} is answered only for a call in flight`);
    // The connection declared only what the request did: a server that asks for more anyway is refused.
    if (!declared[capability]) {
      held.fail(new RpcFailure(STATELESS_ERRORS.MISSING_CLIENT_CAPABILITY, `This call needs the client capability "${capability}" (the server sent ${request.method}), which the request did not declare`, { requiredCapabilities: { [capability]: {} } }));
      throw new SdkMcpError(JSONRPC_ERRORS.METHOD_NOT_FOUND, `The client does not support ${request.method}`);
    }
    return held.ask({ method: request.method, ...(request.params ? { params: request.params as Record<string, unknown> } : {}) }, signal, inputKeyOf(request.id));
  }
}

/** Deterministic order (2026-07-28 asks it, so clients and caches see one list): tools and prompts by name. */
function inOrder(entry: CatalogEntry): CatalogEntry {
  const byName = (a: Record<string, unknown>, b: Record<string, unknown>) => (String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0);
  return { ...entry, catalog: { ...entry.catalog, tools: [...entry.catalog.tools].sort(byName), prompts: [...entry.catalog.prompts].sort(byName) } };
}

