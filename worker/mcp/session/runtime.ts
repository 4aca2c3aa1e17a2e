import type { ClientCapabilities, Implementation } from "@modelcontextprotocol/sdk/types.js";
import type { UserChange } from "../../../durable-objects/desk.ts";
import { principalOf } from "../../auth/authenticate.ts";
import { sameCredential } from "../../auth/credential.ts";
import { errorText } from "../../db/errors.ts";
import type { AppEnv } from "../../env.ts";
import { withTimeout } from "../../http/with-timeout.ts";
import { logEvent } from "../../observability/log.ts";
import { takeBodyBytes } from "../byte-budget.ts";
import { accountIpRefusal, type IpScopeList, ipScopeList, type StoredIpScope } from "../../policy/ip-allowlist.ts";
import { readUserIpList } from "../../policy/ip-allowlist-middleware.ts";
import type { McpConfig } from "../config.ts";
import type { CallContext } from "../core/context.ts";
import { isListMethod } from "../core/gateway.ts";
import { ROUTED_METHODS, subjectOf } from "../core/resolve.ts";
import {
  BATCH_PROTOCOL_VERSION,
  errorResponse,
  isNotification,
  isRequest,
  isResponse,
  JSONRPC_ERRORS,
  type JsonRpcNotification,
  LIST_CHANGED,
  type JsonRpcRequest,
  type JsonRpcResponse,
  negotiateVersion,
  type RequestId,
  RpcFailure,
} from "../protocol.ts";
import { type Bound, bindSession } from "./bound.ts";
import { type CallOutcome, callAuditFields, denialOutcome, partyOf } from "./call-audit.ts";
import { failureResponse } from "./failures.ts";
import { Calls, type InFlight } from "./calls.ts";
import { Exchange, jsonAnswer } from "./exchange.ts";
import { ApprovalWaits } from "./approval-waits.ts";
import { applyLoggingLevel, parseLoggingLevel } from "./logging-level.ts";
import { SessionPolicy } from "./session-policy.ts";
import { addressRefused, sessionNotFound, transportError } from "./responses.ts";
import { type SessionRecord, type SessionStore, STANDALONE_STREAM } from "./store.ts";
import type { Caller, CloseInput, ListenInput, OpenInput, PostInput, RequestFrom, SessionAudit, SessionRegistry } from "./types.ts";

const PRUNE_EVERY_MS = 1000;
const IDENTITY_READ_TIMEOUT_MS = 5000;

const ENDED_BY = {
  disabled: "the user was disabled",
  deleted: "the user was deleted",
  "key-revoked": "the key was revoked",
  "grant-revoked": "the client's grant was revoked",
} as const;

/** A request's answer, serialised once: the audit record measures the text that is sent. */
interface Answer {
  response: JsonRpcResponse | null;
  text: string | null;
}

/**
 * One MCP session (2024-11-05 to 2025-11-25): it authorises each request against the session's opener,
 * answers what the gateway answers itself, hands routed requests to the gateway core, and relays what
 * servers send back through the exchange. Durable state goes through SessionStore; connections stay in
 * memory and are rebuilt on demand after an eviction.
 */
export class SessionRuntime {
  readonly #env: AppEnv;
  readonly #config: McpConfig;
  readonly #store: SessionStore;
  readonly #exchange: Exchange;
  readonly #calls = new Calls();
  readonly #audit: SessionAudit;
  readonly #registry: SessionRegistry;
  readonly #wakeAt: (at: number) => Promise<void>;
  #record: SessionRecord | null;
  #held: ApprovalWaits | null = null;
  #bound: Bound | null = null;
  readonly #policy: SessionPolicy;
  #prunedAt = 0;
  /**
   * When who the caller is was last read from the database (at initialize, then by a re-check); 0 in a
   * fresh instance, so an object woken after an eviction re-checks with its first request.
   */
  #identityReadAt = 0;
  #rechecking: Promise<void> | null = null;
  /** The record's IP list, parsed once: it is checked on every request. */
  #ipList: { stored: StoredIpScope; parsed: IpScopeList } | null = null;
  /** Requests each live POST stream still owes; the stream ends at zero. SQLite has them too, for replay. */
  readonly #owed = new Map<string, number>();

  constructor(
    env: AppEnv,
    config: McpConfig,
    store: SessionStore,
    { audit, registry, wakeAt }: { audit: SessionAudit; registry: SessionRegistry; wakeAt(at: number): Promise<void> },
  ) {
    this.#env = env;
    this.#config = config;
    this.#store = store;
    this.#exchange = new Exchange(store);
    this.#audit = audit;
    this.#registry = registry;
    this.#wakeAt = wakeAt;
    this.#policy = new SessionPolicy(store);
    this.#record = store.load();
  }

  get record(): SessionRecord | null {
    return this.#record;
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
      credential: input.credential,
      ip: input.caller.ip,
      scope: input.scope,
      protocolVersion: negotiateVersion(params.protocolVersion),
      clientCapabilities: (params.capabilities ?? {}) as ClientCapabilities,
      clientInfo: (params.clientInfo ?? { name: "unknown", version: "unknown" }) as Implementation,
      loggingLevel: null,
      ipList: input.ipList,
    };
    // Set first: answering initialize for /mcp/<serverId> already talks to that server through this session.
    this.#record = record;
    const outcome = { method: "initialize", who: partyOf(input.caller), subject: subjectOf({}, record.scope), decision: null, started, redactor: undefined };
    let response: JsonRpcResponse;
    try {
      if (!(await this.#registry.register(record))) {
        throw new RpcFailure(
          JSONRPC_ERRORS.LIMIT_EXCEEDED,
          `You have ${this.#config.maxSessionsPerUser} open sessions, the most allowed (MCP_MAX_SESSIONS_PER_USER): close one (DELETE) or let one expire`,
        );
      }
      await this.#loadPolicy();
      response = { jsonrpc: "2.0", id: input.initialize.id, result: await this.#services().core.initializeResult(this.#context(input.caller), record.protocolVersion) };
    } catch (error) {
      const failure = failureResponse(input.initialize.id, error, record.sessionId);
      const text = JSON.stringify(failure);
      await this.#recordCall({ ...outcome, response: failure, responseBytes: text.length });
      await this.teardown("initialize failed");
      return jsonAnswer([text], false);
    }
    this.#store.save(record);
    this.#identityReadAt = started;
    const text = JSON.stringify(response);
    await this.#recordCall({ ...outcome, response, responseBytes: text.length });
    logEvent("session.open", { sessionId: record.sessionId, subject: record.subject, scope: record.scope, client: record.clientInfo.name });
    return jsonAnswer([text], false, record.sessionId);
  }

  async receive(input: PostInput): Promise<Response> {
    const caller = this.#authorize(input);
    const record = this.#record;
    if (!caller || !record) return this.#refuse(input, input.messages.flatMap((m) => (isRequest(m) || isNotification(m) ? [m] : [])));
    this.#recheckIdentity();
    const refusedAddress = this.#addressRefusal(input.from);
    if (refusedAddress) return refusedAddress;
    const spent = await takeBodyBytes(this.#env, this.#config, record.principal.userId, input.bodyBytes);
    if (spent) return spent;
    if (input.batch && record.protocolVersion !== BATCH_PROTOCOL_VERSION) {
      return transportError(400, JSONRPC_ERRORS.INVALID_REQUEST, `Batches are not supported in protocol version ${record.protocolVersion}`);
    }
    this.#pruneEvents();

    const requests: JsonRpcRequest[] = [];
    for (const message of input.messages) {
      if (isRequest(message)) requests.push(message);
      else if (isNotification(message)) this.#onClientNotification(message);
      else if (isResponse(message)) this.#calls.answered(message);
    }
    if (requests.length === 0) return new Response(null, { status: 202 });
    if (this.#calls.size + requests.length > this.#config.maxCallsInFlight) {
      return transportError(
        429,
        JSONRPC_ERRORS.LIMIT_EXCEEDED,
        `Too many requests in flight: this session may have ${this.#config.maxCallsInFlight} at once (MCP_MAX_CALLS_IN_FLIGHT); wait for some to finish`,
      );
    }

    if (!input.acceptsSse || !requests.some((r) => ROUTED_METHODS.has(r.method))) {
      this.#store.addPending(null, requests, caller, Date.now());
      const answers = await Promise.all(requests.map((r) => this.#answer(r, null, caller, () => this.#store.settle(null, r.id))));
      return jsonAnswer(answers.flatMap((a) => (a.text === null ? [] : [a.text])), input.batch);
    }

    const { streamId, response } = this.#exchange.openStream(record.sessionId, record.protocolVersion);
    this.#store.addPending(streamId, requests, caller, Date.now());
    this.#owed.set(streamId, requests.length);
    for (const request of requests) {
      // Left in flight, the request is answered and audited as interrupted when the object next starts.
      void this.#answer(request, streamId, caller, (answer) => this.#deliver(streamId, request.id, answer)).catch((error: unknown) =>
        logEvent("request.error", { sessionId: record.sessionId, error: errorText(error) }, "error"),
      );
    }
    return response;
  }

  /** Retention is by count and age, so once a second is as good as on every POST, at a fraction of the writes. */
  #pruneEvents(): void {
    const now = Date.now();
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = now;
    this.#store.prune(this.#config.eventRetentionCount, this.#config.eventRetentionMs, now);
  }

  /** GET: the standalone stream, or the replay of a dropped stream from `Last-Event-ID` onwards. */
  listen(input: ListenInput): Response {
    const record = this.#record;
    if (!this.#authorize(input) || !record) return this.#refuse(input, [{ method: "http/GET" }]);
    this.#recheckIdentity();
    const refusedAddress = this.#addressRefusal(input.from);
    if (refusedAddress) return refusedAddress;
    return this.#exchange.listen(record.sessionId, input.lastEventId, (streamId) => this.#store.pendingOn(streamId).length > 0);
  }

  async close(input: CloseInput): Promise<Response> {
    if (!this.#authorize(input)) return this.#refuse(input, [{ method: "http/DELETE" }]);
    const refusedAddress = this.#addressRefusal(input.from);
    if (refusedAddress) return refusedAddress;
    await this.teardown("closed by client");
    return new Response(null, { status: 200 });
  }

  /** Ends the session: downstream connections closed, streams ended, durable state deleted. */
  async teardown(reason: string): Promise<void> {
    const record = this.#record;
    if (record) {
      logEvent("session.close", { sessionId: record.sessionId, reason });
      await this.#registry.unregister(record).catch((error: unknown) => logEvent("session.unregister_failed", { sessionId: record.sessionId, error: errorText(error) }, "warn"));
    }
    this.#calls.abortAll(reason);
    this.#exchange.closeAll();
    this.#owed.clear();
    await this.#bound?.pool.closeAll();
    await this.#bound?.directory.close();
    this.#bound = null;
    this.#held = null;
    this.#policy.forget();
    this.#record = null;
    this.#store.destroy();
  }

  /**
   * A change pushed by the user's Desk object: a disabled or deleted user, or a revoked key or grant, ends
   * the session; a new role applies from the next request; a refresh re-reads the servers now and tells
   * the client its lists may have changed. False when there is no session.
   */
  async applyUserChange(change: UserChange): Promise<boolean> {
    const record = this.#record;
    if (!record) return false;
    switch (change.kind) {
      case "role":
        if (record.principal.userId !== null) record.principal = { ...record.principal, role: change.role };
        this.#store.save(record);
        return true;
      case "refresh":
        await this.#refresh();
        return true;
      case "ip-list":
        // The list is checked on each request, not once: a session refused now may be let in again later.
        record.ipList = change.list;
        this.#store.save(record);
        return true;
      default:
        await this.teardown(ENDED_BY[change.kind]);
        return true;
    }
  }

  /** Only a session that has read its servers has anything to refresh; a failed read keeps what it has. */
  async #refresh(): Promise<void> {
    if (!this.#bound) return;
    await Promise.all([this.#bound.directory.reload(), this.#loadPolicy()]).catch((error: unknown) =>
      logEvent("session.refresh_failed", { sessionId: this.#record?.sessionId, error: errorText(error) }, "warn"),
    );
    for (const method of LIST_CHANGED) this.#exchange.emit(STANDALONE_STREAM, { jsonrpc: "2.0", method });
  }

  /** Reads the policy for this session's principal and endpoint, one query, and keeps it compiled and stored. */
  #loadPolicy(): Promise<void> {
    const record = this.#record!;
    return this.#policy.load(this.#services().directory.db(), record.principal, record.scope);
  }

  /** Who sent a request, if it is the session's own client: the same key (or a token minted from it), on the same endpoint. */
  #authorize(input: { from: RequestFrom; scope: string | null }): Caller | null {
    const record = this.#record;
    if (!record || record.scope !== input.scope || !sameCredential(record.credential, input.from.credential)) return null;
    return { subject: record.subject, principal: record.principal, ip: input.from.ip };
  }

  /**
   * The safety net for a revocation whose push never arrived (the Desk or the session unreachable):
   * once the last read of who the caller is has aged past MCP_IDENTITY_RECHECK_SECONDS, a request starts
   * a new one in the background (no request waits for Postgres, as with the servers' snapshot). A key,
   * grant or user that is gone ends the session as the push would have; a new role or IP list applies
   * from then on. Postgres down: the session goes on as it is and tries again after the same interval.
   */
  #recheckIdentity(): void {
    const record = this.#record;
    if (!record || record.principal.userId === null || this.#rechecking) return;
    if (Date.now() - this.#identityReadAt < this.#config.identityRecheckMs) return;
    this.#identityReadAt = Date.now();
    const userId = record.principal.userId;
    const db = this.#services().directory.db();
    // A read that never settles (a connection lost under it) must not stop every later re-check.
    const read = Promise.all([principalOf(() => db, record.credential), readUserIpList(db, userId)]);
    this.#rechecking = withTimeout(read, IDENTITY_READ_TIMEOUT_MS, "the identity re-check")
      .then(async ([principal, ipList]) => {
        if (this.#record !== record) return;
        if (!principal) return this.teardown("the credential or its user is no longer valid");
        const roleChanged = principal.role !== record.principal.role;
        if (!roleChanged && JSON.stringify(ipList) === JSON.stringify(record.ipList)) return;
        if (record.principal.userId !== null) record.principal = { ...record.principal, role: principal.role };
        record.ipList = ipList;
        this.#store.save(record);
        if (roleChanged) await this.#loadPolicy();
      })
      .catch((error: unknown) => logEvent("session.identity_recheck_failed", { sessionId: record.sessionId, error: errorText(error) }, "warn"))
      .finally(() => (this.#rechecking = null));
  }

  /** The session's own client, from an address its user's IP allow-list does not admit: 403, as on /user. */
  #addressRefusal(from: RequestFrom): Response | null {
    const stored = this.#record?.ipList;
    if (!stored) return null;
    if (this.#ipList?.stored !== stored) this.#ipList = { stored, parsed: ipScopeList(stored) };
    const refused = accountIpRefusal(this.#ipList.parsed, from.ip);
    return refused ? addressRefused(refused) : null;
  }

  /**
   * Answers as if the session did not exist (404). When it does exist, the attempt is recorded in its
   * chain as a denial, since someone else presenting its id may hold a stolen one: one record per HTTP
   * request (a batch is counted, not listed), written without holding up the answer, so neither a flood
   * of messages nor the answer's timing tells the sender more than an unknown id would.
   */
  #refuse(input: { from: RequestFrom; scope: string | null }, attempted: Pick<JsonRpcRequest, "method" | "params">[]): Response {
    const record = this.#record;
    const first = attempted[0];
    if (record && first) {
      const outcome = denialOutcome(record, input.from, attempted, (credential) => this.#registry.identify(credential));
      void this.#recordCall(outcome).catch((error: unknown) => logEvent("audit.record_failed", { sessionId: record.sessionId, error: errorText(error) }, "error"));
    }
    return sessionNotFound();
  }

  // ---- answering requests ----------------------------------------------------------------------------

  #services(): Bound {
    const record = this.#record!;
    this.#bound ??= bindSession(this.#env, this.#config, record, {
      ...this.#policy.hooks(this.#env, record.principal),
      hold: (call) => this.#approvalWaits().hold(call),
      emit: (streamId, message) => this.#exchange.emit(streamId, message),
      calls: this.#calls,
      onConnect: (client) => applyLoggingLevel(client, this.#record?.loggingLevel),
    });
    return this.#bound;
  }

  #approvalWaits(): ApprovalWaits {
    const record = this.#record!;
    this.#held ??= new ApprovalWaits({
      env: this.#env,
      store: this.#store,
      db: () => this.#services().directory.db(),
      sessionId: record.sessionId,
      defaultTtlMs: this.#config.approvalTtlMs,
      progressEveryMs: this.#config.approvalProgressMs,
      wakeAt: this.#wakeAt,
    });
    return this.#held;
  }

  /** A decision on one of this session's held calls (pushed), or the alarm of an expiry (no id): they look again. */
  wakeHeldCalls(approvalId?: string): void {
    this.#held?.poke(approvalId);
  }

  /** When the first held call expires, for the object's alarm; null when no call waits for approval. */
  nextHeldExpiry(): number | null {
    return this.#store.nextHeldExpiry();
  }

  #context(caller: Caller): CallContext {
    const record = this.#record!;
    return {
      principal: caller.principal,
      ip: caller.ip,
      client: record.clientInfo,
      clientCapabilities: record.clientCapabilities,
      scope: record.scope,
      sessionId: record.sessionId,
    };
  }

  /** Stores a streamed answer, and ends the stream when it owes nothing more. */
  #deliver(streamId: string, requestId: RequestId, answer: Answer): void {
    if (!this.#record) return; // the session ended while the request ran
    if (answer.response) this.#exchange.emit(streamId, answer.response, answer.text);
    this.#store.settle(streamId, requestId);
    const owed = (this.#owed.get(streamId) ?? 1) - 1;
    if (owed > 0) {
      this.#owed.set(streamId, owed);
    } else {
      this.#owed.delete(streamId);
      this.#exchange.close(streamId);
    }
  }

  /**
   * Runs one request; its response is null when the client cancelled it (which gets no response).
   * `deliver` stores the answer and marks the request settled in the same step as its audit record,
   * so an eviction leaves either all three or none: never a call audited twice or answered twice.
   */
  async #answer(request: JsonRpcRequest, streamId: string | null, caller: Caller, deliver: (answer: Answer) => void): Promise<Answer> {
    const flight = this.#calls.start(request, caller, streamId, this.#record!.scope);
    const started = Date.now();
    let response: JsonRpcResponse;
    try {
      response = { jsonrpc: "2.0", id: request.id, result: await this.#dispatch(request, flight) };
    } catch (error) {
      response = failureResponse(request.id, error, this.#record?.sessionId ?? null);
    } finally {
      this.#calls.finish(request.id);
    }
    const answer: Answer = flight.cancelled ? { response: null, text: null } : { response, text: JSON.stringify(response) };
    const outcome: CallOutcome = { method: request.method, who: partyOf(caller), subject: flight.subject, decision: flight.decision, started, response: answer.response, responseBytes: answer.text?.length ?? 0, redactor: flight.redactor, approvalId: flight.approvalId };
    await this.#recordCall(outcome, () => deliver(answer));
    return answer;
  }

  /** One audit record per request, sealed into the session's chain; `then` commits in the same SQLite transaction. */
  async #recordCall(outcome: CallOutcome | Promise<CallOutcome>, then: () => void = () => {}): Promise<void> {
    const record = this.#record;
    if (!record || !this.#audit.enabled) return then();
    await this.#audit.record(record.sessionId, Promise.resolve(outcome).then((complete) => callAuditFields(record, complete)), then);
  }

  async #dispatch(request: JsonRpcRequest, flight: InFlight): Promise<Record<string, unknown>> {
    const params = request.params ?? {};
    if (ROUTED_METHODS.has(request.method)) {
      const streamId = flight.streamId;
      if (streamId) {
        flight.onProgress = (progress) => this.#exchange.emit(streamId, { jsonrpc: "2.0", method: "notifications/progress", params: progress });
      }
      return this.#services().core.call(this.#context(flight.caller), request, flight);
    }
    if (isListMethod(request.method)) return this.#services().core.list(this.#context(flight.caller), request.method, params);
    if (request.method === "tasks/list") return this.#services().core.listTasks(this.#context(flight.caller), params, flight.signal);
    switch (request.method) {
      case "ping":
        return {};
      case "initialize":
        throw new RpcFailure(JSONRPC_ERRORS.INVALID_REQUEST, "The session is already initialized");
      case "logging/setLevel":
        return this.#setLoggingLevel(parseLoggingLevel(params.level));
      default:
        throw new RpcFailure(JSONRPC_ERRORS.METHOD_NOT_FOUND, `Method not found: ${request.method}`);
    }
  }

  async #setLoggingLevel(level: string): Promise<Record<string, unknown>> {
    const record = this.#record!;
    record.loggingLevel = level;
    this.#store.save(record);
    const clients = (await this.#bound?.pool.connectedClients()) ?? [];
    await Promise.allSettled(clients.map((client) => applyLoggingLevel(client, level)));
    return {};
  }

  // ---- messages outside a request's answer ---------------------------------------------------------

  #onClientNotification(notification: JsonRpcNotification): void {
    const params = notification.params ?? {};
    if (notification.method === "notifications/cancelled") {
      this.#calls.cancel(params.requestId, String(params.reason ?? "cancelled by client"));
    } else if (notification.method === "notifications/roots/list_changed" && this.#bound) {
      void this.#bound.pool.connectedClients().then((clients) => {
        for (const client of clients) client.sendRootsListChanged().catch(() => {});
      });
    }
  }

  /**
   * A call that waited for approval when the object lost its memory waits on: it is run again from the
   * top, finds its approval request, and answers on its stream (replayed to a client that resumes).
   */
  #resumeHeld(request: JsonRpcRequest, streamId: string | null, caller: Caller): void {
    const deliver = (answer: Answer) => (streamId === null ? this.#store.settle(null, request.id) : this.#deliver(streamId, request.id, answer));
    void this.#answer(request, streamId, caller, deliver).catch((error: unknown) =>
      logEvent("request.error", { sessionId: this.#record?.sessionId, error: errorText(error) }, "error"),
    );
  }

  /**
   * Requests that were in flight when the Durable Object was evicted can never be answered. Each is
   * audited as failed, and one owed on a stream gets an error the client can act on, stored so that a
   * resuming stream replays it. Runs before the new instance takes any request.
   */
  async recoverInterrupted(): Promise<void> {
    try {
      for (const { streamId, request, caller, startedAt, held } of this.#store.interrupted()) {
        if (held && this.#record) {
          this.#resumeHeld(request, streamId, caller);
          continue;
        }
        const response = errorResponse(request.id, JSONRPC_ERRORS.DOWNSTREAM_ERROR, "The request was interrupted when the session restarted; please retry it");
        const text = JSON.stringify(response);
        const subject = subjectOf(request, this.#record?.scope ?? null);
        await this.#recordCall({ method: request.method, who: partyOf(caller), subject, decision: null, started: startedAt, response, responseBytes: text.length, redactor: undefined }, () => {
          if (streamId !== null) this.#exchange.emit(streamId, response, text);
          this.#store.settle(streamId, request.id);
        });
      }
    } catch (error) {
      // Failing here would fail every restart of the object, and with it the delivery of its audit outbox.
      logEvent("session.recovery_failed", { sessionId: this.#record?.sessionId, error: errorText(error) }, "error");
      this.#store.forgetInterrupted();
    }
  }
}
