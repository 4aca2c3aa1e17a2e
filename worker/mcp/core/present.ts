import { exposedTaskId, exposedUri } from "../names.ts";
import type { CallTarget } from "./resolve.ts";

type Item = Record<string, unknown>;

/** The URI as this endpoint shows it: the server's own on `/mcp/<serverId>`, `peta://` on `/mcp`. */
export function presentUri(scope: string | null, serverId: string, uri: string): string {
  return scope ? uri : exposedUri(serverId, uri);
}

/**
 * A server's result as the client sees it, already scrubbed. On the aggregated endpoint every URI the
 * server names (resource links, embedded resources, read contents) becomes its `peta://` form, so the
 * client can read it back through the gateway.
 */
export function presentResult(scope: string | null, target: CallTarget, result: Item): Item {
  if (scope) return result;
  const content = (block: unknown) => presentContent(target.serverId, block);
  // Task ids name their server the way tool names do, so a later tasks/get finds its way back.
  if (isTask(result.task)) return { ...result, task: presentTask(target.serverId, result.task) };
  if (target.kind === "task" && typeof result.taskId === "string") return presentTask(target.serverId, result);
  if ((target.kind === "tool" || target.method === "tasks/result") && Array.isArray(result.content)) return { ...result, content: result.content.map(content) };
  if (target.kind === "prompt" && Array.isArray(result.messages)) {
    return { ...result, messages: (result.messages as Item[]).map((message) => ({ ...message, content: content(message.content) })) };
  }
  if (target.method === "resources/read" && Array.isArray(result.contents)) {
    return { ...result, contents: (result.contents as Item[]).map((c) => (typeof c.uri === "string" ? { ...c, uri: exposedUri(target.serverId, c.uri) } : c)) };
  }
  return result;
}

function isTask(value: unknown): value is Item & { taskId: string } {
  return typeof value === "object" && value !== null && typeof (value as Item).taskId === "string";
}

/** A task as the aggregated endpoint shows it: its id prefixed with its server's, like a tool name. */
export function presentTask(serverId: string, task: Item): Item {
  return { ...task, taskId: exposedTaskId(serverId, String(task.taskId)) };
}

function presentContent(serverId: string, content: unknown): unknown {
  if (typeof content !== "object" || content === null) return content;
  const block = content as Item;
  if (block.type === "resource_link" && typeof block.uri === "string") return { ...block, uri: exposedUri(serverId, block.uri) };
  const resource = block.resource as Item | undefined;
  if (block.type === "resource" && typeof resource?.uri === "string") return { ...block, resource: { ...resource, uri: exposedUri(serverId, resource.uri) } };
  return content;
}

/** A tool call's failure as a result the model reads (and can act on), rather than a protocol error. */
export function toolError(text: string): Record<string, unknown> {
  return { isError: true, content: [{ type: "text", text }] };
}
