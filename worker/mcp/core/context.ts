import type { ClientCapabilities, Implementation } from "@modelcontextprotocol/sdk/types.js";
import type { Principal } from "../../auth/principal.ts";

/**
 * Who is calling and through which client, as the gateway core needs it: no HTTP, no session. A session
 * builds it from its record and the request's caller; a stateless request builds it from its own `_meta`.
 */
export interface CallContext {
  principal: Principal;
  /** The client's address as Cloudflare saw it (`CF-Connecting-IP`). */
  ip: string | null;
  client: Implementation;
  clientCapabilities: ClientCapabilities;
  /** The one server of `/mcp/<serverId>`, or null for the aggregated `/mcp`. */
  scope: string | null;
  /** For log lines and audit; null for a request that belongs to no session. */
  sessionId: string | null;
}
