import type { ProgressToken } from "@modelcontextprotocol/sdk/types.js";
import type { CatalogEntry } from "../aggregate.ts";
import { parseExposedName, parseExposedUri, resolveLocalName } from "../names.ts";
import { JSONRPC_ERRORS, type JsonRpcRequest, RpcFailure } from "../protocol.ts";
import { normaliseResourceUri } from "../resource-uri.ts";

/** Requests that go to one downstream server; everything else the gateway answers itself. */
export const ROUTED_METHODS: ReadonlySet<string> = new Set([
  "tools/call",
  "prompts/get",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "completion/complete",
  "tasks/get",
  "tasks/result",
  "tasks/cancel",
]);

export type TargetKind = "tool" | "prompt" | "resource" | "completion" | "task";

/** What one routed request targets, worked out once: every later step reads it, none parses again. */
export interface CallTarget {
  method: string;
  kind: TargetKind;
  serverId: string;
  /** The original tool or prompt name, the server's own resource URI, or its own task id. */
  name: string;
  arguments: unknown;
  /** The params as the server receives them: original names, and no progress token of the client's. */
  params: Record<string, unknown>;
  progressToken: ProgressToken | undefined;
  /** The tool's or prompt's catalog entry (annotations, input schema), when routing consulted the catalog. */
  item: Record<string, unknown> | null;
}

/** What an audit record names of a request: as far as resolving got, so a failed route still names its server. */
export interface Subject {
  serverId: string | null;
  name: string | null;
  arguments: unknown;
}

/** The same call with other arguments (an approver's edit): the params the server receives carry them too. */
export function withArguments(target: CallTarget, args: unknown): CallTarget {
  return { ...target, arguments: args, params: { ...target.params, arguments: args } };
}

export function subjectOf(request: Pick<JsonRpcRequest, "params">, serverId: string | null = null): Subject {
  const params = request.params ?? {};
  const name = typeof params.name === "string" ? params.name : typeof params.uri === "string" ? params.uri : null;
  const parsed = name === null ? null : (parseExposedName(name) ?? parseExposedUri(name));
  return { serverId: serverId ?? parsed?.serverId ?? null, name, arguments: params.arguments };
}

/** A server's catalog for routing; `fresh` fetches it from the server, for a name newer than the cache. */
export type CatalogLookup = (serverId: string, fresh: boolean) => Promise<CatalogEntry>;

/**
 * Works out the server, the original name or URI, and the params to send. `subject` is updated as each
 * part becomes known, so that a request that fails half-way is still audited with what it named.
 */
export async function resolveTarget(request: JsonRpcRequest, scope: string | null, catalogs: CatalogLookup, subject: Subject): Promise<CallTarget> {
  const params = request.params ?? {};
  const base = { method: request.method, arguments: params.arguments, ...splitProgress(params) };
  switch (request.method) {
    case "tools/call":
    case "prompts/get": {
      const kind = request.method === "tools/call" ? "tool" : "prompt";
      if (typeof params.name !== "string") throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `"name" must be a string`);
      const found = await resolveNamed(kind, params.name, scope, catalogs, subject);
      return { ...base, kind, serverId: found.serverId, name: found.name, item: found.item, params: { ...base.params, name: found.name } };
    }
    case "resources/read":
    case "resources/subscribe":
    case "resources/unsubscribe": {
      if (typeof params.uri !== "string") throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `"uri" must be a string`);
      const found = resolveUri(scope, params.uri, subject);
      return { ...base, kind: "resource", serverId: found.serverId, name: found.uri, item: null, params: { ...base.params, uri: found.uri } };
    }
    case "completion/complete": {
      const ref = (params.ref ?? {}) as { type?: string; name?: string; uri?: string };
      if (ref.type === "ref/prompt" && typeof ref.name === "string") {
        const found = await resolveNamed("prompt", ref.name, scope, catalogs, subject);
        return { ...base, kind: "completion", serverId: found.serverId, name: found.name, item: found.item, params: { ...base.params, ref: { ...ref, name: found.name } } };
      }
      if (ref.type === "ref/resource" && typeof ref.uri === "string") {
        const found = resolveUri(scope, ref.uri, subject);
        return { ...base, kind: "completion", serverId: found.serverId, name: found.uri, item: null, params: { ...base.params, ref: { ...ref, uri: found.uri } } };
      }
      throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `"ref" must be a ref/prompt with a name or a ref/resource with a uri`);
    }
    case "tasks/get":
    case "tasks/result":
    case "tasks/cancel": {
      if (typeof params.taskId !== "string") throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `"taskId" must be a string`);
      const found = scope ? { serverId: scope, local: params.taskId } : parseExposedName(params.taskId);
      if (!found) throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `Unknown task "${params.taskId}": task ids on this endpoint are <serverId>__<taskId>`);
      subject.serverId = found.serverId;
      subject.name = found.local;
      return { ...base, kind: "task", serverId: found.serverId, name: found.local, item: null, params: { ...base.params, taskId: found.local } };
    }
    default:
      throw new RpcFailure(JSONRPC_ERRORS.METHOD_NOT_FOUND, `Method not found: ${request.method}`);
  }
}

/** The client's progress token stays with the gateway; the SDK client gives the server one of its own. */
function splitProgress(params: Record<string, unknown>): { params: Record<string, unknown>; progressToken: ProgressToken | undefined } {
  const { _meta, ...rest } = params as { _meta?: { progressToken?: ProgressToken } & Record<string, unknown> };
  const { progressToken, ...meta } = _meta ?? {};
  return { params: Object.keys(meta).length > 0 ? { ...rest, _meta: meta } : rest, progressToken };
}

async function resolveNamed(kind: "tool" | "prompt", name: string, scope: string | null, catalogs: CatalogLookup, subject: Subject) {
  const serverId = scope ?? parseExposedName(name)?.serverId;
  if (!serverId) throw unknownName(kind, name);
  subject.serverId = serverId;
  let found = findNamed(kind, name, scope, await catalogs(serverId, false));
  // The name may be new since the catalog was cached: look once more before calling it unknown.
  if (!found && !scope) found = findNamed(kind, name, scope, await catalogs(serverId, true));
  if (!found) throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `Unknown ${kind} "${name}" on server "${serverId}"`);
  subject.name = found.name;
  return found;
}

function findNamed(kind: "tool" | "prompt", name: string, scope: string | null, entry: CatalogEntry) {
  const items = kind === "tool" ? entry.catalog.tools : entry.catalog.prompts;
  const byName = (original: string) => items.find((item) => item.name === original) ?? null;
  // The single-server endpoint passes names through as they are; the server judges a name it lacks.
  if (scope) return { serverId: entry.serverId, name, item: byName(name) };
  const qualified = parseExposedName(name);
  const original = qualified && resolveLocalName(entry.serverId, qualified.local, items.map((item) => String(item.name)));
  return original ? { serverId: entry.serverId, name: original, item: byName(original) } : null;
}

function unknownName(kind: "tool" | "prompt", name: string): RpcFailure {
  return new RpcFailure(
    JSONRPC_ERRORS.INVALID_PARAMS,
    `Unknown ${kind} "${name}": names on this endpoint are <serverId>__<name>, and no enabled server you may use matches`,
  );
}

function resolveUri(scope: string | null, uri: string, subject: Subject): { serverId: string; uri: string } {
  const found = scope ? { serverId: scope, uri } : parseExposedUri(uri);
  if (!found) throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `Unknown resource "${uri}": URIs on this endpoint are peta://<serverId>/<uri>`);
  subject.serverId = found.serverId;
  subject.name = found.uri;
  // Rules judge, and the server reads, one spelling of the resource.
  const normalised = { serverId: found.serverId, uri: normaliseResourceUri(found.uri) };
  subject.name = normalised.uri;
  return normalised;
}
