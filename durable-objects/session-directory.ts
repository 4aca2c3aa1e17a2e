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
 */
export class SessionDirectory extends DurableObject<AppEnv> {
  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS desks (name TEXT PRIMARY KEY)");
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
    let sessions = 0;
    told.forEach((result, i) => {
      if (result.status === "fulfilled") sessions += result.value;
      else logEvent("directory.push_failed", { desk: names[i], change: change.kind, error: errorText(result.reason) }, "error");
    });
    return sessions;
  }
}
