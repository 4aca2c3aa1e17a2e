import { insertAuditRecords } from "../../audit/store.ts";
import type { AuditFields } from "../../audit/record.ts";
import { openDatabase } from "../../db/client.ts";
import { errorText } from "../../db/errors.ts";
import type { AppEnv } from "../../env.ts";
import { analyticsPoint } from "../../observability/analytics.ts";
import { logEvent } from "../../observability/log.ts";
import type { AuditOutbox } from "./audit-outbox.ts";

/** Records per Postgres insert when draining the outbox. */
const FLUSH_BATCH = 200;
/** Retry delays while Postgres is unreachable: doubling from 1 s, capped at 10 s so delivery resumes soon after Postgres does. */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 10_000;

/**
 * A Durable Object's audit records from its outbox to Postgres, for the MCP session and the 2026
 * bridge alike: each record is stored (and counted in Analytics Engine) as it is made, and delivered
 * in batches when the object's alarm calls `flush`, backing off while Postgres fails.
 */
export class OutboxDelivery {
  readonly #env: AppEnv;
  readonly #outbox: AuditOutbox;
  #retryMs = FIRST_RETRY_MS;

  constructor(env: AppEnv, outbox: AuditOutbox) {
    this.#env = env;
    this.#outbox = outbox;
  }

  /**
   * How soon the next delivery should run: a second after a record, which turns a busy second into one
   * insert rather than a round trip per call; longer while Postgres is failing.
   */
  get retryMs(): number {
    return this.#retryMs;
  }

  get pending(): number {
    return this.#outbox.pending;
  }

  /** Seals and stores one record (`then` commits with it); resolves once it is durable. */
  async record(chainId: string, fields: AuditFields | Promise<AuditFields>, then?: () => void): Promise<void> {
    await this.#outbox.append(chainId, fields, then);
    try {
      this.#env.ANALYTICS?.writeDataPoint(analyticsPoint(await fields));
    } catch (error) {
      // A counter is optional; the audit record and the answer it carries are not.
      logEvent("analytics.write_failed", { error: errorText(error) }, "warn");
    }
  }

  /** Delivers the outbox to Postgres; on failure the records stay and the next try backs off. */
  async flush(): Promise<void> {
    if (this.#outbox.pending === 0) return;
    const handle = openDatabase(this.#env);
    try {
      for (let batch = this.#outbox.peek(FLUSH_BATCH); batch.length > 0; batch = this.#outbox.peek(FLUSH_BATCH)) {
        await insertAuditRecords(handle.db, batch);
        this.#outbox.delivered(batch);
      }
      this.#retryMs = FIRST_RETRY_MS;
    } catch (error) {
      this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
      logEvent("audit.flush_failed", { pending: this.#outbox.pending, retryInMs: this.#retryMs, error: errorText(error) }, "warn");
    } finally {
      await handle.close().catch(() => {});
    }
  }
}
