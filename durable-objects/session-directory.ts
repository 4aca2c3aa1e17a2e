import { DurableObject } from "cloudflare:workers";
import type { AppEnv } from "../worker/env.ts";
import { errorText } from "../worker/db/errors.ts";
import { logEvent } from "../worker/observability/log.ts";
import type { UserChange } from "./desk.ts";

/**
 * Which Desk objects (one per user, and "owner" for the owner key) hold at least one live MCP session
 * or open Desk socket, so that a change that concerns everyone (a server disabled, a secret changed, a
 * policy edited) reaches every open session and socket at once without a registry of every session in
 * one place. Desks add themselves with their first session or socket and leave with their last.
 *
 * It also lists the ServerBridge objects of 2026-07-28 clients (which have no session, so no desk
 * knows them), so a refresh reaches their servers' snapshots at once too.
 */
export class SessionDirectory extends DurableObject<AppEnv> {
  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS desks (name TEXT PRIMARY KEY)");
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS bridges (name TEXT PRIMARY KEY, subject TEXT NOT NULL)");
    ctx.storage.sql.exec("CREATE INDEX IF NOT EXISTS bridges_subject ON bridges (subject)");
  }

  /** A bridge that has started serving `subject` (a user id, or "owner"); it stays until a refresh finds it idle. */
  addBridge(name: string, subject: string): void {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO bridges VALUES (?, ?)", name, subject);
  }

  /** A change to one user's servers (their own values): only that user's bridges read them again. */
  async refreshBridgesOf(subject: string): Promise<void> {
    await this.#refreshBridges(this.ctx.storage.sql.exec<{ name: string }>("SELECT name FROM bridges WHERE subject = ?", subject).toArray());
  }

  async #refreshBridges(rows: { name: string }[]): Promise<void> {
    const results = await Promise.allSettled(rows.map(({ name }) => this.env.SERVER_BRIDGE.getByName(name).refresh()));
    results.forEach((result, i) => {
      const name = rows[i]!.name;
      if (result.status === "rejected") logEvent("directory.push_failed", { bridge: name, change: "refresh", error: errorText(result.reason) }, "error");
      // A bridge with nothing in memory reads everything afresh on its next request anyway.
      else if (!result.value) this.ctx.storage.sql.exec("DELETE FROM bridges WHERE name = ?", name);
    });
  }

  add(deskName: string): void {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO desks VALUES (?)", deskName);
  }

  remove(deskName: string): void {
    this.ctx.storage.sql.exec("DELETE FROM desks WHERE name = ?", deskName);
  }

  /** Tells every desk with live sessions of the change; returns how many sessions were told. */
  async broadcast(change: UserChange): Promise<number> {
    const names = this.ctx.storage.sql.exec<{ name: string }>("SELECT name FROM desks").toArray().map((row) => row.name);
    const told = await Promise.allSettled(names.map((name) => this.env.DESK.getByName(name).applyChange(change)));
    if (change.kind === "refresh") await this.#refreshBridges(this.ctx.storage.sql.exec<{ name: string }>("SELECT name FROM bridges").toArray());
    let sessions = 0;
    told.forEach((result, i) => {
      if (result.status === "fulfilled") sessions += result.value;
      else logEvent("directory.push_failed", { desk: names[i], change: change.kind, error: errorText(result.reason) }, "error");
    });
    return sessions;
  }
}
