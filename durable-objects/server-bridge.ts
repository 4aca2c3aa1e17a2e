import { DurableObject } from "cloudflare:workers";
import type { AppEnv } from "../worker/env.ts";
import { readMcpConfig } from "../worker/mcp/config.ts";
import { AuditOutbox } from "../worker/mcp/session/audit-outbox.ts";
import { OutboxDelivery } from "../worker/mcp/session/outbox-delivery.ts";
import { type BridgeInput, StatelessBridge } from "../worker/mcp/stateless/bridge.ts";
import { HeldCallStore } from "../worker/mcp/stateless/held-store.ts";

/**
 * One instance per (caller, endpoint, downstream server) of MCP 2026-07-28 clients, named by
 * `bridgeName()`. A 2026 client brings no session, so this object holds the downstream session (an SDK
 * Client connection, reused by every request), the calls held open for an `input_required` retry, and
 * the audit outbox of its own hash chain (one per day). The Worker reaches it only through `handle`.
 */
export class ServerBridge extends DurableObject<AppEnv> {
  readonly #bridge: StatelessBridge;
  readonly #delivery: OutboxDelivery;
  #alarmAt: number | null | undefined = undefined;

  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    this.#delivery = new OutboxDelivery(env, new AuditOutbox(ctx.storage.sql, (work) => ctx.storage.transactionSync(work)));
    this.#bridge = new StatelessBridge(env, readMcpConfig(env), {
      enabled: env.AUDIT_ENABLED !== "false",
      record: async (chainId, fields) => {
        await this.#delivery.record(chainId, fields);
        await this.#alarmNoLaterThan(Date.now() + this.#delivery.retryMs);
      },
    }, new HeldCallStore(ctx.storage.sql));
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
    await this.#delivery.flush();
    if (this.#delivery.pending > 0) await this.#alarmNoLaterThan(Date.now() + this.#delivery.retryMs);
  }

  async #alarmNoLaterThan(at: number): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt === null || this.#alarmAt > at) {
      await this.ctx.storage.setAlarm(at);
      this.#alarmAt = at;
    }
  }
}
