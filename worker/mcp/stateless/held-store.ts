import type { Result } from "@modelcontextprotocol/sdk/types.js";

/** One question a server asked in a held call, with the client's answer once it gave one. */
export interface HeldQuestion {
  key: string;
  method: string;
  params?: Record<string, unknown>;
  result?: Result;
}

/** What the retry of a held call needs once the object that held it is gone: the call's questions so far, in order. */
export interface HeldRecord {
  id: string;
  questions: HeldQuestion[];
  expiresAt: number;
}

/**
 * The bridge's held calls in its Durable Object's SQLite storage. The downstream call itself cannot
 * outlive the object, but what the client was asked and answered can: a retry that reaches a new
 * instance runs the call again and answers the server's questions with it (held-call.ts).
 */
export class HeldCallStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec("CREATE TABLE IF NOT EXISTS mrtr_held (call_id TEXT PRIMARY KEY, questions TEXT NOT NULL, expires_at INTEGER NOT NULL)");
  }

  save(record: HeldRecord): void {
    this.#sql.exec("DELETE FROM mrtr_held WHERE expires_at <= ?", Date.now());
    this.#sql.exec("INSERT OR REPLACE INTO mrtr_held VALUES (?, ?, ?)", record.id, JSON.stringify(record.questions), record.expiresAt);
  }

  /** The record of a held call, while it has not expired; null when none is kept. */
  read(id: string): HeldRecord | null {
    const row = this.#sql.exec<{ questions: string; expires_at: number }>("SELECT questions, expires_at FROM mrtr_held WHERE call_id = ?", id).toArray()[0];
    if (!row || row.expires_at <= Date.now()) return null;
    return { id, questions: JSON.parse(row.questions) as HeldQuestion[], expiresAt: row.expires_at };
  }

  forget(id: string): void {
    this.#sql.exec("DELETE FROM mrtr_held WHERE call_id = ?", id);
  }
}
