import {
  CallToolResultSchema,
  CancelTaskResultSchema,
  CompleteResultSchema,
  CreateTaskResultSchema,
  GetTaskResultSchema,
  ResultSchema,
  EmptyResultSchema,
  ErrorCode,
  GetPromptResultSchema,
  McpError as SdkMcpError,
  type Progress,
  ReadResourceResultSchema,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { errorText } from "../../db/errors.ts";
import type { Connection } from "../downstream.ts";
import type { Redactor } from "../../vault/redactor.ts";
import { JSONRPC_ERRORS, RpcFailure } from "../protocol.ts";
import type { CallTarget } from "./resolve.ts";

const RESULT_SCHEMAS: Record<string, Parameters<Client["request"]>[1]> = {
  // A task-augmented call answers with the task instead; the server's answer is passed on either way.
  "tools/call": CallToolResultSchema.or(CreateTaskResultSchema),
  "prompts/get": GetPromptResultSchema,
  "resources/read": ReadResourceResultSchema,
  "resources/subscribe": EmptyResultSchema,
  "resources/unsubscribe": EmptyResultSchema,
  "completion/complete": CompleteResultSchema,
  "tasks/get": GetTaskResultSchema,
  // The task's own result: whatever the request it ran answers (a tool result, for tools/call).
  "tasks/result": ResultSchema,
  "tasks/cancel": CancelTaskResultSchema,
};

export interface ForwardOptions {
  signal: AbortSignal;
  timeoutMs: number;
  /** The server's progress, scrubbed; only asked for when the client sent a progress token. */
  onProgress?: (progress: Progress) => void;
  /** The id the SDK client gave the request downstream: the server's own requests for it name that id. */
  onSent?: (downstreamId: RequestId | undefined) => void;
}

/** The connection itself failed (not the server's answer): it is dropped, and the next call reconnects. */
export class BrokenConnection extends RpcFailure {}

/** Sends one resolved request over the server's connection; the result comes back scrubbed of injected values. */
export async function forwardCall(connection: Connection, target: CallTarget, options: ForwardOptions): Promise<Record<string, unknown>> {
  const { client, origins, redactor } = connection;
  const onProgress = options.onProgress;
  try {
    const sent = origins.sending(() =>
      client.request({ method: target.method, params: target.params }, RESULT_SCHEMAS[target.method]!, {
        signal: options.signal,
        timeout: options.timeoutMs,
        resetTimeoutOnProgress: true,
        ...(onProgress ? { onprogress: (progress: Progress) => onProgress(redactor.scrub(progress)) } : {}),
      }),
    );
    options.onSent?.(sent.id);
    return scrubAcrossText(redactor, redactor.scrub((await sent.result) as Record<string, unknown>));
  } catch (error) {
    // A cancelled call is no failure of the server: its connection stays, to carry the cancellation.
    if (options.signal.aborted) throw error;
    throw downstreamFailure(connection, target.serverId, error);
  }
}

type TextBlock = { type: "text"; text: string };

/**
 * A client reads the text items of one content array as one text, so a value split across two of them
 * (`"…tok_li"`, `"ve_5f3c…"`) is a leak too: the items are scrubbed together, each keeping its place.
 */
function scrubAcrossText(redactor: Redactor, result: Record<string, unknown>): Record<string, unknown> {
  if (redactor.isEmpty || !Array.isArray(result.content)) return result;
  const blocks = result.content as unknown[];
  const texts = blocks.filter((block): block is TextBlock => (block as TextBlock | null)?.type === "text" && typeof (block as TextBlock).text === "string");
  if (texts.length < 2) return result;
  const scrubbed = redactor.scrubParts(texts.map((block) => block.text));
  const byBlock = new Map(texts.map((block, i) => [block, scrubbed[i]!]));
  return { ...result, content: blocks.map((block) => (byBlock.has(block as TextBlock) ? { ...(block as TextBlock), text: byBlock.get(block as TextBlock) } : block)) };
}

/** A downstream's own JSON-RPC error passes through with its data; a broken connection is reported plainly. */
function downstreamFailure(connection: Connection, serverId: string, error: unknown): RpcFailure {
  const message = connection.redactor.scrubText(errorText(error));
  if (error instanceof SdkMcpError && error.code !== ErrorCode.ConnectionClosed && error.code !== ErrorCode.RequestTimeout) {
    const data = error.data === undefined ? undefined : connection.redactor.scrub(error.data);
    return new RpcFailure(error.code, message.replace(/^MCP error -?\d+: /, ""), data);
  }
  return new BrokenConnection(JSONRPC_ERRORS.DOWNSTREAM_ERROR, `Server "${serverId}" failed: ${message}`);
}
