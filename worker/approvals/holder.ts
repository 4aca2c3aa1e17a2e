import type { AppEnv } from "../env.ts";

/** A stateless request's calls are held by its ServerBridge object; a session's by the session's own. */
const BRIDGE_PREFIX = "bridge:";

/** What `approval_requests.session_id` names for calls held by the ServerBridge object `name`. */
export function bridgeHolder(name: string): string {
  return `${BRIDGE_PREFIX}${name}`;
}

/** Wakes whoever holds the request's call (waking the object if it was evicted): it runs or answers the call. */
export function pokeHolder(env: AppEnv, holder: string, approvalId: string): Promise<void> {
  return holder.startsWith(BRIDGE_PREFIX)
    ? env.SERVER_BRIDGE.getByName(holder.slice(BRIDGE_PREFIX.length)).approvalDecided(approvalId)
    : env.MCP_SESSION.getByName(holder).approvalDecided(approvalId);
}
