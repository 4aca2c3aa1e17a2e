import { errorText } from "../db/errors.ts";
import type { AppEnv } from "../env.ts";
import { withTimeout } from "../http/with-timeout.ts";
import { fetchList } from "../mcp/catalog.ts";
import { readMcpConfig } from "../mcp/config.ts";
import { recordConnectOutcome } from "../mcp/connect-outcomes.ts";
import { DownstreamPool } from "../mcp/downstream.ts";
import { NeedsConfiguration, ServerDirectory } from "../mcp/session/server-directory.ts";
import { referencedNames } from "../vault/placeholders.ts";
import type { ServerView } from "./store.ts";

/** What CREATE_SERVER and UPDATE_SERVER say of the one connection they tried: never a refusal. */
export interface ProbeReport {
  warning?: string;
  notProbed?: string;
}

/**
 * Tries to reach a server just registered or reconfigured, and to list its tools, as the owner key would
 * (its secrets injected, nothing asked of a client), within MCP_CONNECT_TIMEOUT_MS. The outcome is kept
 * for GET_SERVER_STATUS like any session's; the server is registered whatever it is.
 */
export async function probeConnection(env: AppEnv, server: ServerView): Promise<ProbeReport> {
  if (server.transport === "stdio") return {};
  if (!server.enabled) return { notProbed: "not tried: the server is disabled" };
  if (referencedNames({ url: server.url, headers: server.headers }).some((ref) => ref.kind === "user")) {
    return { notProbed: "not tried: its URL or headers use {{user:…}} values, which each user sets; each user's first call tries it" };
  }
  const config = readMcpConfig(env);
  const outcomes: Promise<void>[] = [];
  const pool = new DownstreamPool({
    connectTimeoutMs: config.connectTimeoutMs,
    capabilities: {},
    events: { onNotification: () => {}, onReverseRequest: async () => ({}), onConnect: async () => {} },
    onOutcome: (serverId, outcome) => void outcomes.push(recordConnectOutcome(directory.db(), serverId, outcome)),
  });
  const directory = new ServerDirectory(env, config, { userId: null, scope: server.serverId, sessionId: null }, pool);
  const tried = (async (): Promise<ProbeReport> => {
    const { client, redactor } = await pool.connection(await directory.target(await directory.server(server.serverId)));
    await fetchList(client, "tools", config.connectTimeoutMs).catch((error: unknown) => {
      throw new Error(`Connected to server "${server.serverId}", but listing its tools failed: ${redactor.scrubText(errorText(error))}`);
    });
    return {};
  })();
  try {
    return await withTimeout(tried, config.connectTimeoutMs, `Connecting to server "${server.serverId}"`);
  } catch (error) {
    // A value an admin has yet to set is a step to take, not a failure of the server.
    if (error instanceof NeedsConfiguration) return { notProbed: `not tried: ${error.message}` };
    return { warning: errorText(error) };
  } finally {
    // The reply waits for the outcome to be kept; a connection still trying after the timeout is closed once it gives up.
    await Promise.allSettled(outcomes);
    void tried
      .catch(() => {})
      .then(() => Promise.allSettled(outcomes))
      .then(() => pool.closeAll())
      .then(() => directory.close());
  }
}
