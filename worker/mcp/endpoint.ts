import type { Principal } from "../auth/principal.ts";
import type { AppContext } from "../http/context.ts";
import { isGranted } from "../policy/layers.ts";
import { loadPolicySnapshot } from "../policy/snapshot.ts";
import { JSONRPC_ERRORS } from "./protocol.ts";
import { transportError } from "./session/responses.ts";

/**
 * `/mcp/<serverId>` when the caller may not reach that server: unknown, disabled, or private and not
 * granted to them, all answered alike (404), so a private server's id, name and capabilities stay
 * unknown to who may not use it. Asked where an endpoint introduces itself (initialize, server/discover),
 * with the one server's part of the policy snapshot (one query).
 */
export async function unreachableEndpoint(c: AppContext, principal: Principal, serverId: string): Promise<Response | null> {
  const snapshot = await loadPolicySnapshot(c.get("db")(), principal, serverId);
  if (snapshot.servers[serverId]?.enabled && isGranted(snapshot, serverId)) return null;
  return transportError(404, JSONRPC_ERRORS.INVALID_REQUEST, `No enabled server "${serverId}"`);
}
