import { fileURLToPath } from "node:url";
import { readMigrationFiles } from "drizzle-orm/migrator";
import pg from "pg";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../migrations", import.meta.url));

// Any constant works; it only has to be the same for every runner so two never interleave.
const MIGRATION_LOCK_ID = 7_201_001;

/**
 * Applies every pending migration in `migrations/`. Already-applied ones are skipped, recorded in
 * `drizzle.__drizzle_migrations` exactly as drizzle's own migrator and drizzle-kit record them, so
 * running it twice is a no-op.
 *
 * The check for what is applied and the applying happen in one transaction that first takes a
 * transaction-scoped advisory lock, so concurrent runners (e.g. a deploy step racing a second one)
 * apply each migration once. A session-scoped lock around drizzle's `migrate()` is not enough: PGlite's
 * socket server runs every client on one backend session, and a transaction-pooling PgBouncer (Neon's
 * pooled URL) hands one session to many clients, so such a lock excludes nobody there.
 */
export async function runMigrations(connectionString: string): Promise<void> {
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query("begin");
    try {
      await client.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
      await client.query("create schema if not exists drizzle");
      await client.query(
        "create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)",
      );
      const { rows } = await client.query<{ created_at: string }>(
        "select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1",
      );
      const lastApplied = rows[0] ? Number(rows[0].created_at) : undefined;
      for (const migration of migrations) {
        if (lastApplied !== undefined && migration.folderMillis <= lastApplied) continue;
        for (const statement of migration.sql) await client.query(statement);
        await client.query("insert into drizzle.__drizzle_migrations (hash, created_at) values ($1, $2)", [
          migration.hash,
          migration.folderMillis,
        ]);
      }
      await client.query("commit");
    } catch (error) {
      await client.query("rollback").catch(() => {});
      throw error;
    }
  } finally {
    await client.end();
  }
}
