import { type AuditFields, type AuditRecord, sealAuditRecord } from "../../audit/record.ts";

/**
 * The session's audit records on their way to Postgres. A record is sealed into the session's hash
 * chain and written to the Durable Object's SQLite before anything else happens to it, so a call never
 * waits on Postgres and a record survives eviction, a crash or a database outage. The alarm drains it.
 */
export class AuditOutbox {
  readonly #sql: SqlStorage;
  readonly #transaction: (work: () => void) => void;
  // Sealing hashes asynchronously; queueing keeps two records from taking the same chain position.
  #queue: Promise<void> = Promise.resolve();
  // The chain heads as last committed by this instance (the queue makes it the only writer): read once.
  readonly #heads = new Map<string, { seq: number; hash: string }>();

  /** `transaction` is the object's `transactionSync`: the record and what `then` writes commit together or not at all. */
  constructor(sql: SqlStorage, transaction: (work: () => void) => void) {
    this.#sql = sql;
    this.#transaction = transaction;
    sql.exec(`
      CREATE TABLE IF NOT EXISTS audit_outbox (seq INTEGER PRIMARY KEY, record TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS audit_head (chain_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
    `);
  }

  /**
   * Seals the record as the next link of `chainId` and stores it; resolves once it is durable. `then`
   * runs in the record's transaction: if it throws, neither is stored.
   */
  append(chainId: string, fields: AuditFields | Promise<AuditFields>, then: () => void = () => {}): Promise<void> {
    const next = this.#queue.then(async () => {
      // Awaited in the queue, so a record whose fields take a moment keeps its place in the chain.
      const complete = await fields;
      const head = this.#heads.get(chainId) ?? this.#sql.exec<{ seq: number; hash: string }>("SELECT seq, hash FROM audit_head WHERE chain_id = ?", chainId).toArray()[0];
      const record = await sealAuditRecord(complete, { chainId, seq: (head?.seq ?? 0) + 1, prevHash: head?.hash ?? null });
      this.#transaction(() => {
        this.#sql.exec("INSERT INTO audit_outbox (seq, record) VALUES (?, ?)", record.seq, JSON.stringify(record));
        this.#sql.exec("INSERT OR REPLACE INTO audit_head (chain_id, seq, hash) VALUES (?, ?, ?)", chainId, record.seq, record.hash);
        then();
      });
      // Only after the commit: a transaction that threw leaves the stored head, and the memo, as they were.
      this.#heads.set(chainId, { seq: record.seq, hash: record.hash });
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  /** The oldest records not yet delivered. */
  peek(limit: number): AuditRecord[] {
    return this.#sql
      .exec<{ record: string }>("SELECT record FROM audit_outbox ORDER BY seq LIMIT ?", limit)
      .toArray()
      .map((row) => JSON.parse(row.record) as AuditRecord);
  }

  /** Forgets records Postgres has acknowledged. */
  delivered(records: AuditRecord[]): void {
    for (const record of records) this.#sql.exec("DELETE FROM audit_outbox WHERE seq = ?", record.seq);
  }

  get pending(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM audit_outbox").one().n;
  }
}
