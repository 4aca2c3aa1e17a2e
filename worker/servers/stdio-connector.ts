import type { ServerRow } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { JSONRPC_ERRORS, RpcFailure } from "../mcp/protocol.ts";
import type { ConnectionTemplate } from "../vault/placeholders.ts";
import { instanceName, type StdioLaunch } from "./stdio-definition.ts";
import { type StdioBridge, stdioRuntime } from "./stdio-runtime.ts";

/**
 * The launch of the instance that serves `userId`. The instance is chosen from the template (does it
 * use `{{user:…}}`?), the values from its resolution.
 */
export function stdioLaunch(server: LaunchedServer, template: ConnectionTemplate, resolved: ConnectionTemplate, userId: string | null): StdioLaunch {
  if (!template.stdio || !resolved.stdio) throw new RpcFailure(JSONRPC_ERRORS.DOWNSTREAM_ERROR, `Server "${server.serverId}" is a stdio server without a command`);
  const { command, args, env, idleSeconds, keepWarm } = resolved.stdio;
  return { instance: instanceName(server.serverId, template.stdio, userId), command, args, env, idleSeconds, keepWarm, generation: server.createdAt.getTime() };
}

/** Which server an instance runs: its id, and its creation, which tells it from a deleted one of the same id. */
export type LaunchedServer = Pick<ServerRow, "serverId" | "createdAt">;

/**
 * The connector seam of the downstream pool: for a stdio server, the URL and fetch of its instance's
 * bridge take the place of the server's own URL. Everything after (the SDK client, scrubbing, policy,
 * audit) is the same as for a remote server.
 */
export function connectStdio(env: AppEnv, server: LaunchedServer, template: ConnectionTemplate, resolved: ConnectionTemplate, userId: string | null): Promise<StdioBridge> {
  return stdioRuntime(env).bridge(stdioLaunch(server, template, resolved, userId));
}
