import pg from "pg";
import { startEmbeddedPostgres } from "../../scripts/lib/embedded-postgres.ts";
import { runMigrations } from "../../scripts/lib/migrate.ts";

export interface TestDatabase {
  url: string;
  kind: "postgres" | "pglite";
  drop(): Promise<void>;
}

/**
 * A migrated, empty database for one test run: a fresh database on the server named by
 * TEST_DATABASE_URL (so runs never see each other's rows), or an in-memory PGlite when it is unset.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres();
    await runMigrations(embedded.url);
    return { url: embedded.url, kind: "pglite", drop: () => embedded.stop() };
  }

  const name = `peta_test_${process.pid}_${Date.now().toString(36)}`;
  await withClient(serverUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  return {
    url: url.toString(),
    kind: "postgres",
    drop: async () => {
      await withClient(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
