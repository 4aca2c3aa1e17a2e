import { mkdirSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketHandler } from "@electric-sql/pglite-socket";
import { ExchangeQueue, type SocketQueryQueue } from "./pglite-exchange-queue.ts";

export interface EmbeddedPostgres {
  /** A `postgres://` URL that `pg`, drizzle-kit and Hyperdrive's local proxy all accept. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves a PGlite database over the Postgres wire protocol on loopback, so everything that speaks to a
 * real Postgres (the migration runner, Hyperdrive under wrangler dev, the tests) works unchanged.
 * `dataDir` keeps the data between runs; omit it for a throwaway in-memory database. `maxConnections`
 * (default 32) bounds the open client connections; one more is refused with "Too many connections".
 *
 * This is pglite-socket's PGLiteSocketServer with one change: its connection handlers share an
 * ExchangeQueue instead of the package's own queue, which let concurrent clients' queries interleave
 * and answer each other (see pglite-exchange-queue.ts).
 */
export async function startEmbeddedPostgres(
  options: { dataDir?: string; port?: number; maxConnections?: number } = {},
): Promise<EmbeddedPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  // The handler is typed against the package's unexported queue class; ExchangeQueue has its interface.
  const queryQueue = new ExchangeQueue(db) as unknown as SocketQueryQueue;
  const maxConnections = options.maxConnections ?? 32;
  const handlers = new Set<PGLiteSocketHandler>();

  const server = createServer((socket) => {
    if (handlers.size >= maxConnections) {
      socket.end("Too many connections\n");
      return;
    }
    const handler = new PGLiteSocketHandler({ queryQueue, closeOnDetach: true });
    handlers.add(handler);
    const forget = () => handlers.delete(handler);
    handler.addEventListener("close", forget);
    handler.addEventListener("error", forget);
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      for (const handler of handlers) await handler.detach(true);
      handlers.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
