import { DurableObject } from "cloudflare:workers";
import { insertAuditRecords } from "../worker/audit/store.ts";
import { openDatabase } from "../worker/db/client.ts";
import { errorText } from "../worker/db/errors.ts";
import type { AppEnv } from "../worker/env.ts";
import { readMcpConfig } from "../worker/mcp/config.ts";
import { AuditOutbox } from "../worker/mcp/session/audit-outbox.ts";
import { type BridgeInput, StatelessBridge } from "../worker/mcp/stateless/bridge.ts";
import { analyticsPoint } from "../worker/observability/analytics.ts";
import { logEvent } from "../worker/observability/log.ts";

/** Records per Postgres insert when draining the audit outbox. */
const FLUSH_BATCH = 200;
/** Delivery a second after a record (one insert for a busy second), doubling to 10 s while Postgres fails. */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 10_000;

/**
 * One instance per (caller, endpoint, downstream server) of MCP 2026-07-28 clients, named by
 * `bridgeName()`. A 2026 client brings no session, so this object holds the downstream session (an SDK
 * Client connection, reused by every request), the calls held open for an `input_required` retry, and
 * the audit outbox of its own hash chain (one per day). The Worker reaches it only through `handle`.
 */
export class ServerBridge extends DurableObject<AppEnv> {
  readonly #bridge: StatelessBridge;
  readonly #outbox: AuditOutbox;
  #retryMs = FIRST_RETRY_MS;
  #alarmAt: number | null | undefined = undefined;

  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    this.#outbox = new AuditOutbox(ctx.storage.sql, (work) => ctx.storage.transactionSync(work));
    this.#bridge = new StatelessBridge(env, readMcpConfig(env), {
      enabled: env.AUDIT_ENABLED !== "false",
      record: async (chainId, fields) => {
        await this.#outbox.append(chainId, fields);
        try {
          env.ANALYTICS?.writeDataPoint(analyticsPoint(fields));
        } catch (error) {
          logEvent("analytics.write_failed", { error: errorText(error) }, "warn");
        }
        await this.#alarmNoLaterThan(Date.now() + this.#retryMs);
      },
    });
  }

  handle(input: BridgeInput): Promise<Response> {
    return this.#bridge.handle(input);
  }

  /** Servers or their values changed (pushed through the session directory): true if this bridge had any to read again. */
  refresh(): Promise<boolean> {
    return this.#bridge.refresh();
  }

  /** A decision on a call this bridge holds for approval: the call runs (or is answered) now. */
  async approvalDecided(approvalId: string): Promise<void> {
    this.#bridge.wakeApprovalWaits(approvalId);
  }

  /** A list change or resource update from another bridge of the same caller on `/mcp`, for this one's listen streams. */
  publish(notification: { method: string; params?: Record<string, unknown> }): void {
    this.#bridge.publish(notification);
  }

  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    if (this.#outbox.pending === 0) return;
    const handle = openDatabase(this.env);
    try {
      for (let batch = this.#outbox.peek(FLUSH_BATCH); batch.length > 0; batch = this.#outbox.peek(FLUSH_BATCH)) {
        await insertAuditRecords(handle.db, batch);
        this.#outbox.delivered(batch);
      }
      this.#retryMs = FIRST_RETRY_MS;
    } catch (error) {
      this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
      logEvent("audit.flush_failed", { pending: this.#outbox.pending, retryInMs: this.#retryMs, error: errorText(error) }, "warn");
      await this.#alarmNoLaterThan(Date.now() + this.#retryMs);
    } finally {
      await handle.close().catch(() => {});
    }
  }

  async #alarmNoLaterThan(at: number): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt === null || this.#alarmAt > at) {
      await this.ctx.storage.setAlarm(at);
      this.#alarmAt = at;
    }
  }
}
