import { openDatabase } from "../db/client.ts";
import type { AppEnv } from "../env.ts";
import { pruneExpiredOAuth } from "../auth/oauth/prune.ts";
import { pruneAudit, retentionCutoff } from "./prune.ts";
import { logEvent } from "../observability/log.ts";
import { errorText } from "../db/errors.ts";

/**
 * The cron trigger's work: prune the audit trail to AUDIT_RETENTION_DAYS ("0" keeps everything), and
 * drop OAuth codes, refresh tokens and spent consent tickets past their expiry, and clients never used.
 */
export async function runScheduledPrune(env: AppEnv, now = Date.now()): Promise<void> {
  const cutoff = retentionCutoff(env.AUDIT_RETENTION_DAYS, now);
  const handle = openDatabase(env);
  try {
    if (cutoff) {
      const result = await pruneAudit(handle.db, cutoff);
      logEvent("audit.prune", { cutoff: cutoff.toISOString(), ...result });
    }
    logEvent("oauth.prune", await pruneExpiredOAuth(handle.db, new Date(now)));
  } catch (error) {
    // Logged for Workers observability; rethrown so the cron run is marked failed and retried next time.
    logEvent("audit.prune_failed", { error: errorText(error) }, "error");
    throw error;
  } finally {
    await handle.close().catch(() => {});
  }
}
