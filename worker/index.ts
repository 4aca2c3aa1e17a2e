import { app } from "./app.ts";
import { runScheduledPrune } from "./audit/scheduled.ts";
import type { AppEnv } from "./env.ts";

export { Desk } from "../durable-objects/desk.ts";
export { McpSession } from "../durable-objects/mcp-session.ts";
export { SessionDirectory } from "../durable-objects/session-directory.ts";
export { StdioContainer } from "../durable-objects/stdio-container.ts";
export { RateLimiter } from "../durable-objects/rate-limiter.ts";
export { ServerBridge } from "../durable-objects/server-bridge.ts";

/** Cron triggers (wrangler.toml `[triggers]`): the only one prunes the audit trail. */
async function scheduled(_controller: ScheduledController, env: AppEnv): Promise<void> {
  // Awaited rather than handed to waitUntil, so a failed prune marks the cron run as failed.
  await runScheduledPrune(env);
}

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<AppEnv>;
