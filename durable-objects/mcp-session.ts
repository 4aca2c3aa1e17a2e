import { DurableObject } from "cloudflare:workers";
import { openDatabase } from "../worker/db/client.ts";
import type { AppEnv } from "../worker/env.ts";
import { readMcpConfig } from "../worker/mcp/config.ts";
import { AuditOutbox } from "../worker/mcp/session/audit-outbox.ts";
import { OutboxDelivery } from "../worker/mcp/session/outbox-delivery.ts";
import { SessionRuntime } from "../worker/mcp/session/runtime.ts";
import { SessionStore } from "../worker/mcp/session/store.ts";
import type { CloseInput, ListenInput, OpenInput, PostInput, SessionAudit, SessionRegistry } from "../worker/mcp/session/types.ts";
import { identifyCredential } from "../worker/auth/identify.ts";
import type { UserPrincipal } from "../worker/auth/principal.ts";
import { OWNER_DESK } from "../worker/users/live-sessions.ts";
import type { UserChange } from "./desk.ts";
import type { SessionRecord } from "../worker/mcp/session/store.ts";

/**
 * One instance per MCP session, named by its unguessable session id. It keeps the session's record,
 * SSE event log and audit outbox in SQLite (so replay and audit survive eviction), and holds the
 * downstream client connections in memory. The Worker reaches it only through these methods.
 *
 * Its one alarm serves three timers: draining the audit outbox (soon, or after a back-off while Postgres
 * is down), the expiry of calls held for approval, and the idle deadline that ends the session.
 */
export class McpSession extends DurableObject<AppEnv> {
  readonly #runtime: SessionRuntime;
  readonly #delivery: OutboxDelivery;
  readonly #idleMs: number;
  /** The idle deadline as last stored, while this instance lives: most requests need not move it. */
  #storedDeadline: number | null = null;
  /** When the alarm is set for, as this instance last set it (undefined until read): most records need not ask. */
  #alarmAt: number | null | undefined = undefined;

  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    const config = readMcpConfig(env);
    this.#idleMs = config.sessionIdleMs;
    this.#delivery = new OutboxDelivery(env, new AuditOutbox(ctx.storage.sql, (work) => ctx.storage.transactionSync(work)));
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS idle (id INTEGER PRIMARY KEY CHECK (id = 1), deadline INTEGER NOT NULL)");
    const registry: SessionRegistry = {
      // The owner key's sessions have a desk of their own, with no cap: changes for everyone reach them too.
      register: (record) =>
        env.DESK.getByName(deskOf(record)).register(
          deskOf(record),
          record.sessionId,
          { ...(record.principal.userId === null ? { keyId: null, grantId: null } : credentialIds(record.principal)), clientName: record.clientInfo.name },
          record.principal.userId === null ? Number.POSITIVE_INFINITY : config.maxSessionsPerUser,
        ),
      unregister: (record) => env.DESK.getByName(deskOf(record)).unregister(deskOf(record), record.sessionId),
      identify: async (credential) => {
        const handle = openDatabase(env);
        try {
          return await identifyCredential(handle.db, credential).catch(() => ({ userId: null, role: null }));
        } finally {
          await handle.close().catch(() => {});
        }
      },
    };
    const audit: SessionAudit = {
      enabled: env.AUDIT_ENABLED !== "false",
      record: async (chainId, fields, then) => {
        // Each session is its own hash chain, named by its session id.
        await this.#delivery.record(chainId, fields, then);
        // While Postgres is failing, new records wait for the back-off like the rest of the outbox.
        await this.#alarmNoLaterThan(Date.now() + this.#delivery.retryMs);
      },
    };
    this.#runtime = new SessionRuntime(env, config, new SessionStore(ctx.storage.sql), { audit, registry, wakeAt: (at) => this.#alarmNoLaterThan(at) });
    // Requests cut short by the eviction are answered and audited before any new request is taken.
    void ctx.blockConcurrencyWhile(() => this.#runtime.recoverInterrupted());
  }

  async open(input: OpenInput): Promise<Response> {
    const response = await this.#runtime.open(input);
    if (response.status !== 404) await this.#touch();
    return response;
  }

  async receive(input: PostInput): Promise<Response> {
    const response = await this.#runtime.receive(input);
    if (response.status !== 404) await this.#touch();
    return response;
  }

  async listen(input: ListenInput): Promise<Response> {
    const response = this.#runtime.listen(input);
    if (response.status !== 404) await this.#touch();
    return response;
  }

  async close(input: CloseInput): Promise<Response> {
    const response = await this.#runtime.close(input);
    if (response.ok) {
      this.#forgetDeadline();
      await this.#reschedule();
    }
    return response;
  }

  /** Ended by its user from their Desk (END_MY_SESSION): like a client's DELETE; false when there was no session. */
  async end(reason: string): Promise<boolean> {
    if (!this.#runtime.record) return false;
    await this.#runtime.teardown(reason);
    this.#forgetDeadline();
    await this.#reschedule();
    return true;
  }

  /** Pushed by the user's Desk object when the user is disabled or deleted, a key revoked, or the role changed. */
  async applyUserChange(change: UserChange): Promise<boolean> {
    const live = await this.#runtime.applyUserChange(change);
    if (live && !this.#runtime.record) {
      this.#forgetDeadline();
      await this.#reschedule();
    }
    return live;
  }

  /** A decision on one of this session's held calls: the call runs (or is answered) now. */
  async approvalDecided(approvalId: string): Promise<void> {
    this.#runtime.wakeHeldCalls(approvalId);
  }

  override async alarm(): Promise<void> {
    // A fired alarm is no longer set; what this run sets next is known again below.
    this.#alarmAt = null;
    await this.#delivery.flush();
    // Held calls past their expiry answer as expired (after an eviction, they woke with the object).
    this.#runtime.wakeHeldCalls();
    const deadline = this.#idleDeadline();
    // A call waiting for a human keeps the session open past its idle time, until it is settled.
    if (deadline !== null && Date.now() >= deadline && this.#runtime.nextHeldExpiry() === null) {
      await this.#runtime.teardown("idle timeout");
      this.#forgetDeadline();
    }
    await this.#reschedule();
  }

  #idleDeadline(): number | null {
    return this.ctx.storage.sql.exec<{ deadline: number }>("SELECT deadline FROM idle").toArray()[0]?.deadline ?? null;
  }

  /**
   * Moves the idle deadline. Storing it costs a write and two alarm calls, so a deadline less than a
   * tenth of the idle time (at most a minute) further on is not stored: a session may end that much early.
   */
  async #touch(): Promise<void> {
    const deadline = Date.now() + this.#idleMs;
    if (this.#storedDeadline !== null && deadline - this.#storedDeadline < Math.min(60_000, this.#idleMs / 10)) return;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO idle (id, deadline) VALUES (1, ?)", deadline);
    this.#storedDeadline = deadline;
    // An earlier alarm (an audit delivery, or the old deadline, which then finds it moved) stays as it is.
    await this.#alarmNoLaterThan(deadline);
  }

  #forgetDeadline(): void {
    this.ctx.storage.sql.exec("DELETE FROM idle");
    this.#storedDeadline = null;
  }

  async #alarmNoLaterThan(at: number): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt === null || this.#alarmAt > at) await this.#setAlarm(at);
  }

  async #setAlarm(at: number | null): Promise<void> {
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
    this.#alarmAt = at;
  }

  /** The earliest of the three timers; none when the session is over and the outbox is empty. */
  async #reschedule(): Promise<void> {
    const flushAt = this.#delivery.pending > 0 ? Date.now() + this.#delivery.retryMs : null;
    const heldAt = this.#runtime.nextHeldExpiry();
    const idleAt = this.#idleDeadline();
    // An idle deadline that passed while a call was held is looked at again when the held call expires.
    const next = [flushAt, heldAt, idleAt !== null && heldAt !== null ? Math.max(idleAt, heldAt) : idleAt].filter((t): t is number => t !== null);
    await this.#setAlarm(next.length === 0 ? null : Math.min(...next));
  }
}

/** What a revocation can name of a session's credential: the API key behind it, and an OAuth client's grant. */
function credentialIds(principal: UserPrincipal): { keyId: string | null; grantId: string | null } {
  return principal.via === "oauth" ? { keyId: principal.keyId ?? null, grantId: principal.grantId } : { keyId: principal.keyId, grantId: null };
}

/** The Desk object a session registers with: its user's, or the owner key's. */
function deskOf(record: SessionRecord): string {
  return record.principal.userId ?? OWNER_DESK;
}
