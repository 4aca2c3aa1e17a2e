import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPostgres {
  /** A `postgres://` URL that `pg`, drizzle-kit and Hyperdrive's local proxy all accept. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves a PGlite database over the Postgres wire protocol on loopback, so everything that speaks to a
 * real Postgres (the migration runner, Hyperdrive under wrangler dev, the tests) works unchanged.
 * `dataDir` keeps the data between runs; omit it for a throwaway in-memory database.
 */
export async function startEmbeddedPostgres(options: { dataDir?: string; port?: number } = {}): Promise<EmbeddedPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: options.port ?? 0, maxConnections: 32 });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgres://postgres:postgres@${address}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
