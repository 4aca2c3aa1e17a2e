import { eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { errorText } from "../db/errors.ts";
import { servers } from "../db/schema.ts";
import { logEvent } from "../observability/log.ts";
import type { ConnectOutcome } from "./downstream.ts";

/**
 * Keeps a server's last connection outcome on its row, where GET_SERVER_STATUS reads it. The error is
 * already scrubbed by the connection's redactor and names the URL without its secrets. A success keeps
 * the last error (older than `lastConnectedAt`, so it reads as past) and clears the back-off.
 */
export async function recordConnectOutcome(db: Database, serverId: string, outcome: ConnectOutcome): Promise<void> {
  const set =
    outcome.kind === "connected"
      ? { lastConnectedAt: new Date(outcome.at), nextConnectTryAt: null }
      : { lastConnectError: outcome.failure.error, lastConnectErrorAt: new Date(outcome.failure.failedAt), nextConnectTryAt: new Date(outcome.failure.nextTryAt) };
  await db.update(servers).set(set).where(eq(servers.serverId, serverId));
}

/** The same, in the background: no call waits for it, and a failed write is only logged. */
export function recordConnectOutcomeLater(db: () => Database, serverId: string, outcome: ConnectOutcome): void {
  void Promise.resolve()
    .then(() => recordConnectOutcome(db(), serverId, outcome))
    .catch((error: unknown) => logEvent("server.outcome_save_failed", { serverId, error: errorText(error) }, "warn"));
}
