import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { JSONRPC_ERRORS, RpcFailure } from "../protocol.ts";

type LoggingLevel = Parameters<Client["setLoggingLevel"]>[0];

const LOGGING_LEVELS: readonly string[] = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"] satisfies LoggingLevel[];

/** logging/setLevel's level, or -32602 naming what was sent. */
export function parseLoggingLevel(level: unknown): LoggingLevel {
  if (typeof level !== "string" || !LOGGING_LEVELS.includes(level)) throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `Invalid logging level "${String(level ?? "")}"`);
  return level as LoggingLevel;
}

/** The session's level, on a downstream connection that logs; a server without logging is left alone. */
export async function applyLoggingLevel(client: Client, level: string | null | undefined): Promise<void> {
  if (level && client.getServerCapabilities()?.logging) await client.setLoggingLevel(level as LoggingLevel);
}
