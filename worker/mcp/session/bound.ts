import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { AppEnv } from "../../env.ts";
import { askableCapabilities } from "../client-capabilities.ts";
import type { McpConfig } from "../config.ts";
import type { DecideHook } from "../core/decide.ts";
import type { HoldHook } from "../core/hold.ts";
import { GatewayCore, type GatewayDeps } from "../core/gateway.ts";
import { DownstreamPool } from "../downstream.ts";
import { recordConnectOutcomeLater } from "../connect-outcomes.ts";
import type { Calls, Emit } from "./calls.ts";
import { ServerDirectory } from "./server-directory.ts";
import { relayServerNotification } from "./server-notifications.ts";
import type { SessionRecord } from "./store.ts";

/** What a session's record binds together: its downstream connections, its servers, and the call pipeline over them. */
export interface Bound {
  pool: DownstreamPool;
  directory: ServerDirectory;
  core: GatewayCore;
}

export interface BindHooks {
  decide: DecideHook;
  hold: HoldHook;
  visible: GatewayDeps["visible"];
  emit: Emit;
  /** Where servers' requests of the client are relayed and their answers awaited. */
  calls: Calls;
  /** A new downstream connection is ready: the session's settings (its logging level) are applied to it. */
  onConnect(client: Client): Promise<void>;
}

/** Builds, for one session record, the pool, the directory and the core, wired to each other once. */
export function bindSession(env: AppEnv, config: McpConfig, record: SessionRecord, hooks: BindHooks): Bound {
  const pool = new DownstreamPool({
    connectTimeoutMs: config.connectTimeoutMs,
    capabilities: askableCapabilities(record.clientCapabilities).capabilities,
    events: {
      onNotification: (source, notification) =>
        void relayServerNotification(source, notification, {
          scope: record.scope,
          emit: hooks.emit,
          streamFor: (serverId) => hooks.calls.streamFor(serverId),
          refreshCatalog: async (serverId, lists) => {
            await directory.refreshCatalog((await directory.server(serverId)).row, lists);
          },
        }),
      onReverseRequest: (source, request, signal, origin) =>
        hooks.calls.relay(
          { serverId: source.serverId, request, signal, origin, redactor: source.redactor },
          { capabilities: record.clientCapabilities, emit: hooks.emit, timeoutMs: config.callTimeoutMs },
        ),
      onConnect: (_serverId, client) => hooks.onConnect(client),
    },
    onOutcome: (serverId, outcome) => recordConnectOutcomeLater(() => directory.db(), serverId, outcome),
  });
  const directory = new ServerDirectory(env, config, { userId: record.principal.userId, scope: record.scope, sessionId: record.sessionId }, pool);
  return { pool, directory, core: new GatewayCore({ config, directory, pool, decide: hooks.decide, hold: hooks.hold, visible: hooks.visible }) };
}
