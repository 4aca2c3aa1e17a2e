import type { PGlite } from "@electric-sql/pglite";
import type { PGLiteSocketHandler } from "@electric-sql/pglite-socket";

/** The queue type PGLiteSocketHandler takes; the package does not export its name. */
export type SocketQueryQueue = ConstructorParameters<typeof PGLiteSocketHandler>[0]["queryQueue"];

interface Job {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
}

// Frontend message types that continue an extended-protocol exchange: Parse, Bind, Describe, Execute,
// Close, Flush, and COPY's data/done/fail. The exchange ends with Sync ('S'); a simple Query ('Q') stands alone.
const CONTINUES_EXCHANGE = new Set(["P", "B", "D", "E", "C", "H", "d", "c", "f"].map((c) => c.charCodeAt(0)));
const SYNC = "S".charCodeAt(0);

/**
 * Runs every client's messages on the one PGlite backend, one at a time, like pglite-socket's own queue,
 * but never lets another client in while one is mid-exchange (Parse … Sync) or inside a transaction.
 *
 * Why: PGlite is a single backend session, and pglite-socket 0.2 hands it messages in arrival order,
 * switching clients only at transaction boundaries. The `pg` driver inside workerd writes Parse, Bind,
 * Describe, Execute and Sync as separate chunks, so two connections' exchanges interleave: one client's
 * Bind lands on the other's unnamed statement. Observed: "portal \"\" does not exist", and, worse, rows
 * answered to the wrong query.
 */
export class ExchangeQueue {
  readonly #db: PGlite;
  #jobs: Job[] = [];
  #running = false;
  /** The client whose exchange or transaction is open; only its messages may run. */
  #owner: number | null = null;

  constructor(db: PGlite) {
    this.#db = db;
  }

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#jobs.push({ handlerId, message, onData, resolve, reject });
      void this.#run();
    });
  }

  getQueueLength(): number {
    return this.#jobs.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.#jobs = this.#jobs.filter((job) => {
      if (job.handlerId !== handlerId) return true;
      job.reject(new Error("Handler disconnected"));
      return false;
    });
  }

  /** A client that leaves mid-exchange or mid-transaction must not hold the backend: close both out. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.#owner !== handlerId) return;
    await this.#db.runExclusive(async () => {
      await this.#db.execProtocolRawStream(new Uint8Array([SYNC, 0, 0, 0, 4]), { onRawData: () => {} });
      if (this.#db.isInTransaction()) await this.#db.exec("ROLLBACK");
    });
    this.#owner = null;
    void this.#run();
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#jobs.length > 0) {
        const index = this.#owner === null ? 0 : this.#jobs.findIndex((job) => job.handlerId === this.#owner);
        if (index === -1) return; // the owner's next message has not arrived yet
        const [job] = this.#jobs.splice(index, 1) as [Job];
        let bytes = 0;
        try {
          await this.#db.runExclusive(() =>
            this.#db.execProtocolRawStream(job.message, {
              onRawData: (data) => {
                bytes += data.length;
                job.onData(data);
              },
            }),
          );
        } catch (error) {
          job.reject(error);
          continue;
        }
        const type = job.message[0]!;
        this.#owner = CONTINUES_EXCHANGE.has(type) || this.#db.isInTransaction() ? job.handlerId : null;
        job.resolve(bytes);
      }
    } finally {
      this.#running = false;
    }
  }
}
