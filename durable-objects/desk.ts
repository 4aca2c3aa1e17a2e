import { DurableObject } from "cloudflare:workers";
import type { UserRole } from "../worker/db/schema.ts";
import type { AppEnv } from "../worker/env.ts";
import { logEvent } from "../worker/observability/log.ts";
import { errorText } from "../worker/db/errors.ts";
import { SESSION_DIRECTORY_NAME } from "../worker/users/live-sessions.ts";
import type { DeskServerMessage } from "../worker/desk/messages.ts";

/** A change to a user that open sessions must act on at once, since they no longer ask the database. */
export type UserChange =
  | { kind: "disabled" }
  | { kind: "deleted" }
  /** The key (and every token and grant made with it) is gone; sessions opened with another key go on. */
  | { kind: "key-revoked"; keyId: string }
  /** An OAuth client's grant was revoked (by the user, the client, or reuse detection). */
  | { kind: "grant-revoked"; grantId: string }
  /**
   * Something the sessions read when they opened has changed for everyone (a server added, changed or
   * removed, a secret set): they read it again now and tell their clients that the lists changed.
   */
  | { kind: "refresh" }
  | { kind: "role"; role: UserRole };

/**
 * One instance per user, named by the user id (and one named "owner" for the owner key's sessions).
 * Today it is the registry of the user's live MCP sessions: it caps how many a user may hold, and it
 * carries revocations, role changes and refreshes to every one of them within the admin request that
 * made the change. (Peta Desk's channel will live here too.)
 */
export class Desk extends DurableObject<AppEnv> {
  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS live_sessions (session_id TEXT PRIMARY KEY, key_id TEXT, grant_id TEXT, opened_at INTEGER NOT NULL)");
  }

  /**
   * Adds a session unless the user already holds `limit`; false means refused. `keyId` is the API key
   * behind its credential (also for an OAuth grant made with one), `grantId` the grant of an OAuth client.
   */
  async register(deskName: string, sessionId: string, credential: { keyId: string | null; grantId: string | null }, limit: number): Promise<boolean> {
    const count = this.liveSessions();
    if (count >= limit) return false;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO live_sessions VALUES (?, ?, ?, ?)", sessionId, credential.keyId, credential.grantId, Date.now());
    // Every session (idempotently) keeps this desk in the directory that changes for everyone go through.
    await this.#directory().add(deskName);
    return true;
  }

  async unregister(deskName: string, sessionId: string): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM live_sessions WHERE session_id = ?", sessionId);
    if (this.liveSessions() === 0) await this.#directory().remove(deskName);
  }

  #directory() {
    return this.env.SESSION_DIRECTORY.getByName(SESSION_DIRECTORY_NAME);
  }

  liveSessions(): number {
    return this.ctx.storage.sql.exec<{ count: number }>("SELECT count(*) AS count FROM live_sessions").one().count;
  }

  /** Tells every affected session of the change; sessions that ended are forgotten. Returns how many were told. */
  async applyChange(change: UserChange): Promise<number> {
    const sql = this.ctx.storage.sql;
    const rows = (
      change.kind === "key-revoked"
        ? sql.exec<{ session_id: string }>("SELECT session_id FROM live_sessions WHERE key_id = ?", change.keyId)
        : change.kind === "grant-revoked"
          ? sql.exec<{ session_id: string }>("SELECT session_id FROM live_sessions WHERE grant_id = ?", change.grantId)
          : sql.exec<{ session_id: string }>("SELECT session_id FROM live_sessions")
    ).toArray();
    const results = await Promise.allSettled(rows.map(({ session_id }) => this.env.MCP_SESSION.getByName(session_id).applyUserChange(change)));
    results.forEach((result, i) => {
      const sessionId = rows[i]!.session_id;
      if (result.status === "rejected") {
        logEvent("desk.push_failed", { sessionId, change: change.kind, error: errorText(result.reason) }, "error");
      } else if (!result.value) {
        this.ctx.storage.sql.exec("DELETE FROM live_sessions WHERE session_id = ?", sessionId);
      }
    });
    return rows.length;
  }

  /** Sends a message to every Desk socket of this user that is open; none open is no error. */
  publish(message: DeskServerMessage): number {
    const text = JSON.stringify(message);
    const sockets = this.ctx.getWebSockets();
    for (const socket of sockets) socket.send(text);
    return sockets.length;
  }
}
