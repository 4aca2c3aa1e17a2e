import { ListTasksResultSchema, type Progress, type ProgressToken, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import packageJson from "../../../package.json" with { type: "json" };
import { logEvent } from "../../observability/log.ts";
import { type CatalogEntry, listPrompts, listResources, listResourceTemplates, listTools, paginate } from "../aggregate.ts";
import type { McpConfig } from "../config.ts";
import type { DownstreamPool } from "../downstream.ts";
import type { Redactor } from "../../vault/redactor.ts";
import { JSONRPC_ERRORS, type JsonRpcRequest, RpcFailure } from "../protocol.ts";
import { NeedsConfiguration, type ServerDirectory } from "../session/server-directory.ts";
import type { CallContext } from "./context.ts";
import type { DecideHook, Decision } from "./decide.ts";
import { BrokenConnection, forwardCall } from "./forward.ts";
import { presentResult, presentTask, toolError } from "./present.ts";
import type { HoldHook } from "./hold.ts";
import { inputSchemaErrors } from "./input-schema.ts";
import { type CallTarget, resolveTarget, type Subject, withArguments } from "./resolve.ts";

const LISTS = {
  "tools/list": { key: "tools", list: listTools },
  "prompts/list": { key: "prompts", list: listPrompts },
  "resources/list": { key: "resources", list: listResources },
  "resources/templates/list": { key: "resourceTemplates", list: listResourceTemplates },
} as const;

export type ListMethod = keyof typeof LISTS;

export function isListMethod(method: string): method is ListMethod {
  return Object.hasOwn(LISTS, method);
}

/** One routed request as it runs: what the caller knows of it, and the hooks into its transport. */
export interface CallRun {
  requestId: RequestId;
  /** Filled in as the request is resolved and decided: its audit record reads it, whatever the outcome. */
  subject: Subject;
  decision: Decision | null;
  /** The approval request the call waited for, when it needed one. */
  approvalId?: string;
  /** The scrubber of the connection the request went over, once it got that far: its audit record uses it too. */
  redactor?: Redactor;
  signal: AbortSignal;
  /** Set when the transport can deliver progress; called only if the client sent a progress token, which it carries. */
  onProgress?: (progress: Progress & { progressToken: ProgressToken }) => void;
  onSent?: (downstreamId: RequestId | undefined) => void;
}

export interface GatewayDeps {
  config: McpConfig;
  directory: ServerDirectory;
  pool: DownstreamPool;
  decide: DecideHook;
  /** Where a tool call that needs approval waits for it; without one, such a call is refused. */
  hold?: HoldHook;
  /** A server's catalog as this caller may see it: lists show exactly what `decide` can let through. */
  visible(context: CallContext, entry: CatalogEntry): CatalogEntry;
}

/**
 * The call pipeline, free of HTTP and of sessions: `resolve` (which server, which original name or URI,
 * which params), `decide` (the policy hook), `forward` (the vault-injected connection) and `present`
 * (names and URIs as the endpoint shows them). A session is one caller of it; a stateless request another.
 */
export class GatewayCore {
  readonly #deps: GatewayDeps;

  constructor(deps: GatewayDeps) {
    this.#deps = deps;
  }

  /** The session's one read of the servers it may use happens here, with the answer to initialize. */
  async initializeResult(context: CallContext, protocolVersion: string): Promise<Record<string, unknown>> {
    await this.#deps.directory.load();
    const base = { protocolVersion };
    if (context.scope) {
      // The single-server endpoint presents the downstream server as it is.
      const { serverInfo, instructions, capabilities } = (await this.#deps.directory.entry(context.scope, true)).catalog;
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
        // Task ids are routed back to their server by their prefix (see presentTask).
        tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
      },
      serverInfo: { name: "peta-core", title: "Peta Core", version: packageJson.version },
      instructions: "Tools and prompts are named <serverId>__<name>; resources are peta://<serverId>/<uri>.",
    };
  }

  async list(context: CallContext, method: ListMethod, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { key, list } = LISTS[method];
    const entries = (await this.#deps.directory.entries()).map((entry) => this.#deps.visible(context, entry));
    const items = list({ scope: context.scope }, entries);
    const { page, nextCursor } = paginate(items, params.cursor, this.#deps.config.listPageSize);
    return nextCursor ? { [key]: page, nextCursor } : { [key]: page };
  }

  /**
   * tasks/list: the one server's list on `/mcp/<serverId>`; on `/mcp`, the first page of every server
   * that lists tasks, merged, with ids that name their server.
   */
  async listTasks(context: CallContext, params: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>> {
    const { directory, pool, config } = this.#deps;
    const serverIds = context.scope
      ? [context.scope]
      : (await directory.entries()).filter((entry) => (entry.catalog.capabilities.tasks as { list?: unknown } | undefined)?.list).map((entry) => entry.serverId);
    const lists = await Promise.all(
      serverIds.map(async (serverId) => {
        const { client, redactor } = await pool.connection(await directory.target(await directory.server(serverId)));
        const result = await client.request({ method: "tasks/list", params: context.scope ? params : {} }, ListTasksResultSchema, { signal, timeout: config.callTimeoutMs });
        return { serverId, result: redactor.scrub(result) as Record<string, unknown> };
      }),
    );
    if (context.scope) return lists[0]!.result;
    return { tasks: lists.flatMap(({ serverId, result }) => (result.tasks as Record<string, unknown>[]).map((task) => presentTask(serverId, task))) };
  }

  /** resolve → decide → forward → present, for one routed request. */
  async call(context: CallContext, request: JsonRpcRequest, run: CallRun): Promise<Record<string, unknown>> {
    const { directory } = this.#deps;
    try {
      const target = await resolveTarget(request, context.scope, (serverId, fresh) => directory.entry(serverId, fresh), run.subject);
      // The scrubber of the server's open connection, if any, for the record of a call refused before it goes out.
      run.redactor = await this.#deps.pool.redactor(target.serverId);
      if (request.method === "tools/call") {
        const invalid = invalidArguments(target);
        if (invalid) {
          run.decision = { effect: "deny", reason: invalid, policyId: null };
          return toolError(`${invalid}. Call it again with arguments that match its inputSchema.`);
        }
      }
      const decision = (run.decision = await this.#deps.decide(context, target));
      const { hold } = this.#deps;
      if (decision.effect === "require_approval" && hold && request.method === "tools/call") {
        const result = await hold({
          context,
          target,
          decision,
          run,
          redactor: async () => (await this.#connection(target.serverId)).redactor,
          redecide: async (args) => this.#deps.decide(context, withArguments(target, args)),
          execute: (args) => this.#forward(context, withArguments(target, args), run),
        });
        return presentResult(context.scope, target, result);
      }
      if (decision.effect !== "allow") return refuse(request.method, decision);
      const result = await this.#forward(context, target, run);
      return presentResult(context.scope, target, result);
    } catch (error) {
      // The model calling the tool should read what to do, so this is a tool result, not a protocol error.
      if (error instanceof NeedsConfiguration && request.method === "tools/call") return toolError(error.message);
      throw error;
    }
  }

  async #connection(serverId: string) {
    const { directory, pool } = this.#deps;
    return pool.connection(await directory.target(await directory.server(serverId)));
  }

  async #forward(context: CallContext, target: CallTarget, run: CallRun): Promise<Record<string, unknown>> {
    const { pool, config } = this.#deps;
    const connection = await this.#connection(target.serverId);
    run.redactor = connection.redactor;
    const { onProgress } = run;
    const { progressToken } = target;
    try {
      return await forwardCall(connection, target, {
        signal: run.signal,
        timeoutMs: config.callTimeoutMs,
        ...(progressToken !== undefined && onProgress ? { onProgress: (progress) => onProgress({ ...progress, progressToken }) } : {}),
        ...(run.onSent ? { onSent: run.onSent } : {}),
      });
    } catch (error) {
      if (error instanceof BrokenConnection) {
        await pool.drop(target.serverId);
        logEvent("downstream.error", { sessionId: context.sessionId, serverId: target.serverId, error: error.message }, "warn");
      }
      throw error;
    }
  }
}

/**
 * A tool call's arguments are checked against the tool's inputSchema before the policy sees them, so a
 * malformed call is told what is wrong (a model can correct itself, as the MCP spec asks of input
 * validation) rather than refused by a rule that could not read it. null: the arguments are valid, or
 * the tool is not in the catalog (on /mcp/<serverId>, the server judges a name it lacks).
 */
function invalidArguments(target: CallTarget): string | null {
  const errors = inputSchemaErrors(target.arguments, target.item?.inputSchema as Record<string, unknown> | undefined);
  return errors.length === 0 ? null : `Invalid arguments for tool "${target.name}": ${errors.join("; ")}`;
}

/**
 * A refusal the caller can act on: a rate limit is an error with `retryAfterMs`; a tool call refused by
 * the policy is a tool result (the model reads it and can change course); anything else an error. The
 * reason names the refusing layer or rule. A call that needs approval and cannot be held (no hold
 * hook, or no tool call) is refused with that reason.
 */
function refuse(method: string, decision: Exclude<Decision, { effect: "allow" }>): Record<string, unknown> {
  if (decision.effect === "deny" && decision.retryAfterMs !== undefined) {
    throw new RpcFailure(JSONRPC_ERRORS.RATE_LIMITED, `Rate limited: ${decision.reason}; retry after ${Math.ceil(decision.retryAfterMs / 1000)} s`, { retryAfterMs: decision.retryAfterMs });
  }
  if (decision.effect === "require_approval") {
    throw new RpcFailure(JSONRPC_ERRORS.POLICY_DENIED, `${decision.reason} (only a tool call in an MCP session can wait for approval, so this request is refused)`);
  }
  if (method === "tools/call") return toolError(decision.reason);
  throw new RpcFailure(JSONRPC_ERRORS.POLICY_DENIED, decision.reason);
}
