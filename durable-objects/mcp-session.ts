import { DurableObject } from "cloudflare:workers";
import type { AppEnv } from "../worker/env.ts";

/**
 * One instance per MCP session: it will hold the session's SSE event log for Last-Event-ID replay, its
 * downstream client connections and pending approval waits. Declared now so its SQLite migration ships
 * with the first deploy; the gateway-core issue gives it its behaviour.
 */
export class McpSession extends DurableObject<AppEnv> {}
