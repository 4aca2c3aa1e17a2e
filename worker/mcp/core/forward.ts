import {
  CallToolResultSchema,
  CompleteResultSchema,
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
import { JSONRPC_ERRORS, RpcFailure } from "../protocol.ts";
import type { CallTarget } from "./resolve.ts";

const RESULT_SCHEMAS: Record<string, Parameters<Client["request"]>[1]> = {
  "tools/call": CallToolResultSchema,
  "prompts/get": GetPromptResultSchema,
  "resources/read": ReadResourceResultSchema,
  "resources/subscribe": EmptyResultSchema,
  "resources/unsubscribe": EmptyResultSchema,
  "completion/complete": CompleteResultSchema,
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
    return redactor.scrub((await sent.result) as Record<string, unknown>);
  } catch (error) {
    // A cancelled call is no failure of the server: its connection stays, to carry the cancellation.
    if (options.signal.aborted) throw error;
    throw downstreamFailure(connection, target.serverId, error);
  }
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
